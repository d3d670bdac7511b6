"""Bank deposit callbacks: HMAC-SHA256 signed, fresh (timestamp) and never replayed (nonce)."""

# Signed message: timestamp + "\n" + nonce + "\n" + body (timestamp in Unix seconds,
# signature as hex). Timestamp and nonce may not contain a newline, so a captured signature
# cannot be re-framed into another (nonce, body) pair to dodge the replay check.

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from natres_platform.errors import Conflict, Unauthenticated, ValidationFailed
from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

TIMESTAMP_HEADER = "X-Bank-Timestamp"
NONCE_HEADER = "X-Bank-Nonce"
SIGNATURE_HEADER = "X-Bank-Signature"
DEFAULT_MAX_SKEW = timedelta(minutes=5)

_TIMESTAMP_RE = re.compile(r"[0-9]{1,12}")
_NONCE_RE = re.compile(r"[A-Za-z0-9_-]{8,64}")


class BankSignatureInvalid(Unauthenticated):
    code = "bank.signature_invalid"
    title = "银行回调签名无效"


class BankTimestampSkew(Unauthenticated):
    code = "bank.timestamp_skew"
    title = "银行回调时间戳超出允许偏差"


class BankReplayed(Conflict):
    code = "bank.replayed"
    title = "银行回调重复（随机串已使用）"


class DepositInsufficient(Conflict):
    code = "deposit.insufficient"
    title = "保证金到账金额不足"


class DepositLate(Conflict):
    code = "deposit.late"
    title = "保证金到账时间晚于截止时间"


def _no_float(value: Any) -> Any:
    # A JSON float has already lost the cents exactness; banks must send a decimal string.
    if isinstance(value, float):
        raise ValueError("amount must be a decimal string, not a float")
    return value


class DepositNotice(BaseModel):
    """The bank's notice that a bidder's deposit has arrived."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    listing_id: UUID
    bidder_registration_id: UUID
    amount: Annotated[Decimal, BeforeValidator(_no_float), Field(gt=0, decimal_places=2, max_digits=18)]
    bank_reference: str = Field(min_length=1, max_length=64)
    paid_at: AwareDatetime


def message(*, timestamp: str, nonce: str, body: bytes) -> bytes:
    """The exact bytes that are signed."""
    return f"{timestamp}\n{nonce}\n".encode("ascii") + body


def sign_callback(*, body: bytes, secret: bytes, timestamp: datetime, nonce: str) -> dict[str, str]:
    """Headers a (simulated) bank sends with `body`."""
    if not _NONCE_RE.fullmatch(nonce):
        raise ValueError("nonce must be 8-64 characters of [A-Za-z0-9_-]")
    ts = str(int(timestamp.timestamp()))
    signature = hmac.new(secret, message(timestamp=ts, nonce=nonce, body=body), hashlib.sha256).hexdigest()
    return {TIMESTAMP_HEADER: ts, NONCE_HEADER: nonce, SIGNATURE_HEADER: signature}


def verify_callback(
    *,
    body: bytes,
    headers: Mapping[str, str],
    secret: bytes,
    now: datetime,
    seen_nonce: Callable[[str], bool],
    max_skew: timedelta = DEFAULT_MAX_SKEW,
) -> None:
    """Raise unless the callback is signed, fresh and new; return quietly if it is all three."""
    # `seen_nonce(nonce)` must record the nonce and say whether it was already there, atomically
    # (e.g. INSERT ... ON CONFLICT DO NOTHING); nonces need keeping only for 2 × max_skew.
    # The signature is checked first so unauthenticated callers learn nothing else and
    # cannot fill the nonce store.
    lowered = {k.lower(): v for k, v in headers.items()}
    ts = lowered.get(TIMESTAMP_HEADER.lower(), "")
    nonce = lowered.get(NONCE_HEADER.lower(), "")
    given = lowered.get(SIGNATURE_HEADER.lower(), "")
    if not (_TIMESTAMP_RE.fullmatch(ts) and _NONCE_RE.fullmatch(nonce)):
        raise BankSignatureInvalid("回调缺少或含有格式错误的时间戳、随机串")
    try:
        given_bytes = bytes.fromhex(given)
    except ValueError:
        raise BankSignatureInvalid("签名不是十六进制串") from None
    expected = hmac.new(secret, message(timestamp=ts, nonce=nonce, body=body), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, given_bytes):
        raise BankSignatureInvalid()
    sent_at = datetime.fromtimestamp(int(ts), tz=UTC)
    if abs(now - sent_at) > max_skew:
        raise BankTimestampSkew(
            server_time=now.astimezone(UTC).isoformat(), max_skew_seconds=int(max_skew.total_seconds())
        )
    if seen_nonce(nonce):
        raise BankReplayed(nonce=nonce)


def parse_deposit_notice(*, body: bytes) -> DepositNotice:
    """Parse a verified callback body, or raise ValidationFailed naming the bad fields."""
    try:
        return DepositNotice.model_validate_json(body)
    except PydanticValidationError as exc:
        errors = [{"field": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in exc.errors()]
        raise ValidationFailed("保证金到账通知格式错误", errors=errors) from None


def check_deposit(*, notice: DepositNotice, required: Decimal, deadline: datetime) -> None:
    """Raise unless the notice pays at least the required deposit by the deadline."""
    if notice.amount < required:
        raise DepositInsufficient(amount=str(notice.amount), required=str(required))
    if notice.paid_at > deadline:
        raise DepositLate(paid_at=notice.paid_at.isoformat(), deadline=deadline.isoformat())
