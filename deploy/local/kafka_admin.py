"""Kafka readiness probe and idempotent topic creation for deploy/local/infra.sh.

    python deploy/local/kafka_admin.py ensure --bootstrap 127.0.0.1:19092 --timeout 120
    python deploy/local/kafka_admin.py describe --bootstrap 127.0.0.1:19092

`ensure` waits until the broker really answers admin requests (describe_cluster returns a
controller and our broker), then creates the platform topics if missing, grows any that has
fewer partitions than wanted, and prints one line per topic. Exit 0 on success, 1 on timeout.
Runs with the workspace venv (kafka-python 3.x), e.g. `uv run --frozen python ...`.
"""

from __future__ import annotations

import argparse
import sys
import time

from kafka import KafkaAdminClient
from kafka.admin import NewPartitions, NewTopic
from kafka.errors import TopicAlreadyExistsError

# The three event streams of DESIGN.md §2. Key = aggregate id, so per-aggregate order
# holds within a partition; 3 partitions lets up to 3 consumers of a group share the load.
TOPICS = ("natres.registry.v1", "natres.transactions.v1", "natres.audit.v1")
PARTITIONS = 3


def log(msg: str) -> None:
    print(f"[kafka_admin] {msg}", file=sys.stderr, flush=True)


def connect(bootstrap: str, deadline: float) -> KafkaAdminClient:
    """Return an admin client once the broker answers describe_cluster, or raise TimeoutError."""
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        admin = None
        try:
            remaining_ms = max(1000, int((deadline - time.monotonic()) * 1000))
            admin = KafkaAdminClient(
                bootstrap_servers=bootstrap,
                client_id="natres-infra",
                request_timeout_ms=min(15000, remaining_ms),
                bootstrap_timeout_ms=min(10000, remaining_ms),
            )
            cluster = admin.describe_cluster()
            brokers = cluster.get("brokers") or []
            if brokers and cluster.get("controller_id", -1) is not None and cluster.get("controller_id", -1) >= 0:
                return admin
            last_error = RuntimeError(f"cluster not ready yet: {cluster}")
        except Exception as exc:  # broker still starting: connection refused, NOT_CONTROLLER, ...
            last_error = exc
        if admin is not None:
            try:
                admin.close()
            except Exception:
                pass
        time.sleep(1.0)
    raise TimeoutError(f"Kafka at {bootstrap} not ready: {last_error!r}")


def partition_counts(admin: KafkaAdminClient, names: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for t in admin.describe_topics(names):
        if t.get("error_code", 0) == 0:
            counts[t.get("name") or t.get("topic")] = len(t.get("partitions") or [])
    return counts


def ensure(bootstrap: str, timeout: float, partitions: int) -> int:
    deadline = time.monotonic() + timeout
    try:
        admin = connect(bootstrap, deadline)
    except TimeoutError as exc:
        log(str(exc))
        return 1
    try:
        existing = set(admin.list_topics())
        missing = [t for t in TOPICS if t not in existing]
        if missing:
            try:
                admin.create_topics(
                    [NewTopic(name=t, num_partitions=partitions, replication_factor=1) for t in missing],
                    timeout_ms=30000,
                    wait_for_metadata=True,
                )
            except TopicAlreadyExistsError:
                pass  # raced with another `start`: fine, it exists now
        counts = partition_counts(admin, list(TOPICS))
        grow = {t: NewPartitions(total_count=partitions) for t, n in counts.items() if n < partitions}
        if grow:
            admin.create_partitions(grow, timeout_ms=30000)
            counts = partition_counts(admin, list(TOPICS))
        for t in TOPICS:
            n = counts.get(t, 0)
            print(f"topic {t} partitions={n}")
            if n < partitions:
                log(f"topic {t} has {n} partitions, wanted {partitions}")
                return 1
        return 0
    finally:
        admin.close()


def describe(bootstrap: str) -> int:
    admin = connect(bootstrap, time.monotonic() + 10)
    try:
        print(admin.describe_cluster())
        for t, n in sorted(partition_counts(admin, sorted(admin.list_topics())).items()):
            print(f"topic {t} partitions={n}")
    finally:
        admin.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", choices=["ensure", "describe"])
    p.add_argument("--bootstrap", default="127.0.0.1:19092")
    p.add_argument("--timeout", type=float, default=120.0)
    p.add_argument("--partitions", type=int, default=PARTITIONS)
    a = p.parse_args(argv)
    if a.command == "ensure":
        return ensure(a.bootstrap, a.timeout, a.partitions)
    return describe(a.bootstrap)


if __name__ == "__main__":
    sys.exit(main())
