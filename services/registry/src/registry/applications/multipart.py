"""multipart/form-data without python-multipart (not a dependency yet): the stdlib MIME parser."""

from __future__ import annotations

from dataclasses import dataclass
from email import policy
from email.parser import BytesParser

from registry.errors import DocumentInvalid


@dataclass(frozen=True)
class FormPart:
    """One part: field name, optional filename and content type, bytes."""

    name: str
    filename: str | None
    content_type: str
    data: bytes


def parse_form(body: bytes, content_type: str) -> dict[str, FormPart]:
    """Parts by field name (the last one wins); 422 on a body that is not multipart/form-data."""
    if not content_type.lower().startswith("multipart/form-data") or "boundary=" not in content_type:
        raise DocumentInvalid("应以 multipart/form-data 上传（字段 kind 与 file）")
    message = BytesParser(policy=policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\nMIME-Version: 1.0\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise DocumentInvalid("multipart 请求体无法解析")
    parts: dict[str, FormPart] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        data = part.get_payload(decode=True) or b""
        parts[str(name)] = FormPart(
            name=str(name),
            filename=part.get_filename(),
            content_type=part.get_content_type() if part.get("content-type") else "application/octet-stream",
            data=data,
        )
    return parts
