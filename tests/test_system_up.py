"""The running system started by `./natres up`: every service ready with every dependency checked."""

from __future__ import annotations

import os

import httpx
import pytest

from natres_platform.testing import password_token

pytestmark = pytest.mark.stack

PORTS = {
    "registry": int(os.environ.get("REGISTRY_HTTP_PORT", 8001)),
    "transactions": int(os.environ.get("TRANSACTIONS_HTTP_PORT", 8002)),
    "audit": int(os.environ.get("AUDIT_HTTP_PORT", 8003)),
}


@pytest.mark.parametrize("service", list(PORTS))
def test_running_service_is_ready_with_every_dependency_checked(service):
    resp = httpx.get(f"http://127.0.0.1:{PORTS[service]}/readyz", timeout=15)
    assert resp.status_code == 200, resp.text
    checks = resp.json()["checks"]
    assert set(checks) == {"database", "kafka", "keycloak"}
    assert all(c["status"] == "ok" for c in checks.values()), checks


@pytest.mark.parametrize("service", list(PORTS))
def test_running_service_serves_openapi_metrics_and_liveness(service):
    base = f"http://127.0.0.1:{PORTS[service]}"
    assert httpx.get(f"{base}/healthz", timeout=5).json() == {"status": "ok"}
    spec = httpx.get(f"{base}/openapi.json", timeout=5).json()
    assert spec["info"]["title"] and "/api/v1/whoami" in spec["paths"]
    metrics = httpx.get(f"{base}/metrics", timeout=5)
    assert metrics.status_code == 200 and "http_request" in metrics.text


@pytest.mark.parametrize("service", list(PORTS))
def test_running_service_accepts_a_demo_token(service):
    token = password_token("supervisor.li")
    resp = httpx.get(f"http://127.0.0.1:{PORTS[service]}/api/v1/whoami", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert resp.status_code == 200, resp.text
    assert "supervisor" in resp.json()["roles"]


def test_unknown_route_is_problem_json():
    resp = httpx.get(f"http://127.0.0.1:{PORTS['registry']}/no/such/thing", timeout=5)
    assert resp.status_code == 404
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["code"] == "route.not_found"
