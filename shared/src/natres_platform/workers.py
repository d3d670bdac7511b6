"""Helpers for long-running worker loops (relay, consumers) with clean shutdown on signals."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable


async def sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleep, waking early when `stop` is set."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass


async def run_until_signalled(*loops: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """Run worker loops together until SIGTERM/SIGINT, then let each finish its current step."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await asyncio.gather(*(fn(stop) for fn in loops))
