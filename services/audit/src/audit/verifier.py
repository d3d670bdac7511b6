"""natres-audit-verify: check the log from outside, trusting only its public key.

    uv run natres-audit verify --url http://127.0.0.1:8003 --vkey 'natres.shanxi/audit+…' \\
        [--all] [--entries 0,5,9] [--event EVENT_ID] [--saved-checkpoint FILE] [--save-checkpoint FILE]

(also `uv run python -m audit.verifier …`)

Checks the latest checkpoint's signature; the inclusion of chosen entries (re-hashing each
entry's RFC 8785 bytes); with --all, every entry up to the checkpoint (re-hashed, the root
rebuilt); and that a previously saved checkpoint is consistent with the current one.
Exit status: 0 all checks passed, 1 a check failed, 2 usage or connection error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

import httpx
import rfc8785

from audit.log import EMPTY_ROOT, Checkpoint, frontier_ids, leaf_hash, new_full_nodes
from audit.log.merkle import hash_subtree
from audit.verify_core import (
    VerificationError,
    check_consistency,
    check_inclusion,
    decode_hash,
    decode_proof,
    verify_checkpoint,
)

API = "/api/v1/audit"
_BATCH = 4096


class UsageError(Exception):
    """Bad arguments, or the service could not be asked (exit 2, nothing was verified)."""


class RootBuilder:
    """RFC 9162 root of a stream of leaf hashes, keeping only the right frontier in memory."""

    def __init__(self) -> None:
        self.size = 0
        self._frontier: dict[tuple[int, int], bytes] = {}

    def extend(self, hashes: list[bytes]) -> None:
        """Append leaf hashes in order."""
        new = new_full_nodes(self.size, hashes, self._frontier)
        nodes = {**self._frontier, **{(level, idx): h for level, idx, h in new}}
        self.size += len(hashes)
        self._frontier = {nid: nodes[nid] for nid in frontier_ids(self.size)}

    def root(self) -> bytes:
        """MTH of everything appended so far."""
        return hash_subtree(0, self.size, self._frontier) if self.size else EMPTY_ROOT


class VerificationRun:
    """One verification run against one service URL."""

    def __init__(self, client: httpx.AsyncClient, *, vkey: str, origin: str | None, token: str | None, out: TextIO):
        self.client = client
        self.vkey = vkey
        self.origin = origin
        self.token = token
        self.out = out
        self.failures: list[str] = []
        self.note = ""

    def say(self, line: str) -> None:
        print(line, file=self.out, flush=True)

    def fail(self, line: str) -> None:
        self.failures.append(line)
        self.say(f"FAIL  {line}")

    def _auth(self) -> dict[str, str]:
        if not self.token:
            raise UsageError("reading entries needs an auditor token (--token or NATRES_AUDIT_TOKEN)")
        return {"Authorization": f"Bearer {self.token}"}

    async def get(self, path: str, *, auth: bool = False, **params: Any) -> httpx.Response:
        try:
            resp = await self.client.get(path, params=params or None, headers=self._auth() if auth else None)
        except httpx.HTTPError as exc:
            raise UsageError(f"cannot reach {self.client.base_url}{path}: {exc}") from exc
        if resp.status_code >= 400:
            detail = resp.text[:300]
            raise UsageError(f"GET {path} answered {resp.status_code}: {detail}")
        return resp

    async def checkpoint(self) -> Checkpoint:
        """The latest checkpoint, accepted only with a valid signature by the given key."""
        note = (await self.get(f"{API}/checkpoint")).text
        cp = verify_checkpoint(note, self.vkey, origin=self.origin)
        self.say(f"ok    checkpoint {cp.origin} size {cp.size} root {cp.root_hash.hex()}: signature valid")
        self.note = note
        return cp

    async def consistency(self, saved_note: str, current: Checkpoint) -> None:
        """The saved checkpoint's tree is a prefix of the current one."""
        try:
            saved = verify_checkpoint(saved_note, self.vkey, origin=self.origin)
        except VerificationError as exc:
            self.fail(f"saved checkpoint: {exc}")
            return
        if saved.size > current.size:
            self.fail(f"saved checkpoint has size {saved.size}, larger than the current {current.size}: the log shrank")
            return
        body = (await self.get(f"{API}/proofs/consistency", old_size=saved.size, new_size=current.size)).json()
        try:
            check_consistency(saved, current, decode_proof(body["proof"]))
        except VerificationError as exc:
            self.fail(f"consistency {saved.size} -> {current.size}: {exc}")
            return
        self.say(f"ok    consistency {saved.size} -> {current.size}: the log only grew")

    def _check_entry(self, cp: Checkpoint, entry: dict[str, Any]) -> None:
        index = entry["index"]
        event = entry["event"]
        for field, key in (("event_id", "id"), ("type", "type"), ("subject", "subject"), ("actor", "actor")):
            if entry.get(field) != event.get(key):
                self.fail(f"entry {index}: listed {field} {entry.get(field)!r} differs from the logged event's {event.get(key)!r}")
        computed = leaf_hash(rfc8785.dumps(event))
        if computed != decode_hash(entry["leaf_hash"]):
            self.fail(f"entry {index}: its content does not hash to the logged leaf (the stored event was altered)")
        if entry.get("proof") is None:
            self.fail(f"entry {index}: no inclusion proof against checkpoint {cp.size}")
            return
        try:
            check_inclusion(cp, index, decode_proof(entry["proof"]), leaf_hash_value=computed)
        except VerificationError as exc:
            self.fail(f"entry {index}: {exc}")
            return
        self.say(f"ok    entry {index} ({entry['event_id']}): included in checkpoint {cp.size}")

    async def entry(self, cp: Checkpoint, *, index: int | None = None, event_id: str | None = None) -> None:
        """Inclusion of one entry, from the bytes of its event, against the verified checkpoint."""
        if index is not None and index >= cp.size:
            self.fail(f"entry {index}: not covered by checkpoint {cp.size}")
            return
        path = f"{API}/entries/{index}" if index is not None else f"{API}/entries/by-event/{event_id}"
        self._check_entry(cp, (await self.get(path, auth=True, checkpoint_size=cp.size)).json())

    async def all_entries(self, cp: Checkpoint) -> None:
        """Re-hash every entry below the checkpoint's size and rebuild its root."""
        builder, batch, expected, altered = RootBuilder(), [], 0, 0
        try:
            async with self.client.stream(
                "GET", f"{API}/entries.ndjson", params={"before": cp.size}, headers=self._auth()
            ) as resp:
                if resp.status_code >= 400:
                    raise UsageError(f"export answered {resp.status_code}: {(await resp.aread())[:300]!r}")
                async for raw in _lines(resp):
                    head, sep, event = raw.partition(b',"event":')
                    meta = json.loads(head + b"}")
                    if not sep or meta["index"] != expected:
                        self.fail(f"export: expected entry {expected}, got {meta.get('index')!r}: entries are missing or out of order")
                        return
                    canonical = event[:-1]
                    digest = leaf_hash(canonical)
                    if digest != decode_hash(meta["leaf_hash"]):
                        altered += 1
                        self.fail(f"entry {expected}: its content does not hash to the logged leaf (the stored event was altered)")
                    batch.append(digest)
                    expected += 1
                    if len(batch) >= _BATCH:
                        builder.extend(batch)
                        batch = []
        except httpx.HTTPError as exc:
            raise UsageError(f"export failed: {exc}") from exc
        builder.extend(batch)
        if builder.size != cp.size:
            self.fail(f"export returned {builder.size} entries, the checkpoint covers {cp.size}")
        elif builder.root() != cp.root_hash:
            self.fail(f"root rebuilt from all {cp.size} entries differs from the signed checkpoint")
        elif not altered:
            self.say(f"ok    all {cp.size} entries re-hashed: the rebuilt root matches the signed checkpoint")


