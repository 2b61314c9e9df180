"""JWT bearer auth. Local mode: HS256 with KINERJA_JWT_SECRET; production: RS256/ES256 verified
against the OIDC provider's JWKS (KINERJA_JWT_JWKS_URL). `sub` is the NIP; `roles` a list."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated

import jwt
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kinerja_kit.settings import ServiceSettings

ROLES = frozenset({"pegawai", "admin", "inspektorat", "bpkad", "pimpinan", "absensi"})  # absensi: the e-Absen system


@dataclass(frozen=True)
class Principal:
    nip: str
    roles: frozenset[str]

    def has(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))


class TokenVerifier:
    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self._jwks = jwt.PyJWKClient(settings.jwt_jwks_url, timeout=10,
                                     cooldown_duration=settings.jwt_jwks_refresh_cooldown_seconds) \
            if settings.jwt_jwks_url else None

    @property
    def uses_jwks(self) -> bool:
        return self._jwks is not None

    def verify(self, token: str) -> Principal:
        s = self.settings
        if self._jwks:
            key = self._jwks.get_signing_key_from_jwt(token).key
            algorithms = ["RS256", "ES256"]
        else:
            key, algorithms = s.jwt_secret, ["HS256"]
        claims = jwt.decode(
            token, key, algorithms=algorithms, audience=s.jwt_audience, issuer=s.jwt_issuer,
            options={"require": ["sub", "exp", "iss", "aud"]},
        )
        roles = claims.get("roles", [])
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise jwt.InvalidTokenError("roles must be a list of strings")
        return Principal(nip=str(claims["sub"]), roles=frozenset(roles) & ROLES)


_bearer = HTTPBearer(auto_error=False)


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


async def current_principal(
    request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if creds is None or creds.scheme.lower() != "bearer":
        raise _unauthorized("missing bearer token")
    verifier: TokenVerifier = request.app.state.token_verifier
    try:
        if verifier.uses_jwks:  # fetching the JWKS is blocking I/O: keep it off the event loop
            return await asyncio.to_thread(verifier.verify, creds.credentials)
        return verifier.verify(creds.credentials)
    except jwt.PyJWTError as exc:
        raise _unauthorized(f"invalid token: {exc}") from None


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: str):
    """Dependency: the caller must hold one of `roles`, else 403."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if not principal.has(*roles):
            raise HTTPException(403, detail=f"requires role {' or '.join(roles)}")
        return principal

    return Depends(check)
