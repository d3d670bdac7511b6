"""W3C trace context kept in a contextvar, so logs and events carry the same trace id."""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
current_traceparent: ContextVar[str | None] = ContextVar("current_traceparent", default=None)


def new_traceparent(trace_id: str | None = None) -> str:
    """A fresh span id under the given (or a new) trace id."""
    return f"00-{trace_id or secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


def parse_trace_id(traceparent: str | None) -> str | None:
    """The trace id of a valid traceparent header, else None."""
    if not traceparent:
        return None
    m = _TRACEPARENT.match(traceparent.strip().lower())
    if not m or m.group(1) == "0" * 32:
        return None
    return m.group(1)


def continue_trace(traceparent: str | None) -> str:
    """Set and return a traceparent that continues the incoming one (or starts a trace)."""
    value = new_traceparent(parse_trace_id(traceparent))
    current_traceparent.set(value)
    return value


def current_trace_id() -> str | None:
    """The trace id in force, for log lines."""
    return parse_trace_id(current_traceparent.get())
