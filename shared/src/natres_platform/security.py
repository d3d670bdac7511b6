"""FastAPI dependencies: the verified caller, and guards by role."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from natres_platform.auth import Principal
from natres_platform.errors import Unauthenticated

_bearer = HTTPBearer(auto_error=False, description="Keycloak access token of realm natres")


async def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """The caller, from a locally verified bearer token."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Unauthenticated("缺少 Bearer 访问令牌")
    principal = await request.app.state.ctx.verifier.verify(credentials.credentials)
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_role(*roles: str):  # noqa: ANN201 - returns a FastAPI dependency
    """A dependency that lets through callers holding any of `roles`."""

    async def guard(principal: CurrentPrincipal) -> Principal:
        principal.require_role(*roles)
        return principal

    guard.__name__ = f"require_{'_or_'.join(roles)}"
    return guard


Admin = Annotated[Principal, Depends(require_role("admin"))]
Auditor = Annotated[Principal, Depends(require_role("auditor", "admin"))]
