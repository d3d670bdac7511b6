"""docker-compose.yml is valid and describes the same topology as the native stack.

No Docker engine is needed: Debian's docker-compose 1.29 (installed by
`deploy/local/infra.sh install`) validates the file offline with `config -q`.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
COMPOSE = REPO / "docker-compose.yml"
SERVICES = ("registry", "transactions", "audit")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def test_docker_compose_config_validates():
    exe = shutil.which("docker-compose")
    assert exe, "docker-compose not installed: run deploy/local/infra.sh install"
    proc = subprocess.run([exe, "-f", str(COMPOSE), "config", "-q"], cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_all_components_present(compose):
    services = compose["services"]
    for name in ("postgres", "kafka", "keycloak", *SERVICES):
        assert name in services, name
    for s in SERVICES:
        assert f"{s}-worker" in services
    assert services["postgres"]["image"].startswith("postgis/postgis:15-")
    assert services["kafka"]["image"].startswith("apache/kafka:4.")
    assert services["keycloak"]["image"].startswith("quay.io/keycloak/keycloak:26.")


def test_postgres_runs_the_bootstrap_sql(compose):
    pg = compose["services"]["postgres"]
    assert pg["environment"]["POSTGRES_DB"] == "natres"
    mounts = [v.split(":") for v in pg["volumes"]]
    assert any(src == "./deploy/postgres/bootstrap.sql" and dst.startswith("/docker-entrypoint-initdb.d/")
               for src, dst, *_ in mounts)
    assert (REPO / "deploy/postgres/bootstrap.sql").is_file()


def test_keycloak_imports_the_realm_with_a_fixed_issuer(compose):
    kc = compose["services"]["keycloak"]
    assert "start-dev" in kc["command"] and "--import-realm" in kc["command"]
    assert "--hostname=http://127.0.0.1:18080" in kc["command"]
    assert any(v.startswith("./deploy/keycloak:/opt/keycloak/data/import") for v in kc["volumes"])
    assert (REPO / "deploy/keycloak/natres-realm.json").is_file()


def test_kafka_is_kraft_and_topics_are_created(compose):
    env = compose["services"]["kafka"]["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    init = compose["services"]["kafka-init"]["command"][0]
    for topic in ("natres.registry.v1", "natres.transactions.v1", "natres.audit.v1"):
        assert topic in init
    assert "--partitions 3" in init


@pytest.mark.parametrize("service", SERVICES)
def test_service_containers(compose, service):
    api = compose["services"][service]
    assert api["build"]["dockerfile"] == f"services/{service}/Dockerfile"
    assert (REPO / api["build"]["dockerfile"]).is_file()
    command = " ".join(api["command"])
    assert f"natres-{service} migrate" in command and f"natres-{service} serve" in command
    env = api["environment"]
    assert env["NATRES_PG_HOST"] == "postgres"
    assert env["NATRES_KAFKA_BOOTSTRAP"] == "kafka:9092"
    assert env["NATRES_KEYCLOAK_URL"] == "http://keycloak:8080"
    # Tokens carry the external issuer (see the comment at the top of docker-compose.yml).
    assert env["NATRES_KEYCLOAK_ISSUER_URL"] == "http://127.0.0.1:18080"
    worker = compose["services"][f"{service}-worker"]
    assert worker["image"] == api["image"]
    assert worker["command"] == [f"natres-{service}", "worker"]
