"""The event every auditor query leaves behind (查询留痕 of the auditors themselves)."""

from __future__ import annotations

import re
from typing import Any

from audit.runtime import SOURCE
from natres_platform.auth import Principal
from natres_platform.events import CloudEvent

QUERY_EVENT = "audit.query.performed.v1"
_REGION = re.compile(r"^[0-9]{6}$")


def query_performed(
    *, principal: Principal, query: str, filters: dict[str, Any], result_count: int | None, fmt: str | None = None
) -> CloudEvent:
    """Who queried what (the filters) and, through the event time, when."""
    data: dict[str, Any] = {
        "query": query,
        "filters": filters,
        "result_count": result_count,
        "username": principal.username,
    }
    if fmt is not None:
        data["format"] = fmt
    return CloudEvent.create(
        source=SOURCE,
        type=QUERY_EVENT,
        subject=principal.subject,
        data=data,
        actor=principal.subject,
        region=principal.region if principal.region and _REGION.fullmatch(principal.region) else None,
    )
