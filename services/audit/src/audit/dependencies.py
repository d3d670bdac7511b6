"""FastAPI dependencies shared by the audit routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from audit.runtime import AuditRuntime


def get_runtime(request: Request) -> AuditRuntime:
    """The process's AuditRuntime, kept on app.state by create_app."""
    return request.app.state.audit


RuntimeDep = Annotated[AuditRuntime, Depends(get_runtime)]
