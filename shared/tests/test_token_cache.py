"""The verified-token cache: a repeat token skips the signature check, yet still expires and follows key changes."""

from __future__ import annotations

import asyncio
import time

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt import PyJWK

from natres_platform import auth
from natres_platform.auth import InvalidToken, JwksCache, TokenExpired, TokenVerifier

ISSUER, AUDIENCE = "http://kc.test/realms/natres", "natres-registry"


class StubJwks(JwksCache):
    """A key set held in memory; counts lookups (each is a full verification)."""

    def __init__(self, keys: dict[str, rsa.RSAPrivateKey]) -> None:
        super().__init__("http://unused")
        self.lookups = 0
        self.set_keys(keys)

    def set_keys(self, keys: dict[str, rsa.RSAPrivateKey]) -> None:
        old = set(self._keys)
        self._keys = {kid: PyJWK.from_dict({**jwt.algorithms.RSAAlgorithm.to_jwk(k.public_key(), as_dict=True),
                                            "kid": kid, "alg": "RS256"}) for kid, k in keys.items()}
        if set(self._keys) != old:
            self.version += 1

    async def key(self, kid: str) -> PyJWK | None:
        self.lookups += 1
        return self._keys.get(kid)


def token(key: rsa.RSAPrivateKey, kid: str, *, exp_in: float = 300, **claims) -> str:
    now = int(time.time())
    body = {"sub": "u1", "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + int(exp_in),
            "realm_access": {"roles": ["registrar"]}, **claims}
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": kid})


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


async def test_a_repeated_token_is_verified_once(key):
    jwks = StubJwks({"k1": key})
    verifier = TokenVerifier(jwks=jwks, issuer=ISSUER, audience=AUDIENCE)
    t = token(key, "k1")
    first = await verifier.verify(t)
    for _ in range(5):
        assert await verifier.verify(t) == first
    assert jwks.lookups == 1 and "registrar" in first.roles


async def test_a_cached_token_still_expires(key, monkeypatch):
    jwks = StubJwks({"k1": key})
    verifier = TokenVerifier(jwks=jwks, issuer=ISSUER, audience=AUDIENCE, leeway=10)
    t = token(key, "k1", exp_in=60)
    await verifier.verify(t)
    now = time.time()
    monkeypatch.setattr(auth.time, "time", lambda: now + 60 + 11)  # past exp plus the leeway
    with pytest.raises(TokenExpired):
        await verifier.verify(t)
    assert jwks.lookups == 1  # refused from the cache entry, not by a second signature check


async def test_a_changed_key_set_drops_cached_tokens(key):
    jwks = StubJwks({"k1": key})
    verifier = TokenVerifier(jwks=jwks, issuer=ISSUER, audience=AUDIENCE)
    t = token(key, "k1")
    await verifier.verify(t)
    jwks.set_keys({"k2": rsa.generate_private_key(public_exponent=65537, key_size=2048)})  # k1 withdrawn
    with pytest.raises(InvalidToken):
        await verifier.verify(t)


async def test_failures_are_not_cached_and_the_cache_is_bounded(key):
    jwks = StubJwks({"k1": key})
    verifier = TokenVerifier(jwks=jwks, issuer=ISSUER, audience=AUDIENCE, cache_entries=3)
    bad = token(key, "k1", aud="someone-else")
    for _ in range(2):
        with pytest.raises(InvalidToken):
            await verifier.verify(bad)
    assert jwks.lookups == 2
    for i in range(10):
        await verifier.verify(token(key, "k1", sub=f"u{i}"))
    assert len(verifier._verified) <= 3


class SlowJwks(JwksCache):
    """A key set fetched from memory after a delay; counts fetches and can be made to fail."""

    def __init__(self, keys: dict[str, PyJWK], *, delay: float) -> None:
        super().__init__("http://unused", lifespan_seconds=300)
        self.served, self.delay, self.fetches, self.failing = keys, delay, 0, False

    async def refresh(self) -> None:
        self.fetches += 1
        await asyncio.sleep(self.delay)
        if self.failing:
            raise httpx.ConnectError("identity provider away")
        self._keys, self._fetched_at = dict(self.served), time.monotonic()


def _jwk(key: rsa.RSAPrivateKey, kid: str) -> PyJWK:
    return PyJWK.from_dict({**jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": kid,
                            "alg": "RS256"})


async def test_a_stale_key_set_is_refetched_behind_the_requests(key):
    jwks = SlowJwks({"k1": _jwk(key, "k1")}, delay=0.2)
    await jwks.key("k1")  # first use: nothing in hand, so the request waits for the fetch
    jwks._fetched_at -= 301  # the key set is now older than its lifespan
    started = time.monotonic()
    found = await asyncio.gather(*(jwks.key("k1") for _ in range(20)))
    assert time.monotonic() - started < 0.1 and all(k is not None for k in found)  # nobody waited for it
    await asyncio.sleep(0.3)
    assert jwks.fetches == 2 and time.monotonic() - jwks._fetched_at < 1  # one refetch, in the background


async def test_an_unknown_kid_still_waits_for_the_refetch(key):
    jwks = SlowJwks({"k1": _jwk(key, "k1")}, delay=0.05)
    await jwks.key("k1")
    jwks.served = {"k1": _jwk(key, "k1"), "k2": _jwk(key, "k2")}  # a key rotation
    jwks._fetched_at -= 11
    assert await jwks.key("k2") is not None and jwks.fetches == 2


async def test_a_failed_background_refetch_keeps_the_keys_and_backs_off(key, caplog):
    jwks = SlowJwks({"k1": _jwk(key, "k1")}, delay=0.0)
    await jwks.key("k1")
    jwks.failing, jwks._fetched_at = True, jwks._fetched_at - 301
    for _ in range(5):
        assert await jwks.key("k1") is not None
        await asyncio.sleep(0.01)
    assert jwks.fetches == 2  # one failed attempt, not one per request
    assert "JWKS refresh failed" in caplog.text
