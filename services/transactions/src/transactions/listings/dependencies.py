"""Listing path parameter: a UUID, so a malformed id is a 422 rather than a database error."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Path

ListingId = Annotated[UUID, Path(description="交易项目 id")]
