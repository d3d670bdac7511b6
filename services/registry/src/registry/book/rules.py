"""Pure rules of the book: entry states, active restrictions with mortgage rank, masking for output."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from registry.certificates.payload import mask_id_number

# 临时 / 现势 / 历史 / 终止
STATE_LABELS = {"provisional": "临时", "current": "现势", "historical": "历史", "terminated": "终止"}
RESTRICTION_LABELS = {
    "mortgage": "抵押",
    "seizure": "查封",
    "objection": "异议",
    "advance_notice": "预告",
    "in_trade": "交易中",
}


def effective_state(entry: Mapping[str, Any], *, latest_version: int) -> str:
    """An entry superseded by a later version is historical; the newest keeps its recorded state."""
    if entry["version"] < latest_version:
        return "historical"
    return entry["recorded_state"]


def _parse_time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def is_active(restriction: Mapping[str, Any], *, at: datetime) -> bool:
    """Whether a restriction still binds: objections and advance notices lapse (民法典 Arts. 220-221)."""
    lapses = _parse_time(restriction.get("lapses_at"))
    return lapses is None or lapses > at


def active_restrictions(restrictions: Iterable[Mapping[str, Any]], *, at: datetime) -> list[dict[str, Any]]:
    """Restrictions in force at `at`, mortgages ranked by registration time (民法典 Art. 414)."""
    active = [dict(r) for r in restrictions if is_active(r, at=at)]
    mortgages = sorted((r for r in active if r["kind"] == "mortgage"), key=lambda r: (r["registered_at"], r["id"]))
    for rank, mortgage in enumerate(mortgages, start=1):
        mortgage["rank"] = rank
    return active


def has_active(restrictions: Iterable[Mapping[str, Any]], kind: str, *, at: datetime) -> bool:
    """Whether any restriction of `kind` binds at `at`."""
    return any(r["kind"] == kind and is_active(r, at=at) for r in restrictions)


def mask_party(party: Mapping[str, Any]) -> dict[str, Any]:
    """A holder / party with the identity number masked (every response goes through this)."""
    out = dict(party)
    if out.get("id_number"):
        out["id_number"] = mask_id_number(str(out["id_number"]))
    return out


def mask_restriction(restriction: Mapping[str, Any]) -> dict[str, Any]:
    """A restriction with any holder's id masked, plus its Chinese label."""
    out = dict(restriction)
    if isinstance(out.get("holder"), Mapping):
        out["holder"] = mask_party(out["holder"])
    out["label"] = RESTRICTION_LABELS.get(out.get("kind", ""), out.get("kind"))
    return out


def present_entry(entry: Mapping[str, Any], *, latest_version: int, at: datetime) -> dict[str, Any]:
    """An entry as shown: effective state, masked holders, restrictions in force at `at`."""
    state = effective_state(entry, latest_version=latest_version)
    restrictions = active_restrictions(entry.get("restrictions") or [], at=at)
    return {
        **{k: entry[k] for k in ("id", "unit_id", "version", "right_type", "sharing", "term_start", "term_end",
                                 "source", "land_use", "details", "corrects_entry_id", "application_id",
                                 "registration_type", "recorded_at", "recorded_by")},
        "state": state,
        "state_label": STATE_LABELS[state],
        "holders": [mask_party(h) for h in entry.get("holders") or []],
        "restrictions": [mask_restriction(r) for r in restrictions],
    }
