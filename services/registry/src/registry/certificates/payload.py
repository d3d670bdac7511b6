"""The signed certificate payload: canonical JSON (RFC 8785), Ed25519 signature, masked ids."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from registry.certificates.numbering import CertificateKind

__all__ = [
    "PAYLOAD_SCHEMA",
    "Holder",
    "build_certificate_payload",
    "canonical_bytes",
    "mask_id_number",
    "payload_digest",
    "sign_payload",
    "signature_fingerprint",
    "verify_payload",
]

PAYLOAD_SCHEMA = "natres.certificate.v1"


@dataclass(frozen=True)
class Holder:
    """A right holder as printed on the certificate; the id number is masked when built."""

    name: str
    id_number: str
    id_type: str = "居民身份证"
    share: str | None = None  # e.g. "1/2" for 按份共有; None when sole or 共同共有


def build_certificate_payload(
    *,
    certificate_number: str,
    kind: CertificateKind,
    unit_code: str,
    location: str,
    right_type: str,
    right_nature: str,
    land_use: str,
    holders: Sequence[Holder],
    sharing: str,
    area_m2: Decimal | str | int,
    term_start: date | None,
    term_end: date | None,
    issuing_office_region: str,
    issuing_office_name: str,
    recorded_at: datetime,
    issued_at: datetime,
    book_entry_id: str,
    book_entry_version: int,
    verification_url: str,
) -> dict[str, Any]:
    """The certificate content as a JSON-ready dict; only strings, ints and nulls (no floats)."""
    if isinstance(area_m2, float):
        raise TypeError("area_m2 must be a Decimal, int or decimal string, never a float")
    area = Decimal(area_m2)
    if not area.is_finite() or area < 0:
        raise ValueError(f"area_m2 must be a non-negative number, got {area_m2!r}")
    if not holders:
        raise ValueError("a certificate names at least one holder")
    return {
        "schema": PAYLOAD_SCHEMA,
        "certificate_number": certificate_number,
        "kind": kind,
        "unit_code": unit_code,
        "location": location,
        "right_type": right_type,
        "right_nature": right_nature,
        "land_use": land_use,
        "holders": [
            {"name": h.name, "id_type": h.id_type, "id_number": mask_id_number(h.id_number), "share": h.share}
            for h in holders
        ],
        "sharing": sharing,
        "area_m2": str(area),
        "term": None if term_start is None and term_end is None else {
            "start": term_start.isoformat() if term_start else None,
            "end": term_end.isoformat() if term_end else None,
        },
        "issuing_office": {"region": issuing_office_region, "name": issuing_office_name},
        "recorded_at": _rfc3339_utc(recorded_at),
        "issued_at": _rfc3339_utc(issued_at),
        "book_entry": {"id": book_entry_id, "version": book_entry_version},
        "verification_url": verification_url,
    }


def _rfc3339_utc(moment: datetime) -> str:
    # A naive time has no meaning once signed: refuse it rather than guess the zone.
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def canonical_bytes(payload: Mapping[str, Any]) -> bytes:
    """RFC 8785 (JCS) bytes: the exact bytes that are signed and hashed."""
    return rfc8785.dumps(payload)


def payload_digest(payload: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical bytes, hex (what the audit log records)."""
    return hashlib.sha256(canonical_bytes(payload)).hexdigest()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_payload(payload: Mapping[str, Any], private_key: Ed25519PrivateKey) -> str:
    """Ed25519 signature over the canonical bytes, base64url without padding."""
    return _b64url(private_key.sign(canonical_bytes(payload)))


def verify_payload(payload: Mapping[str, Any], signature: str, public_key: Ed25519PublicKey) -> bool:
    """Whether the signature matches the payload; any change to the payload makes it False."""
    try:
        public_key.verify(_b64url_decode(signature), canonical_bytes(payload))
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def signature_fingerprint(signature: str) -> str:
    """Short SHA-256 fingerprint of a signature for print, e.g. 'SHA256:1a2b 3c4d …' (16 bytes)."""
    digest = hashlib.sha256(_b64url_decode(signature)).hexdigest()[:32]
    return "SHA256:" + " ".join(digest[i : i + 4] for i in range(0, 32, 4))


# --- identity numbers --------------------------------------------------------------------

_RESIDENT_ID_RE = re.compile(r"^\d{17}[\dX]$")
_RESIDENT_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_RE = re.compile(rf"^[{_USCC_CHARS}]{{18}}$")
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def _is_valid_resident_id(number: str) -> bool:
    """GB 11643 check digit and a real birth date."""
    if not _RESIDENT_ID_RE.match(number):
        return False
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    total = sum(int(c) * w for c, w in zip(number[:17], _RESIDENT_WEIGHTS))
    return "10X98765432"[total % 11] == number[17]


def _is_valid_uscc(number: str) -> bool:
    """GB 32100 统一社会信用代码 check character."""
    if not _USCC_RE.match(number):
        return False
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(number[:17], _USCC_WEIGHTS))
    return _USCC_CHARS[(31 - total % 31) % 31] == number[17]


def mask_id_number(number: str) -> str:
    """Mask a personal id: 居民身份证 keeps 6 + 4, others 2 + 2; a 统一社会信用代码 stays visible."""
    if "*" in number:
        return number  # already masked: masking twice would hide the parts meant to stay
    upper = number.strip().upper()
    # A real resident id wins over the credit-code reading: an all-digit string can pass both
    # checks, and showing a person's id by mistake is the worse error.
    if _is_valid_resident_id(upper):
        return upper[:6] + "*" * 8 + upper[-4:]
    if _is_valid_uscc(upper):
        return upper
    if _RESIDENT_ID_RE.match(upper):
        return upper[:6] + "*" * 8 + upper[-4:]
    if len(number) <= 4:
        return "*" * len(number)
    return number[:2] + "*" * (len(number) - 4) + number[-2:]
