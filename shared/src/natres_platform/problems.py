"""One place that turns every error into RFC 9457 problem+json."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from natres_platform.errors import PROBLEM_JSON, PlatformError
from natres_platform.tracing import current_trace_id

log = logging.getLogger(__name__)

_HTTP_CODES = {
    404: ("route.not_found", "请求的地址不存在"),
    405: ("route.method_not_allowed", "不支持该请求方法"),
    406: ("route.not_acceptable", "无法提供所需的表示形式"),
    413: ("request.too_large", "请求体过大"),
    415: ("request.unsupported_media_type", "不支持的内容类型"),
}


def problem_response(body: dict, status: int, headers: dict[str, str] | None = None) -> JSONResponse:
    """A problem+json response carrying the trace id for support calls."""
    trace_id = current_trace_id()
    if trace_id:
        body.setdefault("trace_id", trace_id)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


async def _platform_error(request: Request, exc: PlatformError) -> JSONResponse:
    headers = None
    if exc.status_code == 401:
        headers = {"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{exc.code}"'}
    return problem_response(exc.to_problem(instance=request.url.path), exc.status_code, headers)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [
        {"location": "/".join(str(p) for p in e.get("loc", ())), "message": e.get("msg"), "type": e.get("type")}
        for e in exc.errors()
    ]
    body = {
        "type": "urn:natres:problem:request.invalid",
        "title": "请求参数不合法",
        "status": 422,
        "detail": "; ".join(f"{e['location']}: {e['message']}" for e in errors) or "请求参数不合法",
        "code": "request.invalid",
        "instance": request.url.path,
        "errors": errors,
    }
    return problem_response(body, 422)


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code, title = _HTTP_CODES.get(exc.status_code, (f"http.{exc.status_code}", "请求失败"))
    body = {
        "type": f"urn:natres:problem:{code}",
        "title": title,
        "status": exc.status_code,
        "detail": str(exc.detail) if exc.detail else title,
        "code": code,
        "instance": request.url.path,
    }
    return problem_response(body, exc.status_code, getattr(exc, "headers", None))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", extra={"path": request.url.path})
    body = {
        "type": "urn:natres:problem:internal.error",
        "title": "服务内部错误",
        "status": 500,
        "detail": "服务内部错误，请稍后重试",
        "code": "internal.error",
        "instance": request.url.path,
    }
    return problem_response(body, 500)


def install_problem_handlers(app: FastAPI) -> None:
    """Register the handlers; services raise PlatformError subclasses, never HTTPException."""
    app.add_exception_handler(PlatformError, _platform_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)
