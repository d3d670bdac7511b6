"""Settlement errors with stable codes."""

from __future__ import annotations

from natres_platform.errors import Conflict, Forbidden, NotFound


class ContractAlreadySigned(Conflict):
    code = "settlement.contract_already_signed"
    title = "出让合同已签订"


class ContractNotSigned(Conflict):
    code = "settlement.contract_not_signed"
    title = "出让合同尚未签订，不能公示结果"


class ResultNotPublished(NotFound):
    code = "settlement.result_not_published"
    title = "交易结果尚未公示"


class ConfirmationNotYours(Forbidden):
    code = "settlement.not_winner"
    title = "仅竞得人、交易管理员和监管人员可下载成交确认书"


class WinnerDefaulted(Conflict):
    code = "settlement.winner_defaulted"
    title = "竞得人已逾期违约，成交结果不再履行"
