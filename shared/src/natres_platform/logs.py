"""JSON logs on stdout, each line carrying the current trace id."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from natres_platform.tracing import current_trace_id


class _TraceFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.trace_id = current_trace_id()
        return True


def configure_logging(*, service: str, level: str = "INFO") -> None:
    """Install one JSON handler on the root logger (idempotent)."""
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_natres", False):
            root.removeHandler(h)
    handler = logging.StreamHandler(sys.stdout)
    handler._natres = True  # type: ignore[attr-defined]
    handler.addFilter(_TraceFilter())
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(trace_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            static_fields={"service": service},
            json_ensure_ascii=False,
        )
    )
    root.addHandler(handler)
    root.setLevel(level.upper())
    # kafka-python is chatty at INFO about every reconnect.
    logging.getLogger("kafka").setLevel(logging.WARNING)
    # One line per JWKS fetch or outgoing call is noise; failures still surface as errors.
    logging.getLogger("httpx").setLevel(logging.WARNING)
