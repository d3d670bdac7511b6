"""Bank deposit callbacks: signature, freshness, replay, payload and deposit checks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from natres_platform.errors import ValidationFailed

from transactions.bidders.bank import (
    BankReplayed,
    BankSignatureInvalid,
    BankTimestampSkew,
    DepositInsufficient,
    DepositLate,
    check_deposit,
    parse_deposit_notice,
    sign_callback,
    verify_callback,
)

SECRET = b"bank-shared-secret-0123456789abcdef"
NOW = datetime(2026, 10, 12, 8, 0, tzinfo=UTC)
BODY = json.dumps({
    "listing_id": "7d4c0b5e-0000-4000-8000-000000000001",
    "bidder_registration_id": "7d4c0b5e-0000-4000-8000-000000000002",
    "amount": "2400000.00",
    "bank_reference": "ICBC20261012000123",
    "paid_at": "2026-10-12T07:59:00Z",
}).encode()


class Nonces:
    def __init__(self) -> None:
        self.seen: set[str] = set()

    def __call__(self, nonce: str) -> bool:
        known = nonce in self.seen
        self.seen.add(nonce)
        return known


def verify(body: bytes = BODY, headers=None, now: datetime = NOW, nonces: Nonces | None = None) -> None:
    if headers is None:
        headers = sign_callback(body=BODY, secret=SECRET, timestamp=NOW, nonce="n0nce-0001")
    verify_callback(body=body, headers=headers, secret=SECRET, now=now, seen_nonce=nonces or Nonces())


def test_valid_callback_passes_with_case_insensitive_headers():
    signed = sign_callback(body=BODY, secret=SECRET, timestamp=NOW, nonce="abcdefgh")
    headers = {k.lower(): v for k, v in signed.items()}
    verify(headers=headers)


def test_tampered_body_is_refused():
    with pytest.raises(BankSignatureInvalid) as info:
        verify(body=BODY.replace(b"2400000.00", b"2400001.00"))
    assert info.value.status_code == 401 and info.value.code == "bank.signature_invalid"


def test_wrong_secret_missing_or_non_hex_signature_is_refused():
    good = sign_callback(body=BODY, secret=b"other-secret", timestamp=NOW, nonce="abcdefgh")
    for headers in (good, {}, {**good, "X-Bank-Signature": "zz"}, {**good, "X-Bank-Signature": ""}):
        with pytest.raises(BankSignatureInvalid):
            verify(headers=headers)


def test_nonce_cannot_be_reframed_into_the_body():
    # Shifting a newline between nonce and body keeps the signed bytes identical.
    headers = sign_callback(body=b"x\n" + BODY, secret=SECRET, timestamp=NOW, nonce="abcdefgh")
    forged = {**headers, "X-Bank-Nonce": "abcdefgh\nx"}
    with pytest.raises(BankSignatureInvalid):
        verify(body=BODY, headers=forged)


def test_replayed_nonce_is_refused():
    nonces = Nonces()
    verify(nonces=nonces)
    with pytest.raises(BankReplayed) as info:
        verify(nonces=nonces)
    assert info.value.status_code == 409 and info.value.code == "bank.replayed"


def test_timestamp_skew_boundaries():
    verify(now=NOW + timedelta(minutes=5))
    verify(now=NOW - timedelta(minutes=5))
    for now in (NOW + timedelta(minutes=5, seconds=1), NOW - timedelta(minutes=5, seconds=1)):
        with pytest.raises(BankTimestampSkew) as info:
            verify(now=now)
        assert info.value.code == "bank.timestamp_skew"


def test_bad_signature_never_consumes_a_nonce():
    nonces = Nonces()
    with pytest.raises(BankSignatureInvalid):
        verify(body=b"{}", nonces=nonces)
    assert nonces.seen == set()


def test_sign_callback_refuses_unsafe_nonce():
    with pytest.raises(ValueError):
        sign_callback(body=BODY, secret=SECRET, timestamp=NOW, nonce="has\nnewline")


def test_notice_parses_amount_exactly():
    notice = parse_deposit_notice(body=BODY)
    assert notice.amount == Decimal("2400000.00") and notice.paid_at.tzinfo is not None


@pytest.mark.parametrize(
    "change",
    [{"amount": 2400000.5}, {"amount": "0"}, {"amount": "1.001"}, {"paid_at": "2026-10-12T07:59:00"}, {"extra": 1}],
)
def test_notice_rejects_bad_payloads(change):
    body = json.dumps({**json.loads(BODY), **change}).encode()
    with pytest.raises(ValidationFailed) as info:
        parse_deposit_notice(body=body)
    assert info.value.extensions["errors"]


def test_deposit_amount_and_deadline():
    notice = parse_deposit_notice(body=BODY)
    check_deposit(notice=notice, required=Decimal("2400000"), deadline=notice.paid_at)
    with pytest.raises(DepositInsufficient):
        check_deposit(notice=notice, required=Decimal("2400000.01"), deadline=notice.paid_at)
    with pytest.raises(DepositLate):
        check_deposit(notice=notice, required=Decimal("1"), deadline=notice.paid_at - timedelta(seconds=1))
