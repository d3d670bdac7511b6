"""The natres realm (deploy/keycloak/natres-realm.json) issues the tokens the services expect.

Needs the running Keycloak (deploy/local/infra.sh start). Tokens are decoded WITHOUT signature
verification here: this checks the realm's shape (claims, roles, audiences, issuer); signature,
issuer and audience validation is the services' job and tested there.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import jwt
import pytest
from keycloak import KeycloakOpenID

pytestmark = pytest.mark.stack

REPO = Path(__file__).resolve().parents[1]
KC_URL = os.environ.get("NATRES_KEYCLOAK_URL", "http://127.0.0.1:18080").rstrip("/")
ISSUER_BASE = (os.environ.get("NATRES_KEYCLOAK_ISSUER_URL") or KC_URL).rstrip("/")
ISSUER = f"{ISSUER_BASE}/realms/natres"
PASSWORD = "demo1234"
SERVICE_AUDIENCES = {"natres-registry", "natres-transactions", "natres-audit"}
HUMAN_ROLES = {"citizen", "enterprise", "registrar", "reviewer", "trading_admin", "bidder", "supervisor",
               "auditor", "admin"}

# username -> (roles it must have, region or None, org_code or None)
DEMO_USERS = {
    "registrar.xhl": ({"registrar"}, "140107", None),
    "reviewer.xhl": ({"reviewer"}, "140107", None),
    "registrar.yp": ({"registrar"}, "140981", None),
    "reviewer.yp": ({"reviewer"}, "140981", None),
    "registrar.dt": ({"registrar"}, "140213", None),
    "citizen.zhang": ({"citizen"}, None, None),
    "enterprise.jinneng": ({"enterprise"}, None, "91140100MA0GRX121A"),
    "bidder.a": ({"bidder", "enterprise"}, None, "91140100MA0K3D7T9P"),
    "bidder.b": ({"bidder"}, None, None),
    "trader.admin": ({"trading_admin"}, "140000", None),
    "supervisor.li": ({"supervisor"}, "140000", None),
    "auditor.wang": ({"auditor"}, "140000", None),
    "natres.admin": ({"admin"}, "140000", None),
}


def claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def cli() -> KeycloakOpenID:
    return KeycloakOpenID(server_url=KC_URL, realm_name="natres", client_id="natres-cli")


def test_discovery_issuer_is_stable():
    doc = httpx.get(f"{KC_URL}/realms/natres/.well-known/openid-configuration", timeout=10).json()
    assert doc["issuer"] == ISSUER


@pytest.mark.parametrize("username", sorted(DEMO_USERS))
def test_password_grant_token_claims(username):
    roles, region, org_code = DEMO_USERS[username]
    token = cli().token(username, PASSWORD)
    c = claims(token["access_token"])
    assert c["iss"] == ISSUER
    assert c["sub"]
    assert c["preferred_username"] == username
    assert c["azp"] == "natres-cli"
    aud = c["aud"] if isinstance(c["aud"], list) else [c["aud"]]
    assert SERVICE_AUDIENCES <= set(aud)
    realm_roles = set(c["realm_access"]["roles"])
    assert roles <= realm_roles
    # Exactly the intended human roles, and never the service role.
    assert realm_roles & (HUMAN_ROLES | {"service"}) == roles
    assert c.get("region") == region
    assert c.get("org_code") == org_code
    # 15 min access tokens.
    assert c["exp"] - c["iat"] == 900
    # Names and e-mail come through the default profile/email scopes.
    assert c["family_name"] and c["given_name"] and c["email"].startswith(username)


def test_id_token_and_userinfo_carry_region():
    kc = cli()
    token = kc.token("reviewer.yp", PASSWORD, scope="openid")
    assert claims(token["id_token"])["region"] == "140981"
    assert kc.userinfo(token["access_token"])["region"] == "140981"


def test_wrong_password_is_rejected():
    from keycloak.exceptions import KeycloakError

    # Keycloak 26 answers 400 invalid_grant ("Invalid user credentials").
    with pytest.raises(KeycloakError, match="invalid_grant"):
        cli().token("registrar.xhl", "wrong-password")


@pytest.mark.parametrize(
    ("client_id", "secret"),
    [("natres-registry", "registry-secret"), ("natres-transactions", "transactions-secret"),
     ("natres-audit", "audit-secret")],
)
def test_client_credentials_grant(client_id, secret):
    kc = KeycloakOpenID(server_url=KC_URL, realm_name="natres", client_id=client_id, client_secret_key=secret)
    c = claims(kc.token(grant_type="client_credentials")["access_token"])
    assert c["iss"] == ISSUER
    assert c["azp"] == client_id
    assert c["sub"]
    aud = set(c["aud"] if isinstance(c["aud"], list) else [c["aud"]])
    assert SERVICE_AUDIENCES - {client_id} <= aud
    realm_roles = set(c["realm_access"]["roles"])
    assert "service" in realm_roles
    assert not realm_roles & HUMAN_ROLES
    assert c["preferred_username"] == f"service-account-{client_id}"


def test_client_credentials_with_wrong_secret_fails():
    resp = httpx.post(
        f"{KC_URL}/realms/natres/protocol/openid-connect/token",
        data={"grant_type": "client_credentials", "client_id": "natres-registry", "client_secret": "nope"},
        timeout=10,
    )
    assert resp.status_code == 401


def test_public_clients_cannot_use_client_credentials_and_web_has_no_password_grant():
    resp = httpx.post(
        f"{KC_URL}/realms/natres/protocol/openid-connect/token",
        data={"grant_type": "password", "client_id": "natres-web", "username": "citizen.zhang",
              "password": PASSWORD},
        timeout=10,
    )
    assert resp.status_code in (400, 401)
    assert resp.json()["error"] == "unauthorized_client"


def _authorize(redirect_uri: str, pkce: bool = True) -> httpx.Response:
    params = {"client_id": "natres-web", "response_type": "code", "scope": "openid", "redirect_uri": redirect_uri}
    if pkce:
        params |= {"code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method": "S256"}
    return httpx.get(f"{KC_URL}/realms/natres/protocol/openid-connect/auth", params=params, timeout=10)


@pytest.mark.parametrize("redirect_uri", ["http://127.0.0.1:5173/callback", "http://localhost:8080/app/"])
def test_web_client_accepts_loopback_redirects_on_any_port(redirect_uri):
    resp = _authorize(redirect_uri)
    assert resp.status_code == 200  # the login page
    assert "Invalid parameter: redirect_uri" not in resp.text


def test_web_client_rejects_foreign_redirect():
    resp = _authorize("http://evil.example.com/callback")
    assert resp.status_code == 400


def test_web_client_requires_pkce():
    resp = _authorize("http://127.0.0.1:5173/callback", pkce=False)
    assert resp.status_code == 302
    query = parse_qs(urlparse(resp.headers["location"]).query)
    assert query["error"] == ["invalid_request"]
    assert "code_challenge" in query["error_description"][0]


# ---- static checks of the realm file (no server needed, but kept with the realm tests) ----

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def uscc_valid(code: str) -> bool:
    """GB 32100-2015 unified social credit code check digit (and the embedded org-code check)."""
    if not re.fullmatch(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}", code):
        return False
    total = sum(USCC_CHARS.index(ch) * w for ch, w in zip(code[:17], USCC_WEIGHTS))
    if USCC_CHARS[(31 - total % 31) % 31] != code[17]:
        return False
    org = code[8:17]  # GB 11714 organisation code with its own check character
    s = sum((int(ch) if ch.isdigit() else ord(ch) - 55) * w for ch, w in zip(org[:8], [3, 7, 9, 10, 5, 8, 4, 2]))
    c = 11 - s % 11
    return org[8] == ("X" if c == 10 else "0" if c == 11 else str(c))


@pytest.mark.parametrize("username", ["enterprise.jinneng", "bidder.a"])
def test_demo_org_codes_pass_gb32100_check(username):
    assert uscc_valid(DEMO_USERS[username][2])


def test_realm_file_avoids_known_traps():
    realm = json.loads((REPO / "deploy/keycloak/natres-realm.json").read_text(encoding="utf-8"))
    assert "clientScopes" not in realm  # a partial list would drop roles/profile/basic scopes
    for client in realm["clients"]:
        assert client["fullScopeAllowed"] is True
        mappers = {m["protocolMapper"] for m in client["protocolMappers"]}
        assert {"oidc-usermodel-attribute-mapper", "oidc-audience-mapper"} <= mappers
    for user in realm["users"]:
        if user.get("serviceAccountClientId"):
            continue
        assert user["firstName"] and user["lastName"] and user["email"] and user["emailVerified"]
        assert all(cred["temporary"] is False for cred in user["credentials"])
    profile = json.loads(
        realm["components"]["org.keycloak.userprofile.UserProfileProvider"][0]["config"]["kc.user.profile.config"][0]
    )
    declared = {a["name"] for a in profile["attributes"]}
    assert {"username", "email", "firstName", "lastName", "region", "org_code"} <= declared
    for attr in profile["attributes"]:
        if attr["name"] in ("region", "org_code"):
            assert attr["permissions"]["edit"] == ["admin"]  # users cannot change their own office
