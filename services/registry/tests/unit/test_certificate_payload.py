"""Certificate payload: content, canonical bytes, Ed25519 signature, masked identity numbers."""

import copy
from datetime import datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.certificates.payload import (
    Holder,
    build_certificate_payload,
    canonical_bytes,
    mask_id_number,
    payload_digest,
    sign_payload,
    signature_fingerprint,
    verify_payload,
)


def test_payload_masks_personal_ids_and_keeps_credit_codes(certificate_payload):
    holders = certificate_payload["holders"]
    assert holders[0]["id_number"] == "140107********1230"
    assert holders[1]["id_number"] == "91350100M000100Y43"
    assert certificate_payload["area_m2"] == "98.76"
    assert certificate_payload["issued_at"] == "2026-03-02T02:00:00Z"
    assert certificate_payload["term"] == {"start": "2026-01-01", "end": "2095-12-31"}
    assert certificate_payload["book_entry"] == {"id": "0b6f3c1e-7d1a-4c53-9f0e-2d4c8a1b5e77", "version": 3}


def test_canonical_bytes_ignore_key_order(certificate_payload):
    reordered = dict(reversed(list(certificate_payload.items())))
    assert canonical_bytes(reordered) == canonical_bytes(certificate_payload)
    assert canonical_bytes(certificate_payload).startswith(b'{"area_m2":"98.76","book_entry":')
    assert len(payload_digest(certificate_payload)) == 64


def test_signature_verifies_and_any_change_breaks_it(certificate_payload):
    key = Ed25519PrivateKey.generate()
    signature = sign_payload(certificate_payload, key)
    assert "=" not in signature and len(signature) == 86  # 64 bytes, base64url unpadded
    assert verify_payload(certificate_payload, signature, key.public_key())
    tampered = copy.deepcopy(certificate_payload)
    tampered["holders"][1]["share"] = "2/3"
    assert not verify_payload(tampered, signature, key.public_key())
    assert not verify_payload(certificate_payload, signature, Ed25519PrivateKey.generate().public_key())
    assert not verify_payload(certificate_payload, "not base64!", key.public_key())


def test_signature_fingerprint_is_short_and_stable():
    fingerprint = signature_fingerprint("A" * 86)
    assert fingerprint.startswith("SHA256:") and len(fingerprint.split()) == 8
    assert fingerprint == signature_fingerprint("A" * 86)


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("140107199001011230", "140107********1230"),
        ("140107199001011234", "140107********1234"),  # bad check digit: still masked as an id
        ("14010719900101123x", "140107********123X"),
        ("91350100M000100Y43", "91350100M000100Y43"),
        ("G12345678", "G1*****78"),
        ("140107********1230", "140107********1230"),  # already masked
        ("abc", "***"),
    ],
)
def test_mask_id_number(raw, masked):
    assert mask_id_number(raw) == masked


def test_floats_and_naive_times_are_refused():
    base = {
        "certificate_number": "晋(2026)太原市不动产权第0000002号",
        "kind": "right",
        "unit_code": "140107003002GB00012F00010002",
        "location": "x", "right_type": "x", "right_nature": "x", "land_use": "x",
        "holders": [Holder(name="张三", id_number="140107199001011230")],
        "sharing": "单独所有", "area_m2": "1", "term_start": None, "term_end": None,
        "issuing_office_region": "140107", "issuing_office_name": "x",
        "recorded_at": datetime.fromisoformat("2026-03-02T01:30:00+00:00"),
        "issued_at": datetime.fromisoformat("2026-03-02T01:30:00+00:00"),
        "book_entry_id": "e", "book_entry_version": 1, "verification_url": "https://x",
    }
    assert build_certificate_payload(**base)["term"] is None
    with pytest.raises(TypeError):
        build_certificate_payload(**base | {"area_m2": 1.5})
    with pytest.raises(ValueError):
        build_certificate_payload(**base | {"issued_at": datetime(2026, 3, 2)})
