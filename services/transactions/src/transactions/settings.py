"""Transactions settings: shared infrastructure plus what only this service needs (env prefix TRANSACTIONS_)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from natres_platform.settings import ServiceSettings
from transactions.listings.terms import TradingRules

# Development-only secrets: the deploy environment must override every one of them.
_DEV_BANK_SECRET = "dev-only-bank-callback-secret-0123456789abcdef"
_DEV_NUMBER_KEY = "dev-only-bidder-number-key-0123456789abcdef"
_DEV_TENDER_SECRET = "dev-only-tender-sealing-secret-0123456789abcdef"


class TransactionsSettings(ServiceSettings):
    """Defaults match the local native stack (deploy/local); override with TRANSACTIONS_* variables."""

    model_config = SettingsConfigDict(env_prefix="TRANSACTIONS_", extra="ignore")

    service_name: str = "transactions"
    db_user: str = "transactions_app"
    db_password: str = "transactions_app"
    db_owner_user: str = "transactions_owner"
    db_owner_password: str = "transactions_owner"
    topic: str = "natres.transactions.v1"
    audience: str = "natres-transactions"
    client_id: str = "natres-transactions"
    client_secret: str = "transactions-secret"
    http_port: int = 8002
    consumer_group: str = "natres-transactions"
    # The registry's topic (trade_marked / trade_cleared), consumed by the saga consumer.
    registry_topic: str = "natres.registry.v1"
    db_pool_size: int = 20
    db_max_overflow: int = 20
    # The bid hot path's own asyncpg pool (one stored-function call per bid, no ORM, no pre-ping). Small
    # on purpose: bids on one listing serialise on its row lock anyway, and more sessions waiting
    # on that lock cost PostgreSQL CPU (measured with `bench --pool`: 4-8 per process beat 25 on 2 cores).
    bid_pool_size: int = 8
    # Most bids one place_bids() call admits on one listing (group commit, bidding/batcher.py); 1 = one by one.
    bid_batch_size: int = 64
    # Answer well-formed bid requests before FastAPI's router (bidding/fastpath.py); off = the route only.
    bid_fast_path: bool = True
    # TRANSACTIONS_HTTP_WORKERS (ServiceSettings.http_workers) > 1 runs several uvicorn processes: bid
    # admission, sequence, idempotency and deadline are decided in the database under the row lock.

    # Trading numbers (domain-rules.md); the countdown is short in tests, 4 minutes in law.
    countdown_seconds: float = 240.0
    announcement_min_days: int = 20
    mining_announcement_min_working_days: int = 20
    listing_min_working_days: int = 10
    mining_min_qualified_bidders: int = 3
    late_bid_seconds: float = 30.0
    premium_alert_ratio: Decimal = Decimal("0.5")
    bidders_per_address_alert: int = 2
    # chinese-calendar stops at 2026. True: working days of a year without holiday data (and without
    # a complete set of admin overrides) are counted Monday-Friday and the listing is marked
    # schedule_provisional; False: such schedules are refused (listing.terms_invalid, calendar_not_covered).
    allow_provisional_calendar: bool = True

    # Settlement deadlines in working days after the conclusion (domain-rules.md, online rules):
    # the winner signs the 成交确认书, the 出让合同 is signed (else the winner defaults), the result is published.
    confirmation_working_days_land: int = 2
    confirmation_working_days_mining: int = 3
    contract_working_days: int = 10
    publication_working_days_land: int = 10
    publication_working_days_mining: int = 5
    # How long a published result (结果公示) stays shown, in working days after the publication day:
    # mining ≥ 10 (online rules). The rules give no minimum for land; 10 as for mining is the
    # conservative default (showing longer breaks no rule, removing early might).
    result_shown_working_days_mining: int = Field(default=10, ge=10)
    result_shown_working_days_land: int = Field(default=10, ge=1)
    # A defaulting winner may not register for new listings for this long (0: until lifted).
    blacklist_days: int = 1095

    # Secrets (≥ 32 bytes each).
    bank_secret: str = _DEV_BANK_SECRET
    bank_max_skew_seconds: int = 300
    bidder_number_key: str = _DEV_NUMBER_KEY
    tender_secret: str = _DEV_TENDER_SECRET
    # The demo's simulated bank endpoint; off in any real deployment.
    simulated_bank: bool = True

    # Peers whose X-Forwarded-For is believed (the gateway); everyone else is the client.
    trusted_proxies: list[str] = []

    scheduler_poll_seconds: float = 0.5
    feed_poll_seconds: float = 0.25
    feed_heartbeat_seconds: float = 15.0
    # The registry view of sellable units (created by the registry; SELECT granted to us).
    units_view: str = "registry.units_for_trade"

    def trading_rules(self) -> TradingRules:
        """The pure rules' configuration object."""
        return TradingRules(
            announcement_min_days=self.announcement_min_days,
            mining_announcement_min_working_days=self.mining_announcement_min_working_days,
            listing_min_working_days=self.listing_min_working_days,
            timed_bidding_countdown=timedelta(seconds=self.countdown_seconds),
            mining_min_qualified_bidders=self.mining_min_qualified_bidders,
            late_bid_window=timedelta(seconds=self.late_bid_seconds),
            premium_alert_ratio=self.premium_alert_ratio,
            bidders_per_address_alert=self.bidders_per_address_alert,
            allow_provisional_calendar=self.allow_provisional_calendar,
        )
