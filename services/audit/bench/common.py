"""Bench plumbing: isolated schemas and topics, synthetic events, percentiles."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

from sqlalchemy import create_engine

from audit.log import generate_key
from audit.main import create_app
from audit.runtime import AuditRuntime
from audit.settings import AuditSettings
from audit.testing import build_schema, drop_schema
from natres_platform.events import CloudEvent
from natres_platform.testing import create_topic, delete_topic, superuser_dsn

REGIONS = ("140105", "140106", "140107", "140108", "140109", "140902", "140921", "140981")
TYPES = ("first", "change", "transfer", "mortgage", "seizure")


def synthetic_event(i: int) -> CloudEvent:
    """A realistic mix: applications moving through the workflow, and 查询留痕 views."""
    region = REGIONS[i % len(REGIONS)]
    unit = f"14{region[2:]}003002GB{i % 50000:05d}F0001{i % 1000:04d}"
    if i % 3 == 0:
        return CloudEvent.create(
            source="/natres/registry",
            type="registry.record.viewed.v1",
            subject=unit,
            data={"unit_id": unit, "viewer": f"user-{i % 977}", "purpose": "抵押贷款审查 (bank due diligence)"},
            actor=f"user-{i % 977}",
            region=region,
        )
    kind = ("submitted", "accepted", "reviewed", "recorded")[i % 4]
    return CloudEvent.create(
        source="/natres/registry",
        type=f"registry.application.{kind}.v1",
        subject=f"app-{i // 4:08d}",
        data={
            "application_id": f"app-{i // 4:08d}",
            "unit_id": unit,
            "type": TYPES[i % len(TYPES)],
            "receiving_office": region,
            "competent_office": REGIONS[(i + 1) % len(REGIONS)],
            "deadline": "2026-12-31",
        },
        actor=f"registrar-{i % 31}",
        region=region,
    )


@dataclass
class BenchLog:
    """One throwaway audit schema (+ topic), bound to an app and runtime; dropped on close."""

    schema: str
    topic: str
    runtime: AuditRuntime
    app: object

    @classmethod
    def create(cls, name: str, *, with_topic: bool = True) -> BenchLog:
        schema = f"audit_bench_{name}_{uuid.uuid4().hex[:6]}"
        drop_schema(schema)
        build_schema(schema)
        topic = f"natres.{schema}.v1"
        if with_topic:
            create_topic(topic)
        skey, _ = generate_key("natres.bench/audit")
        settings = AuditSettings(
            service_name=schema,
            topic=topic,
            intake_topics=[topic],
            consumer_group=f"{schema}-intake",
            log_origin="natres.bench/audit",
            signing_key=skey,
            log_level="WARNING",
        )
        app = create_app(settings)
        return cls(schema=schema, topic=topic, runtime=app.state.audit, app=app)

    async def close(self, *, keep: bool = False) -> None:
        await self.runtime.ctx.aclose()
        if not keep:
            drop_schema(self.schema)
            delete_topic(self.topic)


def superuser_exec(*statements: str) -> None:
    """DDL the service roles may not run (bench-only tables, bulk-load tuning)."""
    engine = create_engine(superuser_dsn("psycopg"))
    with engine.begin() as conn:
        for sql in statements:
            conn.exec_driver_sql(sql)
    engine.dispose()


def percentile(samples: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def sample_indexes(size: int, n: int, seed: int = 7) -> list[int]:
    rng = random.Random(seed)
    return [rng.randrange(size) for _ in range(n)]
