"""Local JWT validation against the realm's cached JWKS, mapped to a frozen Principal."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
from jwt import PyJWK

from natres_platform.errors import DependencyUnavailable, Forbidden, Unauthenticated

log = logging.getLogger(__name__)

# Keycloak signs with RS256 by default; listing the accepted algorithms is what stops `alg: none`
# and HMAC-with-the-public-key confusion.
ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "ES256", "EdDSA")


class InvalidToken(Unauthenticated):
    code = "auth.invalid_token"
    title = "访问令牌无效"


class TokenExpired(Unauthenticated):
    code = "auth.token_expired"
    title = "访问令牌已过期"


class MissingRole(Forbidden):
    code = "auth.missing_role"
    title = "缺少所需角色"


class WrongRegion(Forbidden):
    code = "auth.wrong_region"
    title = "不属于该辖区"


@dataclass(frozen=True)
class Principal:
    """Who is calling: from a verified access token, never from the request body."""

    subject: str
    username: str | None = None
    name: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    region: str | None = None
    org_code: str | None = None
    client_id: str | None = None
    claims: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def has_role(self, *roles: str) -> bool:
        """True when the principal holds any of the roles."""
        return bool(self.roles.intersection(roles))

    def require_role(self, *roles: str) -> None:
        """Raise 403 unless the principal holds one of the roles."""
        if not self.has_role(*roles):
            raise MissingRole(f"需要以下角色之一: {', '.join(roles)}", required_roles=list(roles))

    def require_region(self, *regions: str) -> None:
        """Raise 403 unless the principal's office region is one of the given codes."""
        if self.region not in regions:
            raise WrongRegion(
                f"办理机构辖区 {self.region or '(无)'} 不在 {', '.join(regions)} 之内", required_regions=list(regions)
            )

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Principal:
        """Map Keycloak claims (realm_access.roles, region, org_code) to a Principal."""
        roles = frozenset((claims.get("realm_access") or {}).get("roles") or ())
        return cls(
            subject=claims["sub"],
            username=claims.get("preferred_username"),
            name=claims.get("name"),
            roles=roles,
            region=_str_or_none(claims.get("region")),
            org_code=_str_or_none(claims.get("org_code")),
            client_id=claims.get("azp") or claims.get("client_id"),
            claims=claims,
        )


def _str_or_none(value: Any) -> str | None:
    if isinstance(value, list):  # multivalued mappers emit lists
        value = value[0] if value else None
    return str(value) if value not in (None, "") else None


class JwksCache:
    """Fetches the JWKS once per lifespan (behind the requests); an unknown `kid` refetches at most once per 10 s."""

    def __init__(self, url: str, *, lifespan_seconds: int = 300, timeout: float = 5.0) -> None:
        self._url = url
        self._lifespan = lifespan_seconds
        self._timeout = timeout
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()
        self._background: asyncio.Task[None] | None = None
        self._retry_at = 0.0  # monotonic time before which a failed background refresh is not retried
        self.version = 0  # bumped when the key set changes (verified-token caches drop their entries)

    def _refresh_behind(self) -> None:
        if (self._background is None or self._background.done()) and time.monotonic() >= self._retry_at:
            self._background = asyncio.get_running_loop().create_task(self._refresh_quietly())

    async def _refresh_quietly(self) -> None:
        async with self._lock:
            if time.monotonic() - self._fetched_at < self._lifespan:
                return  # refreshed meanwhile
            try:
                await self.refresh()
            except (httpx.HTTPError, ValueError) as exc:
                # The key set in hand stays in use; another attempt in 10 s, not one per request.
                self._retry_at = time.monotonic() + 10
                log.warning("auth: JWKS refresh failed, keeping the previous key set", extra={"error": repr(exc)})

    async def refresh(self) -> None:
        """Fetch the key set now."""
        async with httpx.AsyncClient(timeout=self._timeout) as client:
            resp = await client.get(self._url)
            resp.raise_for_status()
            body = resp.json()
        keys = {}
        for jwk in body.get("keys", []):
            if jwk.get("use", "sig") != "sig" or "kid" not in jwk:
                continue
            try:
                keys[jwk["kid"]] = PyJWK(jwk)
            except jwt.PyJWTError:
                continue  # e.g. an encryption-only key
        if {k: v.key_id for k, v in keys.items()} != {k: v.key_id for k, v in self._keys.items()}:
            self.version += 1
        self._keys = keys
        self._fetched_at = time.monotonic()

    async def key(self, kid: str) -> PyJWK | None:
        """The signing key with that id; an unknown one waits for a refetch, a stale set is refetched behind."""
        age = time.monotonic() - self._fetched_at
        if kid in self._keys:
            if age >= self._lifespan:
                # Stale while revalidating: the requests of that moment are not held behind the identity
                # provider's round trip (every 5 minutes, a stall of the whole API process for as long).
                self._refresh_behind()
            return self._keys[kid]
        async with self._lock:
            age = time.monotonic() - self._fetched_at
            if kid not in self._keys and (age >= 10 or not self._keys) or age >= self._lifespan:
                try:
                    await self.refresh()
                except (httpx.HTTPError, ValueError) as exc:
                    if not self._keys:
                        raise DependencyUnavailable(f"无法获取身份服务公钥: {exc}") from exc
        return self._keys.get(kid)


