"""`POST /api/v1/units` (one surveyed unit) answered before FastAPI's router.

A natres_platform.fastpath.HotRoute: a well-formed unit from a verified registrar or admin goes
straight to units.router.register_one, as the route does; anything else falls through to the
FastAPI route, which stays the reference (tests compare the two answer for answer).
"""

from __future__ import annotations

from starlette.middleware import Middleware

from natres_platform.fastpath import HotRequest, HotResponse, HotRoute
from registry.units.router import create, register_one, router
from registry.units.schemas import UnitCreate

# A unit's boundary is its GeoJSON: larger than a bid, still far below this for a surveyed parcel.
_MAX_BODY = 256 * 1024


async def _register(request: HotRequest) -> HotResponse:
    return 201, await register_one(request.state.registry, request.body, request.principal), []


def unit_fast_path() -> Middleware:
    """The middleware entry for the app (innermost: inside trace context and metrics)."""
    return Middleware(HotRoute, method="POST", path=r"^/api/v1/units$", model=UnitCreate, roles=("admin", "registrar"),
                      router=router, endpoint=create, handler=_register, max_body=_MAX_BODY)
