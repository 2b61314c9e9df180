"""Sign-in: the browser's OIDC configuration, and in local mode the demo users and their tokens."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from kinerja_kit.auth import ROLES
from kinerja_kit.tokens import mint
from web_service.settings import WebSettings

router = APIRouter(prefix="/auth")
HOMES = ("pegawai", "atasan", "pimpinan", "inspektorat", "admin")


class DemoUser(BaseModel):
    nip: str = Field(pattern=r"^[0-9]{18}$")
    name: str
    roles: list[str]
    home: str = "pegawai"
    title: str = ""


def load_demo_users(path: str | None) -> list[DemoUser]:
    text = Path(path).read_text() if path else \
        resources.files("web_service").joinpath("demo_users.json").read_text()
    users = [DemoUser(**u) for u in json.loads(text)]
    for i, u in enumerate(users):
        if not set(u.roles) <= ROLES or u.home not in HOMES:
            raise ValueError(f"demo user [{i}] ({u.nip}): unknown role or home")
    return users


def oidc_config(settings: WebSettings, origin: str) -> dict:
    issuer = (settings.oidc_issuer or "").rstrip("/")
    return {"mode": "oidc", "issuer": issuer or None,
            "authorization_endpoint": settings.oidc_authorization_endpoint or (issuer and f"{issuer}/authorize") or None,
            "token_endpoint": settings.oidc_token_endpoint or (issuer and f"{issuer}/token") or None,
            "client_id": settings.oidc_client_id, "scope": settings.oidc_scope,
            "redirect_uri": settings.oidc_redirect_uri or f"{origin}/auth/callback"}


@router.get("/config")
async def config(request: Request) -> dict:
    settings: WebSettings = request.app.state.settings
    if settings.local_mode:
        return {"mode": "local"}
    return oidc_config(settings, str(request.base_url).rstrip("/"))


def _local(request: Request) -> list[DemoUser]:
    if not request.app.state.settings.local_mode:
        raise HTTPException(404, "local sign-in is off (OIDC mode)")
    return request.app.state.demo_users


@router.get("/local/users")
async def local_users(request: Request) -> list[DemoUser]:
    return _local(request)


class TokenIn(BaseModel):
    nip: str


@router.post("/local/token")
async def local_token(body: TokenIn, request: Request) -> dict:
    user = next((u for u in _local(request) if u.nip == body.nip), None)
    if user is None:
        raise HTTPException(404, f"no demo user {body.nip}")
    ttl = 12 * 3600
    token = mint(user.nip, user.roles, settings=request.app.state.settings, ttl_seconds=ttl)
    return {"access_token": token, "token_type": "Bearer", "expires_in": ttl, "user": user.model_dump()}
