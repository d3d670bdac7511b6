"""The service under test: `natres-registry serve` (production settings) on a free port, stopped by its pid."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from registry.bench.http import Connection, children_of


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """One uvicorn master (and its workers when there are several)."""

    port: int
    workers: int
    process: subprocess.Popen
    log_path: Path
    command: list[str] = field(default_factory=list)

    @classmethod
    async def start(cls, *, workers: int, timeout: float = 60) -> Server:
        """Start like ./natres does (`natres-registry serve`), settings from the environment, and wait for /healthz."""
        port = free_port()
        log = tempfile.NamedTemporaryFile(prefix="natres-bench-server-", suffix=".log", delete=False)
        command = [sys.executable, "-m", "registry.cli", "serve", "--port", str(port), "--workers", str(workers)]
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy())
        server = cls(port, workers, process, Path(log.name), command)
        deadline = time.monotonic() + timeout
        probe = Connection("127.0.0.1", port)
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited ({process.returncode}); see {log.name}")
            try:
                if (await probe.request("GET", "/healthz")).status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"the server did not answer /healthz in {timeout} s; see {log.name}")
            await asyncio.sleep(0.2)
        probe.close()
        return server

    def pids(self) -> list[int]:
        """The master and its worker processes."""
        return [self.process.pid, *children_of(self.process.pid)]

    def stop(self) -> None:
        """SIGTERM to the pid we started (uvicorn stops its workers), SIGKILL after 20 s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.log_path.unlink(missing_ok=True)