class TokenVerifier:
    """Verifies signature, expiry, issuer and audience locally.

    A token that verified is remembered by its SHA-256 until it expires (at most `cache_seconds`, the
    JWKS lifespan, so a withdrawn key stops working as late as it would without the cache): the same
    bearer token on every request of a session then costs a hash, not a signature check.
    """

    def __init__(
        self,
        *,
        jwks: JwksCache,
        issuer: str,
        audience: str | Iterable[str],
        leeway: int = 10,
        cache_entries: int = 10_000,
        cache_seconds: float = 300.0,
    ) -> None:
        self._jwks = jwks
        self._issuer = issuer
        self._audience = [audience] if isinstance(audience, str) else list(audience)
        self._leeway = leeway
        self._cache_entries = cache_entries
        self._cache_seconds = cache_seconds
        # sha256(token) -> (principal, exp, keep_until (monotonic), jwks version)
        self._verified: dict[bytes, tuple[Principal, float, float, int]] = {}

    async def verify(self, token: str) -> Principal:
        """Return the Principal for a valid token or raise 401 with a specific code."""
        digest = hashlib.sha256(token.encode()).digest()
        hit = self._verified.get(digest)
        if hit is not None:
            principal, exp, keep_until, version = hit
            if version == self._jwks.version and time.monotonic() < keep_until:
                if time.time() > exp + self._leeway:
                    del self._verified[digest]
                    raise TokenExpired()
                return principal
            del self._verified[digest]
        principal = await self._verify_signed(token)
        self._remember(digest, principal)
        return principal

    def _remember(self, digest: bytes, principal: Principal) -> None:
        if self._cache_entries <= 0:
            return
        if len(self._verified) >= self._cache_entries:
            now = time.time()
            for key in [k for k, v in self._verified.items() if now > v[1] + self._leeway]:
                del self._verified[key]
            while len(self._verified) >= self._cache_entries:
                del self._verified[next(iter(self._verified))]  # the oldest
        exp = float(principal.claims["exp"])
        self._verified[digest] = (principal, exp, time.monotonic() + self._cache_seconds, self._jwks.version)

    async def _verify_signed(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"令牌格式错误: {exc}") from exc
        alg = header.get("alg")
        if alg not in ALLOWED_ALGORITHMS:
            raise InvalidToken(f"不接受的签名算法: {alg}")
        kid = header.get("kid")
        key = await self._jwks.key(kid) if kid else None
        if key is None:
            raise InvalidToken("未知的签名密钥")
        try:
            claims = jwt.decode(
                token,
                key=key.key,
                algorithms=[alg],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "iss", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenExpired() from exc
        except jwt.InvalidAudienceError as exc:
            raise InvalidToken("令牌受众不是本服务", reason="audience") from exc
        except jwt.InvalidIssuerError as exc:
            raise InvalidToken("令牌签发者不受信任", reason="issuer") from exc
        except jwt.InvalidSignatureError as exc:
            raise InvalidToken("令牌签名无效", reason="signature") from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"令牌无效: {exc}") from exc
        return Principal.from_claims(claims)
