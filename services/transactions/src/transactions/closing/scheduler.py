"""The closing scheduler: polls due listings; deadlines live in the database, so restarts lose nothing."""

from __future__ import annotations

import asyncio
import logging

from natres_platform.workers import sleep_or_stop

from transactions.closing.service import run_due
from transactions.trading import Trading

log = logging.getLogger(__name__)


class ClosingScheduler:
    """Runs beside the relay and consumers (`natres-transactions worker`); several may run at once."""

    def __init__(self, trading: Trading) -> None:
        self._trading = trading

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until stopped; a database outage only delays the steps."""
        interval = self._trading.settings.scheduler_poll_seconds
        while not stop.is_set():
            try:
                await run_due(trading=self._trading)
            except Exception:  # noqa: BLE001 - the scheduler must outlive any outage
                log.exception("scheduler: poll failed")
            await sleep_or_stop(stop, interval)
