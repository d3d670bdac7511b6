"""What each registration type does to the book: the next entry computed from the current one."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from natres_platform.errors import Conflict
from registry.book.rules import active_restrictions, has_active
from registry.errors import ApplicationInvalid, UnitInTrade, UnitRestricted

_CARRIED = ("right_type", "holders", "sharing", "term_start", "term_end", "source", "land_use", "details")


class BookStateConflict(Conflict):
    code = "book.state_conflict"
    title = "登记簿当前状态不允许该登记"


def _holders(parties: list[Mapping[str, Any]], role: str = "holder") -> list[dict[str, Any]]:
    keep = ("name", "id_type", "id_number", "share", "subject", "org_code")
    return [{k: p.get(k) for k in keep if p.get(k) is not None} for p in parties if p.get("role", "holder") == role]


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _require_current(prev: Mapping[str, Any] | None, app: Mapping[str, Any]) -> Mapping[str, Any]:
    if prev is None or prev["recorded_state"] != "current":
        raise BookStateConflict(
            f"单元尚无现势登记，不能办理 {app['type']} 登记", registration_type=app["type"]
        )
    return prev


def _carry(prev: Mapping[str, Any], *, now: datetime) -> dict[str, Any]:
    fields = {k: prev.get(k) for k in _CARRIED}
    # Lapsed objections and advance notices are not carried into the new version.
    fields["restrictions"] = [
        {k: v for k, v in r.items() if k != "rank"} for r in active_restrictions(prev.get("restrictions") or [], at=now)
    ]
    return fields


def _restriction(kind: str, app: Mapping[str, Any], *, now: datetime, **extra: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "kind": kind,
        "registered_at": now.isoformat(),
        "application_id": app["id"],
        **{k: v for k, v in extra.items() if v is not None},
    }


def _first_party(app: Mapping[str, Any], role: str) -> dict[str, Any] | None:
    parties = _holders(app["parties"], role=role)
    return parties[0] if parties else None


def next_entry(
    *,
    app: Mapping[str, Any],
    prev: Mapping[str, Any] | None,
    unit: Mapping[str, Any],
    now: datetime,
    objection_days: int,
    advance_notice_days: int,
    provisional: bool = False,
) -> dict[str, Any]:
    """The fields of the entry an application records (raises when the book forbids it)."""
    kind, details = app["type"], app.get("details") or {}
    restrictions_now = (prev or {}).get("restrictions") or []
    base = {"application_id": app["id"], "registration_type": kind, "recorded_state": "current", "corrects_entry_id": None}

    if kind == "first":
        if prev is not None and prev["recorded_state"] == "current":
            raise BookStateConflict("单元已有现势登记，不能再办理首次登记", registration_type=kind)
        if prev is not None and prev["recorded_state"] == "provisional" and prev.get("application_id") != app["id"]:
            raise BookStateConflict("单元已有其他申请的临时记载", registration_type=kind)
        entry_details = {k: details[k] for k in ("owner_representative", "agent_representative", "quantity", "quality")
                         if details.get(k) is not None}
        entry_details["control_lines"] = [
            {"line_type": h["line_type"], "line_id": h["line_id"], "overlap_m2": str(h["overlap_m2"]), "share": str(h["share"])}
            for h in unit.get("control_lines") or []
        ]
        return {
            **base,
            "recorded_state": "provisional" if provisional else "current",
            "right_type": details.get("right_type"),
            "holders": _holders(app["parties"]),
            "sharing": details.get("sharing"),
            "term_start": _date(details.get("term_start")),
            "term_end": _date(details.get("term_end")),
            "source": details.get("source"),
            "land_use": details.get("land_use"),
            "restrictions": [],
            "details": entry_details,
        }

    cancelled = prev is not None and prev["recorded_state"] == "terminated" and unit.get("status") == "cancelled"
    if kind == "correction" and cancelled:
        # 更正 of a cancelled unit's record: the fields are corrected, the unit stays cancelled.
        base["recorded_state"] = "terminated"
    else:
        prev = _require_current(prev, app)
    fields = {**_carry(prev, now=now), **base}
    if kind == "change":
        for key in ("land_use", "sharing", "source"):
            if details.get(key) is not None:
                fields[key] = details[key]
        for key in ("term_start", "term_end"):
            if details.get(key) is not None:
                fields[key] = _date(details[key])
        if _holders(app["parties"]):
            fields["holders"] = _holders(app["parties"])
    elif kind == "transfer":
        if unit.get("in_trade_listing_id") and unit["in_trade_listing_id"] != app.get("listing_id"):
            raise UnitInTrade(f"登记单元正在交易（项目 {unit['in_trade_listing_id']}），不受理转移登记",
                              listing_id=unit["in_trade_listing_id"])
        if has_active(restrictions_now, "seizure", at=now):
            raise UnitRestricted("登记单元已被查封，不能办理转移登记", restriction="seizure")
        new_holders = _holders(app["parties"])
        notices = [r for r in active_restrictions(restrictions_now, at=now) if r["kind"] == "advance_notice"]
        buyers = {(n.get("holder") or {}).get("id_number") for n in notices}
        if notices and not all(h.get("id_number") in buyers for h in new_holders):
            # 民法典 Art. 221: without the 预告 holder's consent a disposal has no real-right effect.
            raise UnitRestricted("存在预告登记，只能转移给预告登记权利人", restriction="advance_notice")
        fields["holders"] = new_holders
        fields["source"] = details.get("source") or "转让"
        if details.get("right_type"):
            fields["right_type"] = details["right_type"]
        for key in ("land_use", "sharing"):
            if details.get(key) is not None:
                fields[key] = details[key]
        for key in ("term_start", "term_end"):
            if details.get(key) is not None:
                fields[key] = _date(details[key])
        # The fulfilled advance notice ends with the transfer; mortgages follow the property (Art. 406).
        fields["restrictions"] = [r for r in fields["restrictions"] if r["kind"] != "advance_notice"]
    elif kind == "cancellation":
        if has_active(restrictions_now, "seizure", at=now):
            raise UnitRestricted("登记单元已被查封，不能办理注销登记", restriction="seizure")
        fields["recorded_state"] = "terminated"
        fields["source"] = details.get("reason") or fields.get("source")
    elif kind == "correction":
        fields["corrects_entry_id"] = details.get("corrects_entry_id") or prev["id"]
        for key, value in (details.get("corrections") or {}).items():
            if key not in ("right_type", "sharing", "source", "land_use", "term_start", "term_end"):
                raise ApplicationInvalid(f"不能更正字段 {key}", field=key)
            fields[key] = _date(value) if key.startswith("term_") else value
        if _holders(app["parties"]):
            fields["holders"] = _holders(app["parties"])
    elif kind == "objection":
        fields["restrictions"].append(
            _restriction("objection", app, now=now, holder=_first_party(app, "holder") or _first_party(app, "applicant"),
                         reason=details.get("reason"), lapses_at=(now + timedelta(days=objection_days)).isoformat())
        )
    elif kind == "advance_notice":
        fields["restrictions"].append(
            _restriction("advance_notice", app, now=now, holder=_first_party(app, "holder"),
                         lapses_at=(now + timedelta(days=advance_notice_days)).isoformat())
        )
    elif kind == "seizure":
        fields["restrictions"].append(
            _restriction("seizure", app, now=now, court=details.get("court"), document_no=details.get("document_no"),
                         until=details.get("until"))
        )
    elif kind == "mortgage":
        if has_active(restrictions_now, "seizure", at=now):
            raise UnitRestricted("登记单元已被查封，不能办理抵押登记", restriction="seizure")
        fields["restrictions"].append(
            _restriction("mortgage", app, now=now, holder=_first_party(app, "mortgagee"), amount=details.get("amount"),
                         debt_term_end=details.get("debt_term_end"))
        )
    elif kind == "mortgage_discharge":
        target = details.get("mortgage_id")
        if not any(r["id"] == target and r["kind"] == "mortgage" for r in fields["restrictions"]):
            raise BookStateConflict(f"抵押 {target} 不存在或已注销", mortgage_id=target)
        fields["restrictions"] = [r for r in fields["restrictions"] if r["id"] != target]
    else:  # pragma: no cover - the schema enum guards this
        raise ApplicationInvalid(f"未知的登记类型 {kind}")
    return fields

