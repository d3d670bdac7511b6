"""The worker loop that publishes a checkpoint at an interval when the log has grown."""

from __future__ import annotations

import asyncio
import logging

from audit.checkpoints.service import publish_checkpoint
from audit.runtime import AuditRuntime
from natres_platform.workers import sleep_or_stop

log = logging.getLogger(__name__)


class CheckpointPublisher:
    """Fits run_cli's worker list: `await publisher.run(stop)`."""

    def __init__(self, *, runtime: AuditRuntime, interval_seconds: float | None = None) -> None:
        self._runtime = runtime
        self._interval = interval_seconds or runtime.settings.checkpoint_interval_seconds
        # The service account, named as the other services name theirs in events.
        self._actor = f"service:{runtime.settings.client_id}"

    async def run(self, stop: asyncio.Event) -> None:
        """Publish, sleep, repeat until stopped; an outage only delays the next checkpoint."""
        while not stop.is_set():
            try:
                await publish_checkpoint(runtime=self._runtime, actor=self._actor, only_if_news=True)
            except Exception as exc:  # noqa: BLE001 - the publisher must outlive any outage
                log.warning("checkpoint publication failed, retrying", extra={"error": repr(exc)})
            await sleep_or_stop(stop, self._interval)
