"""A lean HTTP/1.1 keep-alive load generator, and CPU accounting per process from /proc.

httpx costs about 1.5 ms of CPU per request on this machine, as much as the service itself: on
two cores that CPU is taken from the server and PostgreSQL being measured. This client (asyncio
streams, one connection per worker, Content-Length or chunked bodies) costs a few tens of µs, in
the spirit of wrk / hey. The bench prints what its client spent, whichever one is used.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import httpx

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Reply:
    """Status, lower-cased headers and body of one response."""

    status: int
    headers: dict[str, str]
    body: bytes


class Connection:
    """One keep-alive connection; requests on it are sequential."""

    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self._host, self._port)

    async def request(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                      body: bytes = b"") -> Reply:
        """Send one request and read the whole response (reconnects once if the server closed)."""
        for attempt in (0, 1):
            if self._writer is None:
                await self._open()
            try:
                return await self._exchange(method, path, headers or {}, body)
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def _exchange(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        assert self._reader is not None and self._writer is not None
        head = [f"{method} {path} HTTP/1.1", f"Host: {self._host}:{self._port}", f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        self._writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        raw = await self._reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        got = {}
        for line in lines[1:]:
            if line:
                k, _, v = line.partition(":")
                got[k.strip().lower()] = v.strip()
        if "content-length" in got:
            content = await self._reader.readexactly(int(got["content-length"]))
        elif got.get("transfer-encoding") == "chunked":
            content = await self._chunked()
        else:
            content = b""
        if got.get("connection") == "close":
            self.close()
        return Reply(status, got, content)

    async def _chunked(self) -> bytes:
        assert self._reader is not None
        parts = []
        while True:
            size = int((await self._reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self._reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await self._reader.readexactly(size))
            await self._reader.readexactly(2)

    def close(self) -> None:
        """Drop the connection (the next request reconnects)."""
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


class HttpxConnection:
    """The same interface over httpx (keep-alive), to show what a heavier client costs."""

    def __init__(self, host: str, port: int) -> None:
        self._client = httpx.AsyncClient(base_url=f"http://{host}:{port}", timeout=60)

    async def request(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                      body: bytes = b"") -> Reply:
        """Send one request."""
        r = await self._client.request(method, path, headers=headers, content=body or None)
        return Reply(r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.content)

    def close(self) -> None:
        """Closed with the event loop's end (httpx needs an await)."""


def connection(kind: str, host: str, port: int) -> Connection | HttpxConnection:
    """`lean` (default) or `httpx`."""
    return HttpxConnection(host, port) if kind == "httpx" else Connection(host, port)


# --- CPU accounting ------------------------------------------------------------------------------

def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, 0 when it is gone."""
    fields = _stat(pid)
    if fields is None:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def children_of(pid: int) -> list[int]:
    """Direct children of a process."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields is not None and int(fields[1]) == pid:
                out.append(int(entry))
    return out


def parent_of(pid: int) -> int | None:
    """A process's parent."""
    fields = _stat(pid)
    return int(fields[1]) if fields else None


@dataclass(frozen=True)
class ProcessTree:
    """A root process and its live children, optionally only those whose command line contains `match`.

    PostgreSQL names each backend after its role (`postgres: registry_app natres ...`), so matching the
    role counts this service's backends and not those of other services sharing the cluster. Processes
    that exit during a run are not counted (their reaped time would include work from before the run).
    """

    root: int
    match: str | None = None
    include_root: bool = True

    def snapshot(self) -> dict[int, float]:
        """CPU seconds per pid right now."""
        out = {self.root: cpu_seconds(self.root)} if self.include_root else {}
        for child in children_of(self.root):
            if self.match is None or self.match in _cmdline(child):
                out[child] = cpu_seconds(child)
        return out


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode("latin-1")
    except (FileNotFoundError, ProcessLookupError):
        return ""


def spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two snapshots of one tree (processes seen in both, or new ones)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items() if seconds)


@dataclass
class CpuMeter:
    """CPU seconds spent by process trees (server, PostgreSQL, ...) and by this process over a run."""

    trees: dict[str, ProcessTree]
    spent: dict[str, float] = field(default_factory=dict)
    wall: float = 0.0

    async def measure(self, run: Callable[[], Awaitable[None]]) -> None:
        """Run and record wall time and CPU per tree; this process is `client`."""
        before = {name: tree.snapshot() for name, tree in self.trees.items()}
        own = time.process_time()
        started = time.perf_counter()
        await run()
        self.wall = time.perf_counter() - started
        own = time.process_time() - own
        self.spent = {"client": own}
        for name, tree in self.trees.items():
            self.spent[name] = spent(before[name], tree.snapshot())

    def per_op(self, ops: int) -> str:
        """'client 0.05 · server 0.61 · postgres 0.92 ms CPU/op'."""
        parts = [f"{name} {seconds / max(ops, 1) * 1000:.2f}" for name, seconds in self.spent.items()]
        return " · ".join(parts) + " ms CPU/op"

    def busy(self) -> float:
        """Share of the machine's cores the measured processes kept busy."""
        return sum(self.spent.values()) / max(self.wall, 1e-9) / (os.cpu_count() or 1)


async def run_workers(concurrency: int, jobs: Sequence, fn: Callable[[int, object], Awaitable[None]]) -> None:
    """Run jobs through fn(worker_index, job) with `concurrency` workers pulling from one queue."""
    queue: asyncio.Queue = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)

    async def worker(index: int) -> None:
        while not queue.empty():
            await fn(index, queue.get_nowait())

    await asyncio.gather(*(worker(i) for i in range(concurrency)))
