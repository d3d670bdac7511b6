"""What the trading code needs besides the platform context: settings, rules, calendar, keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from natres_platform.context import ServiceContext
from natres_platform.uow import UnitOfWork
from natres_platform.workdays import WorkdayCalendar

from transactions.listings.terms import TradingRules
from transactions.settings import TransactionsSettings


@dataclass
class Trading:
    """Built once per process next to the ServiceContext and passed to every service function."""

    ctx: ServiceContext
    settings: TransactionsSettings
    rules: TradingRules = field(init=False)
    calendar: WorkdayCalendar = field(default_factory=WorkdayCalendar)

    def __post_init__(self) -> None:
        self.rules = self.settings.trading_rules()

    @classmethod
    def build(cls, settings: TransactionsSettings) -> Trading:
        """A context with its own engine (never at import time)."""
        return cls(ctx=ServiceContext.build(settings), settings=settings)

    def uow(self) -> UnitOfWork:
        """A fresh unit of work (domain rows and outbox events commit together)."""
        return self.ctx.uow()

    @property
    def countdown(self) -> timedelta:
        """限时竞价 / 拍卖 countdown that restarts on every accepted bid."""
        return timedelta(seconds=self.settings.countdown_seconds)

    @property
    def bank_secret(self) -> bytes:
        return self.settings.bank_secret.encode()

    @property
    def number_key(self) -> bytes:
        return self.settings.bidder_number_key.encode()

    @property
    def tender_secret(self) -> bytes:
        return self.settings.tender_secret.encode()
