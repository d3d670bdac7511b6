"""Bidder errors with stable codes."""

from __future__ import annotations

from natres_platform.errors import Conflict, Forbidden, NotFound


class RegistrationNotFound(NotFound):
    code = "bidder.registration_not_found"
    title = "报名记录不存在"


class RegistrationClosed(Conflict):
    code = "bidder.registration_closed"
    title = "当前不在报名期内"


class AlreadyRegistered(Conflict):
    code = "bidder.already_registered"
    title = "已报名该项目"


class BidderBlacklisted(Forbidden):
    code = "bidder.blacklisted"
    title = "竞买人因违约被列入黑名单，暂不能报名"


class DepositNotConfirmed(Conflict):
    code = "bidder.deposit_not_confirmed"
    title = "保证金尚未到账，不能进行资格审核"


class RegistrationNotPending(Conflict):
    code = "bidder.not_pending"
    title = "报名记录当前状态不允许此操作"


class DepositAlreadyPaid(Conflict):
    code = "deposit.already_confirmed"
    title = "该报名的保证金已确认到账"


class SimulatedBankDisabled(Forbidden):
    code = "bank.simulator_disabled"
    title = "模拟银行未启用"


class NotYourRegistration(Forbidden):
    code = "bidder.not_owner"
    title = "不是本人的报名记录"
