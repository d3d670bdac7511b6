"""Listing errors with stable codes (rendered as problem+json by the platform handler)."""

from __future__ import annotations

from natres_platform.errors import Conflict, NotFound, ValidationFailed


class ListingNotFound(NotFound):
    code = "listing.not_found"
    title = "交易项目不存在"


class UnitNotFound(ValidationFailed):
    code = "listing.unit_not_found"
    title = "登记单元不存在"


class UnitNotTradable(Conflict):
    code = "listing.unit_not_tradable"
    title = "登记单元当前不能交易"


class UnitAlreadyListed(Conflict):
    code = "listing.unit_in_trade"
    title = "该登记单元已有未结束的交易项目"


class TermsLocked(Conflict):
    code = "listing.terms_locked"
    title = "竞价开始后不得变更出让条件"


class NotConcluded(Conflict):
    code = "listing.not_concluded"
    title = "项目尚未成交"
