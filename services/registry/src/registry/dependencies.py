"""FastAPI dependencies shared by the registry routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from natres_platform.auth import Principal
from natres_platform.security import require_role
from registry.runtime import Registry


async def get_registry(request: Request) -> Registry:
    """The per-process registry runtime (async: a plain def would cost a thread-pool hop per request)."""
    return request.app.state.registry


RegistryDep = Annotated[Registry, Depends(get_registry)]
Registrar = Annotated[Principal, Depends(require_role("registrar"))]
Reviewer = Annotated[Principal, Depends(require_role("reviewer"))]
Official = Annotated[Principal, Depends(require_role("registrar", "reviewer"))]
Filer = Annotated[Principal, Depends(require_role("citizen", "enterprise", "registrar"))]
AdminOrRegistrar = Annotated[Principal, Depends(require_role("admin", "registrar"))]
