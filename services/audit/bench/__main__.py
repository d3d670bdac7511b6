"""Audit benchmark: `uv run python services/audit/bench [--events N] [--proof-size N] [--lag-seconds S]`.

Prints, in one run and side by side: the sustained append rate from Kafka to durable entries
against plain INSERTs of the same rows; inclusion/consistency proof latency on a log of
≥ 1,000,000 entries; end-to-end lag from a producer's outbox commit to a durable entry at
200 events/s. Every part runs in its own throwaway schema (audit_bench_*) and topic, dropped
afterwards: the real `audit` log is never touched.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import time

import append_rate
import lag
import proof_latency


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--events", type=int, default=20_000, help="events per append run")
    p.add_argument("--batch", type=int, default=1000, help="max records per poll (= per transaction)")
    p.add_argument("--parse-workers", type=int, default=2, help="intake parse processes (the service default)")
    p.add_argument("--proof-size", type=int, default=1_000_000)
    p.add_argument("--proof-samples", type=int, default=2000)
    p.add_argument("--lag-rate", type=int, default=200)
    p.add_argument("--lag-seconds", type=int, default=20)
    p.add_argument("--only", choices=["append", "proofs", "lag"], action="append", help="run only these parts")
    args = p.parse_args()
    parts = set(args.only or ["append", "proofs", "lag"])
    started = time.perf_counter()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"natres audit bench — {platform.python_version()}, {os.cpu_count()} CPUs, load average {load}", flush=True)

    if "append" in parts:
        await append_part(args)
    if "proofs" in parts:
        await proofs_part(args)
    if "lag" in parts:
        await lag_part(args)
    print(f"\n(total {time.perf_counter() - started:.0f} s)")


async def append_part(args: argparse.Namespace) -> None:
    a = await append_rate.run(n=args.events, batch=args.batch, workers=args.parse_workers)
    print("\n1. Append rate (events/s), batches of ≤ %d per transaction, %d events per run" % (args.batch, a.events))
    print(f"   {'raw INSERT of the same entry rows (baseline, no tree)':58} {a.raw_rate:>9,.0f}")
    print(f"   {'intake, parsing in-process (parse_workers=0)':58} {a.inline_rate:>9,.0f}")
    label = f"intake: Kafka → durable entries (parse_workers={a.workers})"
    print(f"   {label:58} {a.intake_rate:>9,.0f}   [{verdict(a.intake_rate >= 2000)} ≥ 2,000/s]")
    print(f"   {'   ratio intake / raw INSERT':58} {a.intake_rate / a.raw_rate:>9.2f}")
    print(f"   {'   wall time incl. consumer-group join':58} {a.intake_wall:>8.1f}s", flush=True)



async def proofs_part(args: argparse.Namespace) -> None:
    pf = await proof_latency.run(size=args.proof_size, samples=args.proof_samples)
    print(f"\n2. Proof latency (ms) at {pf.size:,} entries ({pf.node_rows:,} node rows bulk-loaded in {pf.load_seconds:.0f} s), {args.proof_samples} random samples")
    print(f"   {'':44} {'p50':>7} {'p99':>7}")
    print(f"   {'inclusion, service call (2 statements)':44} {pf.inclusion_service[0]:>7.2f} {pf.inclusion_service[1]:>7.2f}   [{verdict(pf.inclusion_service[1] < 10)} p99 < 10 ms]")
    print(f"   {'inclusion, HTTP GET in-process (ASGI)':44} {pf.inclusion_http[0]:>7.2f} {pf.inclusion_http[1]:>7.2f}")
    print(f"   {'consistency, service call':44} {pf.consistency_service[0]:>7.2f} {pf.consistency_service[1]:>7.2f}", flush=True)



async def lag_part(args: argparse.Namespace) -> None:
    lf = await lag.run(rate=args.lag_rate, seconds=args.lag_seconds)
    print(f"\n3. End-to-end lag (s), outbox commit → durable entry, {lf.events} events at {lf.rate:.0f}/s")
    print(f"   p50 {lf.p50:.3f}   p99 {lf.p99:.3f}   max {lf.worst:.3f}   [{verdict(lf.p99 < 2)} p99 < 2 s]")


if __name__ == "__main__":
    asyncio.run(main())
