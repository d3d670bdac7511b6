"""API shape of an alert."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class AlertRead(BaseModel):
    """One supervision finding."""

    id: int
    listing_id: str
    rule: str
    severity: str
    message: str
    details: dict[str, Any]
    raised_at: datetime
