"""Split / merge and the book: the children's first entries carry the parents' rights, the parents' books close.

A split or merge changes the units, not the rights on them: the holders, right type, term and the
restrictions in force (mortgages, seizures, objections and advance notices with their own lapse
dates) continue on the new units, and each carried entry names the entries it came from. A merge
therefore needs parents whose current rights agree; anything else is a change or correction first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from registry.book.effects import BookStateConflict
from registry.book.rules import active_restrictions, has_active
from registry.errors import MergeRightsDiffer, UnitInTrade, UnitRestricted

# What must be equal on every parent of a merge (holders compared as a set).
MERGE_MUST_AGREE = ("right_type", "holders", "sharing", "term_start", "term_end", "land_use")
_CARRIED = ("right_type", "holders", "sharing", "term_start", "term_end", "source", "land_use")


def has_rights(entry: Mapping[str, Any] | None) -> bool:
    """Whether a latest entry is a current right (an empty book or a terminated one carries nothing)."""
    return entry is not None and entry["recorded_state"] == "current"


def check_parent(unit: Mapping[str, Any], entry: Mapping[str, Any] | None, *, now: datetime, kind: str) -> None:
    """Refuse to split or merge a unit in trade, under seizure, or whose first registration is in 公告."""
    label = "分割" if kind == "split" else "合并"
    if unit.get("in_trade_listing_id"):
        raise UnitInTrade(f"登记单元 {unit['code']} 正在交易，不能{label}", listing_id=unit["in_trade_listing_id"])
    if entry is None:
        return
    if entry["recorded_state"] == "provisional":
        raise BookStateConflict(f"登记单元 {unit['code']} 首次登记正在公告，不能{label}", unit_id=unit["id"])
    if has_active(entry.get("restrictions") or [], "seizure", at=now):
        raise UnitRestricted(f"登记单元 {unit['code']} 已被查封，不能{label}", restriction="seizure", unit_id=unit["id"])


def _holder_key(holders: Sequence[Mapping[str, Any]]) -> list[tuple]:
    return sorted((h.get("id_number") or h.get("org_code") or h.get("subject") or h.get("name"), str(h.get("share")))
                  for h in holders)


def _restrictions(entry: Mapping[str, Any], *, now: datetime) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "rank"} for r in active_restrictions(entry.get("restrictions") or [], at=now)]


def carried_fields(*, kind: str, parents: Sequence[tuple[Mapping[str, Any], Mapping[str, Any] | None]],
                   now: datetime) -> dict[str, Any] | None:
    """The rights the new unit(s) start with, or None when no parent holds a current right."""
    holding = [(u, e) for u, e in parents if has_rights(e)]
    if not holding:
        return None
    if len(holding) != len(parents):
        empty = [u["code"] for u, e in parents if not has_rights(e)]
        raise MergeRightsDiffer(f"参与合并的单元 {', '.join(empty)} 没有现势权利，不能与已登记单元合并", differing=["book"])
    first = holding[0][1]
    for _, entry in holding[1:]:
        differing = [f for f in MERGE_MUST_AGREE
                     if (_holder_key(entry.get(f) or []) != _holder_key(first.get(f) or []) if f == "holders"
                         else entry.get(f) != first.get(f))]
        if differing:
            raise MergeRightsDiffer(f"参与合并的单元权利状况不一致（{', '.join(differing)}），须先办理变更或更正登记",
                                    differing=differing)
    restrictions: dict[str, dict[str, Any]] = {}
    for _, entry in holding:
        for r in _restrictions(entry, now=now):
            restrictions.setdefault(r["id"], r)
    details = {k: v for k, v in (first.get("details") or {}).items() if k not in ("control_lines", "lineage")}
    details["lineage"] = {
        "kind": kind,
        "parent_ids": [u["id"] for u, _ in holding],
        "parent_codes": [u["code"] for u, _ in holding],
        "parent_entry_ids": [e["id"] for _, e in holding],
    }
    return {
        **{k: first.get(k) for k in _CARRIED},
        "recorded_state": "current",
        "registration_type": kind,
        "application_id": None,
        "corrects_entry_id": None,
        "restrictions": sorted(restrictions.values(), key=lambda r: (r.get("registered_at") or "", r["id"])),
        "details": details,
    }


def child_entry(carried: Mapping[str, Any], child: Mapping[str, Any]) -> dict[str, Any]:
    """A child's version 1: the carried rights plus the child's own control-line hits."""
    lines = [{"line_type": h["line_type"], "line_id": h["line_id"], "overlap_m2": str(h["overlap_m2"]),
              "share": str(h["share"])} for h in child.get("control_lines") or []]
    return {**carried, "details": {**carried["details"], "control_lines": lines}}


def closing_entry(*, kind: str, parent_entry: Mapping[str, Any], children: Sequence[Mapping[str, Any]],
                  now: datetime) -> dict[str, Any]:
    """The parent's last version: its rights as they stood, terminated, pointing at the new units."""
    details = {k: v for k, v in (parent_entry.get("details") or {}).items() if k != "lineage"}
    details["lineage"] = {"kind": kind, "child_ids": [c["id"] for c in children],
                          "child_codes": [c["code"] for c in children]}
    return {
        **{k: parent_entry.get(k) for k in _CARRIED},
        "recorded_state": "terminated",
        "registration_type": kind,
        "application_id": None,
        "corrects_entry_id": None,
        "restrictions": _restrictions(parent_entry, now=now),
        "details": details,
    }
