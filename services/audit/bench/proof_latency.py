"""Inclusion and consistency proof latency on a log of ≥ 1,000,000 entries, bulk-loaded in its own schema."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

import asyncpg
import httpx
from sqlalchemy import text

from audit.checkpoints.service import publish_checkpoint
from audit.log import frontier_ids, leaf_hash, new_full_nodes
from audit.log.merkle import hash_subtree
from audit.proofs.service import consistency_between, inclusion_by_index
from audit.verify_core import check_inclusion, decode_proof, verify_checkpoint
from common import BenchLog, percentile, sample_indexes
from natres_platform.testing import superuser_dsn

CHUNK = 1 << 16


def leaf_data(i: int) -> bytes:
    """Synthetic leaf data; only its hash goes into the tree tables."""
    return b'{"bench":%d}' % i


@dataclass
class ProofFigures:
    size: int
    load_seconds: float
    node_rows: int
    inclusion_service: tuple[float, float]
    inclusion_http: tuple[float, float]
    consistency_service: tuple[float, float]


async def bulk_load(log: BenchLog, size: int) -> int:
    """Leaves and every full node by COPY (as the service's appends would have stored them), then the state row."""
    conn = await asyncpg.connect(superuser_dsn().replace("+asyncpg", ""))
    rows, frontier, done = 0, {}, 0
    try:
        while done < size:
            k = min(CHUNK, size - done)
            nodes = new_full_nodes(done, [leaf_hash(leaf_data(done + j)) for j in range(k)], frontier)
            await conn.copy_records_to_table("merkle_nodes", schema_name=log.schema, records=nodes, columns=["level", "idx", "hash"])
            rows += len(nodes)
            known = {**frontier, **{(lv, i): h for lv, i, h in nodes}}
            done += k
            frontier = {nid: known[nid] for nid in frontier_ids(done)}
        root = hash_subtree(0, size, frontier)
        await conn.execute(f"UPDATE {log.schema}.log_state SET size = $1, root_hash = $2 WHERE id = 1", size, root)
        await conn.execute(f"ANALYZE {log.schema}.merkle_nodes")
    finally:
        await conn.close()
    return rows


async def _timed(fn, args: list) -> tuple[float, float]:
    samples = []
    for a in args:
        started = time.perf_counter()
        await fn(a)
        samples.append((time.perf_counter() - started) * 1000)
    return percentile(samples, 50), percentile(samples, 99)


async def run(*, size: int, samples: int) -> ProofFigures:
    log = BenchLog.create("proofs", with_topic=False)
    try:
        started = time.perf_counter()
        node_rows = await bulk_load(log, size)
        load_seconds = time.perf_counter() - started
        rt = log.runtime
        publication = await publish_checkpoint(runtime=rt, actor="bench")
        vkey = (await rt.signer()).verifier.vkey
        cp = verify_checkpoint(publication.checkpoint.note, vkey)
        assert cp.size == size

        indexes = sample_indexes(size, samples)
        # Spot-check correctness before timing: proofs from the DB verify against the signed root.
        for i in indexes[:20]:
            proof = await inclusion_by_index(runtime=rt, index=i, size=None)
            check_inclusion(cp, i, decode_proof(proof.proof), leaf_data=leaf_data(i))

        async def service_call(i: int) -> None:
            await inclusion_by_index(runtime=rt, index=i, size=None)

        await _timed(service_call, indexes[:200])  # warm the pool and the statement cache
        inclusion_service = await _timed(service_call, indexes)

        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=log.app), base_url="http://bench") as client:

            async def http_call(i: int) -> None:
                resp = await client.get("/api/v1/audit/proofs/inclusion", params={"index": i})
                resp.raise_for_status()

            await _timed(http_call, indexes[:200])
            inclusion_http = await _timed(http_call, indexes)

        rng = random.Random(11)
        olds = [rng.randrange(1, size) for _ in range(samples)]
        body = await consistency_between(runtime=rt, old_size=olds[0], new_size=size)
        assert body.new_size == size and body.proof

        async def consistency_call(old: int) -> None:
            await consistency_between(runtime=rt, old_size=old, new_size=None)

        consistency_service = await _timed(consistency_call, olds)
        async with rt.ctx.engine.connect() as c:
            assert await c.scalar(text(f"SELECT count(*) FROM {log.schema}.merkle_nodes")) == node_rows
    finally:
        await log.close()
    return ProofFigures(size, load_seconds, node_rows, inclusion_service, inclusion_http, consistency_service)
