"""The native infrastructure (deploy/local/infra.sh) is up and shaped as the services expect.

Needs the running stack: `deploy/local/infra.sh start` (or `./natres up`). Connection settings
come from the same NATRES_* variables as the services, defaulting to the local stack.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest
from kafka import KafkaAdminClient

pytestmark = pytest.mark.stack

REPO = Path(__file__).resolve().parents[1]
PG_HOST = os.environ.get("NATRES_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("NATRES_PG_PORT", "5433"))
PG_DB = os.environ.get("NATRES_PG_DATABASE", "natres")
PG_SUPERPASS = os.environ.get("NATRES_PG_SUPERUSER_PASSWORD", "postgres")
KAFKA_BOOTSTRAP = os.environ.get("NATRES_KAFKA_BOOTSTRAP", "127.0.0.1:19092")

SERVICES = ("registry", "transactions", "audit")
TOPICS = ("natres.registry.v1", "natres.transactions.v1", "natres.audit.v1")


def connect(user: str = "postgres", password: str | None = None, **kw) -> psycopg.Connection:
    """TCP connection (scram-sha-256), like the services make. Local dev: password = role name."""
    if password is None:
        password = PG_SUPERPASS if user == "postgres" else user
    return psycopg.connect(host=PG_HOST, port=PG_PORT, dbname=PG_DB, user=user, password=password,
                           connect_timeout=10, **kw)


@pytest.fixture(scope="module")
def su():
    with connect(autocommit=True) as conn:
        yield conn


def test_postgis_has_geos_and_proj(su):
    version = su.execute("SELECT postgis_full_version()").fetchone()[0]
    assert "GEOS" in version and "PROJ" in version, version


def test_wal_settings_for_the_bid_path(su):
    # Full-page images were most of a bid's WAL (deploy/local/infra/postgres.sh explains).
    settings = dict(su.execute("SELECT name, setting FROM pg_settings WHERE name IN "
                               "('wal_compression', 'checkpoint_timeout', 'synchronous_commit')").fetchall())
    assert settings == {"wal_compression": "lz4", "checkpoint_timeout": "900", "synchronous_commit": "on"}


def test_st_asmvt_encodes_a_tile(su):
    # One CGCS2000 polygon in 太原 and the z10 tile that holds it: a non-empty Mapbox vector tile.
    tile = su.execute(
        """
        SELECT ST_AsMVT(q, 'units', 4096, 'geom')
        FROM (
          SELECT 1 AS id, '杏花岭' AS name,
                 ST_AsMVTGeom(ST_Transform(ST_MakeEnvelope(112.56, 37.87, 112.58, 37.89, 4490), 3857),
                              ST_TileEnvelope(10, 832, 395)) AS geom
        ) AS q
        """
    ).fetchone()[0]
    assert tile is not None and len(tile) > 10


def test_cgcs2000_srid_present(su):
    row = su.execute("SELECT auth_name, auth_srid, srtext FROM spatial_ref_sys WHERE srid = 4490").fetchone()
    assert row is not None
    assert row[0] == "EPSG" and row[1] == 4490
    assert "China Geodetic Coordinate System 2000" in row[2]


def test_service_roles_and_schemas_exist(su):
    roles = {r[0] for r in su.execute("SELECT rolname FROM pg_roles WHERE rolcanlogin").fetchall()}
    for s in SERVICES:
        assert {f"{s}_owner", f"{s}_app"} <= roles
        owner = su.execute("SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = %s", (s,)).fetchone()
        assert owner == (f"{s}_owner",)
    # None of the service roles is privileged.
    privileged = su.execute(
        "SELECT rolname FROM pg_roles WHERE rolname ~ '_(owner|app)$' "
        "AND (rolsuper OR rolcreatedb OR rolcreaterole OR rolbypassrls)"
    ).fetchall()
    assert privileged == []


@pytest.mark.parametrize("service", SERVICES)
def test_each_role_logs_in_with_its_dev_password(service):
    for role in (f"{service}_owner", f"{service}_app"):
        with connect(role) as conn:
            assert conn.execute("SELECT current_user").fetchone()[0] == role
            # search_path points at the service's own schema first, then public (PostGIS).
            assert conn.execute("SHOW search_path").fetchone()[0].startswith(service)


@pytest.mark.parametrize("service", SERVICES)
def test_app_sessions_idle_in_a_transaction_are_ended(service):
    # A stuck session must not hold a snapshot (and every dead version of a hot row) for ever.
    with connect(f"{service}_app") as conn:
        assert conn.execute("SHOW idle_in_transaction_session_timeout").fetchone()[0] == "5min"


def test_registry_app_cannot_create_in_transactions_schema():
    with connect("registry_app") as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied for schema transactions"):
            conn.execute("CREATE TABLE transactions.intruder (id int)")


@pytest.mark.parametrize("role", ["registry_app", "transactions_app", "audit_app"])
def test_app_roles_cannot_run_ddl_in_their_own_schema(role):
    schema = role.removesuffix("_app")
    with connect(role) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"CREATE TABLE {schema}.ddl_probe (id int)")


def test_default_privileges_give_app_dml_but_no_foreign_writes():
    """A table the owner creates (as a migration would) is usable by its app role only."""
    table = f"probe_{uuid.uuid4().hex[:8]}"
    with connect("transactions_owner", autocommit=True) as owner:
        owner.execute(f"CREATE TABLE transactions.{table} (id bigserial PRIMARY KEY, v text)")
        try:
            with connect("transactions_app", autocommit=True) as app:
                app.execute(f"INSERT INTO transactions.{table} (v) VALUES ('x')")
                app.execute(f"UPDATE transactions.{table} SET v = 'y'")
                assert app.execute(f"SELECT v FROM transactions.{table}").fetchall() == [("y",)]
                app.execute(f"DELETE FROM transactions.{table}")
            for intruder in ("registry_app", "registry_owner", "audit_app", "audit_owner"):
                with connect(intruder, autocommit=True) as other:
                    with pytest.raises(psycopg.errors.InsufficientPrivilege):
                        other.execute(f"INSERT INTO transactions.{table} (v) VALUES ('z')")
        finally:
            owner.execute(f"DROP TABLE transactions.{table}")


def test_owner_roles_cannot_create_in_public_or_other_schemas():
    with connect("audit_owner") as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE public.audit_probe (id int)")
    with connect("audit_owner") as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE registry.audit_probe (id int)")


def test_topics_exist_with_three_partitions():
    admin = KafkaAdminClient(bootstrap_servers=KAFKA_BOOTSTRAP, client_id="natres-test-infra")
    try:
        described = {t["name"]: t for t in admin.describe_topics(list(TOPICS))}
        for name in TOPICS:
            assert described[name]["error_code"] == 0, described[name]
            assert len(described[name]["partitions"]) >= 3
    finally:
        admin.close()


def test_infra_status_exits_zero():
    proc = subprocess.run(
        ["bash", str(REPO / "deploy/local/infra.sh"), "status"],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert [line.split()[0] for line in lines] == ["postgres", "kafka", "keycloak"]
    assert all(line.split()[1] == "up" for line in lines)


def test_infra_env_prints_exports():
    proc = subprocess.run(
        ["bash", str(REPO / "deploy/local/infra.sh"), "env"], capture_output=True, text=True, timeout=30
    )
    assert proc.returncode == 0
    exported = dict(
        line.removeprefix("export ").split("=", 1) for line in proc.stdout.splitlines() if line.startswith("export ")
    )
    for key in ("NATRES_PG_HOST", "NATRES_PG_PORT", "NATRES_KAFKA_BOOTSTRAP", "NATRES_KEYCLOAK_URL",
                "NATRES_PG_SUPERUSER_PASSWORD"):
        assert key in exported