async def _lines(resp: httpx.Response):  # noqa: ANN202 - async generator of bytes
    """NDJSON lines as the exact bytes sent (canonical JSON never holds a raw newline)."""
    pending = b""
    async for chunk in resp.aiter_bytes():
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for line in complete:
            if line:
                yield line
    if pending:
        yield pending


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="natres-audit-verify", description=__doc__.split("\n\n")[0])
    p.add_argument("--url", default=os.environ.get("NATRES_AUDIT_URL", "http://127.0.0.1:8003"))
    key = p.add_mutually_exclusive_group(required=True)
    key.add_argument("--vkey", help="the log's verifier key (GET /api/v1/audit/log/key, obtained out of band)")
    key.add_argument("--vkey-file", type=Path)
    p.add_argument("--origin", help="require this origin line")
    p.add_argument("--token", default=os.environ.get("NATRES_AUDIT_TOKEN"), help="auditor bearer token for entries")
    p.add_argument("--entries", action="append", default=[], help="entry indexes, comma-separated (repeatable)")
    p.add_argument("--event", action="append", default=[], help="an event id to prove (repeatable)")
    p.add_argument("--all", action="store_true", help="re-hash every entry and rebuild the root")
    p.add_argument("--saved-checkpoint", type=Path, help="a checkpoint note saved earlier: check consistency")
    p.add_argument("--save-checkpoint", type=Path, help="write the verified checkpoint here when all checks pass")
    p.add_argument("--timeout", type=float, default=60.0)
    return p


async def run(argv: list[str], *, transport: httpx.AsyncBaseTransport | None = None, out: TextIO = sys.stdout) -> int:
    """Run the checks; returns the exit status (tests pass an ASGI transport)."""
    args = _parser().parse_args(argv)
    try:
        vkey = args.vkey or args.vkey_file.read_text(encoding="utf-8").strip()
        indexes = [int(i) for chunk in args.entries for i in chunk.split(",") if i.strip()]
        saved = args.saved_checkpoint.read_text(encoding="utf-8") if args.saved_checkpoint else None
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=out)
        return 2
    async with httpx.AsyncClient(base_url=args.url, transport=transport, timeout=args.timeout) as client:
        v = VerificationRun(client, vkey=vkey, origin=args.origin, token=args.token, out=out)
        try:
            try:
                cp = await v.checkpoint()
            except VerificationError as exc:
                v.fail(str(exc))
                return 1
            if saved is not None:
                await v.consistency(saved, cp)
            for index in indexes:
                await v.entry(cp, index=index)
            for event_id in args.event:
                await v.entry(cp, event_id=event_id)
            if args.all:
                await v.all_entries(cp)
        except UsageError as exc:
            print(f"error: {exc}", file=out)
            return 2
    if v.failures:
        print(f"VERIFICATION FAILED: {len(v.failures)} problem(s)", file=out)
        return 1
    if args.save_checkpoint:
        args.save_checkpoint.write_text(v.note, encoding="utf-8")
    print("all checks passed", file=out)
    return 0


def main() -> None:
    """Console entry point."""
    sys.exit(asyncio.run(run(sys.argv[1:])))


if __name__ == "__main__":
    main()
