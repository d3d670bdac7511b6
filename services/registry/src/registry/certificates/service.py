"""Issue (gap-free number, signed payload, PDF) and verify certificates (一证一码)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from natres_platform.uow import UnitOfWork
from registry.admin.calendar import BEIJING
from registry.applications.types import CERTIFICATE_KIND, RIGHT_TYPES, TYPE_LABELS
from registry.book import repository as book_repo
from registry.book.rules import effective_state, present_entry
from registry.certificates.audit_hook import HttpAuditProofs, audit_section, issuance_event
from registry.certificates.numbering import format_certificate_number
from registry.certificates.payload import Holder, build_certificate_payload, payload_digest, sign_payload, verify_payload
from registry.certificates.render import render_certificate_pdf
from registry.errors import CertificateNotFound
from registry.runtime import Registry
from registry.units import repository as units_repo

_PROOF_RIGHTS = {"mortgage": "抵押权", "advance_notice": "预告登记", "objection": "异议登记"}


def verification_url(registry: Registry, certificate_id: str) -> str:
    """What the QR code opens: the public verification page of this certificate."""
    return f"{registry.settings.infra.public_base_url.rstrip('/')}/verify/certificates/{certificate_id}"


def numbering_region(office: str) -> str:
    """Whose sequence a number takes: the city for its 市辖区 (their numbers say 太原市), else the county."""
    return office[:4] + "00" if int(office[4:]) <= 20 else office


async def next_serial(uow: UnitOfWork, *, region: str, year: int, kind: str) -> int:
    """The next serial of a numbering region, year and kind, gap-free.

    The upsert takes the counter row's lock (as SELECT ... FOR UPDATE would) and keeps it until
    the issuing transaction ends: a concurrent issuer waits, and a rolled-back issuance gives
    its number back, so serials have no gaps and no duplicates.
    """
    return await uow.session.scalar(
        text(
            "INSERT INTO registry.certificate_counters (numbering_region, year, kind, last_serial) VALUES (:r, :y, :k, 1) "
            "ON CONFLICT (numbering_region, year, kind) DO UPDATE SET last_serial = certificate_counters.last_serial + 1 "
            "RETURNING last_serial"
        ),
        {"r": region, "y": year, "k": kind},
    )


def _holders_for(app: dict[str, Any], entry: dict[str, Any], kind: str) -> list[Holder]:
    if kind == "proof":
        restriction = next((r for r in entry["restrictions"] if r.get("application_id") == app["id"]), None)
        people = [restriction["holder"]] if restriction and restriction.get("holder") else []
    else:
        people = entry["holders"]
    return [
        Holder(name=p["name"], id_number=str(p.get("id_number", "")), id_type=p.get("id_type", "居民身份证"),
               share=p.get("share") if len(people) > 1 else None)
        for p in people
    ]


async def issue_for(uow: UnitOfWork, *, registry: Registry, app: dict[str, Any], office: str, actor: str) -> dict[str, Any]:
    """Number, sign, render and store the certificate of a recorded application."""
    kind = CERTIFICATE_KIND[app["type"]]
    entry = await book_repo.entry_by_id(uow.session, entry_id=app["book_entry_id"])
    unit = await units_repo.get_unit(uow.session, unit_id=app["unit_id"], with_geometry=False)
    issued_at = datetime.now(UTC).replace(microsecond=0)
    year = issued_at.astimezone(BEIJING).year
    region = numbering_region(office)
    serial = await next_serial(uow, region=region, year=year, kind=kind)
    regions = registry.regions
    number = format_certificate_number(kind=kind, year=year, place_name=regions.certificate_place_name(office), serial=serial)
    cert_id = str(uuid.uuid4())
    url = verification_url(registry, cert_id)
    holders = _holders_for(app, entry, kind) or [Holder(name=app["applicant_name"] or "—", id_number="—")]
    payload = build_certificate_payload(
        certificate_number=number,
        kind=kind,
        unit_code=unit["code"],
        location=unit.get("location") or regions.full_name(unit["county_code"]),
        right_type=_PROOF_RIGHTS.get(app["type"]) or RIGHT_TYPES.get(entry["right_type"] or "", entry["right_type"] or "—"),
        right_nature=f"{TYPE_LABELS[app['type']]}/{entry.get('source') or '—'}",
        land_use=entry.get("land_use") or "—",
        holders=holders,
        sharing=entry.get("sharing") or ("单独所有" if len(holders) == 1 else "按份共有"),
        area_m2=Decimal(unit["area_m2"]),
        term_start=entry.get("term_start"),
        term_end=entry.get("term_end"),
        issuing_office_region=office,
        issuing_office_name=f"{regions.full_name(office)}不动产登记中心",
        recorded_at=entry["recorded_at"],
        issued_at=issued_at,
        book_entry_id=entry["id"],
        book_entry_version=entry["version"],
        verification_url=url,
    )
    signature = sign_payload(payload, registry.signer.private_key)
    pdf = render_certificate_pdf(payload, qr_url=url, signature=signature)
    await uow.session.execute(
        text(
            "INSERT INTO registry.certificates (id, number, kind, office_region, numbering_region, year, serial, application_id, "
            "unit_id, book_entry_id, payload, signature, key_id, pdf, issued_at, issued_by) VALUES (:id, :number, :kind, :office, :region, "
            ":year, :serial, :app, :unit, :entry, CAST(:payload AS jsonb), :sig, :kid, :pdf, :at, :by)"
        ),
        {"id": cert_id, "number": number, "kind": kind, "office": office, "region": region, "year": year, "serial": serial,
         "app": app["id"], "unit": unit["id"], "entry": entry["id"], "payload": _json(payload), "sig": signature,
         "kid": registry.signer.key_id, "pdf": pdf, "at": issued_at, "by": actor},
    )
    return {"id": cert_id, "number": number, "kind": kind, "issued_at": issued_at, "payload_sha256": payload_digest(payload)}


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


async def load_certificate(uow: UnitOfWork, *, ref: str, with_pdf: bool = False) -> dict[str, Any]:
    """A certificate by id or by number, or 404."""
    cols = "id::text AS id, number, kind, office_region, application_id::text AS application_id, unit_id::text AS unit_id, " \
           "book_entry_id::text AS book_entry_id, payload, signature, key_id, issued_at" + (", pdf" if with_pdf else "")
    try:
        uuid.UUID(ref)
        where = "id = CAST(:r AS uuid)"
    except ValueError:
        where = "number = :r"
    row = (await uow.session.execute(text(f"SELECT {cols} FROM registry.certificates WHERE {where}"), {"r": ref})).mappings().first()
    if row is None:
        raise CertificateNotFound(f"证书 {ref} 不存在", certificate=ref)
    return dict(row)


async def verify(*, registry: Registry, ref: str, audit: Any = None) -> dict[str, Any]:
    """Signature validity, the certificate's book entry against the current book (the book prevails), audit proof."""
    audit = audit or HttpAuditProofs(registry.settings.audit_url)
    now = datetime.now(UTC)
    async with registry.uow() as uow:
        cert = await load_certificate(uow, ref=ref)
        entries = await book_repo.entries(uow.session, unit_id=cert["unit_id"])
        event = await issuance_event(uow.session, application_id=cert["application_id"])
    latest = entries[-1]
    own = next(e for e in entries if e["id"] == cert["book_entry_id"])
    own_state = effective_state(own, latest_version=latest["version"])
    signature_valid = verify_payload(cert["payload"], cert["signature"], registry.signer.public_key)
    digest = payload_digest(cert["payload"])
    return {
        "certificate_id": cert["id"],
        "number": cert["number"],
        "kind": cert["kind"],
        "issued_at": cert["issued_at"],
        "signature": {"algorithm": "Ed25519", "key_id": cert["key_id"], "valid": signature_valid,
                      "payload_sha256": digest, "public_key_pem": registry.signer.public_pem()},
        "payload": cert["payload"],
        "book": {
            "entry_id": own["id"],
            "entry_version": own["version"],
            "entry_state": own_state,
            "certificate_matches_current_book": own["id"] == latest["id"] and own_state == "current",
            "current_entry": present_entry(latest, latest_version=latest["version"], at=now),
            "note": "不动产权利以登记簿为准（民法典第二百一十七条）",
        },
        "audit": audit_section(event=event, proof=await audit.inclusion_proof(event=event) if event else None),
    }
