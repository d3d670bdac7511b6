"""Domain errors with stable codes, rendered as RFC 9457 problem+json by one handler."""

from __future__ import annotations

from typing import Any, ClassVar

PROBLEM_JSON = "application/problem+json"


class PlatformError(Exception):
    """Base of every error a service raises on purpose; subclasses fix status and code."""

    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "platform.bad_request"
    title: ClassVar[str] = "请求无效"  # shown to users: Simplified Chinese

    def __init__(self, detail: str | None = None, **extensions: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extensions = extensions

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        """The RFC 9457 body: type/title/status/detail plus a stable `code` and extensions."""
        body: dict[str, Any] = {
            "type": f"urn:natres:problem:{self.code}",
            "title": self.title,
            "status": self.status_code,
            "detail": self.detail,
            "code": self.code,
        }
        if instance:
            body["instance"] = instance
        body.update(self.extensions)
        return body


class ValidationFailed(PlatformError):
    status_code = 422
    code = "request.invalid"
    title = "请求参数不合法"


class NotFound(PlatformError):
    status_code = 404
    code = "resource.not_found"
    title = "资源不存在"


class Conflict(PlatformError):
    status_code = 409
    code = "resource.conflict"
    title = "状态冲突"


class Unauthenticated(PlatformError):
    status_code = 401
    code = "auth.unauthenticated"
    title = "未认证或令牌无效"


class Forbidden(PlatformError):
    status_code = 403
    code = "auth.forbidden"
    title = "无权执行此操作"


class DependencyUnavailable(PlatformError):
    status_code = 503
    code = "dependency.unavailable"
    title = "依赖服务暂不可用"
