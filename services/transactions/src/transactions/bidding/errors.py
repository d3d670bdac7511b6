"""Bidding errors beyond the pure rules' ones."""

from __future__ import annotations

from natres_platform.errors import Conflict, ValidationFailed


class IdempotencyKeyReused(ValidationFailed):
    code = "bid.idempotency_key_reused"
    title = "幂等键已用于另一笔不同金额的报价"


class IdempotencyKeyInvalid(ValidationFailed):
    code = "bid.idempotency_key_invalid"
    title = "幂等键格式错误（1-128 位字母、数字或 -_.:）"


class TenderAlreadySubmitted(Conflict):
    code = "bid.tender_already_submitted"
    title = "已提交过密封投标报价，不能再次提交"


class ContinueNotAllowed(Conflict):
    code = "bid.continue_not_allowed"
    title = "当前不能申请参加限时竞价"


class RaiseNotForTender(ValidationFailed):
    code = "bid.raise_not_for_tender"
    title = "密封投标须直接报价，不能使用加价"
