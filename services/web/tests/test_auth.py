"""Sign-in endpoints: local mode (demo users, tokens the services accept) and OIDC mode."""

from __future__ import annotations

import json

import httpx
import pytest

from kinerja_kit.auth import TokenVerifier
from kinerja_kit.settings import ServiceSettings
from web_service.auth import load_demo_users
from web_service.main import create_app, load_settings


def test_local_mode_lists_the_demo_users_and_mints_their_tokens(served):
    with served(create_app(load_settings(http_port=0))) as w:
        assert httpx.get(w.url + "/auth/config").json() == {"mode": "local"}
        users = {u["nip"]: u for u in httpx.get(w.url + "/auth/local/users").json()}
        assert users["198503302010011002"]["name"] == "Ani Lestari"
        assert users["197501012000031001"]["home"] == "atasan"
        assert "pimpinan" in users["196801011990031001"]["roles"]
        assert {"admin", "bpkad", "inspektorat"} <= {r for u in users.values() for r in u["roles"]}
        r = httpx.post(w.url + "/auth/local/token", json={"nip": "196801011990031001"})
        assert r.status_code == 200
        principal = TokenVerifier(ServiceSettings()).verify(r.json()["access_token"])  # as every service checks it
        assert principal.nip == "196801011990031001" and principal.roles == {"pegawai", "pimpinan"}
        r = httpx.post(w.url + "/auth/local/token", json={"nip": "111111111111111111"})
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


def test_oidc_mode_gives_the_browser_its_configuration_and_no_local_sign_in(served):
    settings = load_settings(http_port=0, jwt_jwks_url="https://sso.example.go.id/jwks", oidc_issuer="https://sso.example.go.id",
                             oidc_client_id="kinerja-web-prod")
    with served(create_app(settings)) as w:
        cfg = httpx.get(w.url + "/auth/config").json()
        assert cfg == {"mode": "oidc", "issuer": "https://sso.example.go.id",
                       "authorization_endpoint": "https://sso.example.go.id/authorize",
                       "token_endpoint": "https://sso.example.go.id/token", "client_id": "kinerja-web-prod",
                       "scope": "openid profile", "redirect_uri": f"{w.url}/auth/callback"}
        assert httpx.get(w.url + "/auth/local/users").status_code == 404
        assert httpx.post(w.url + "/auth/local/token", json={"nip": "198503302010011002"}).status_code == 404


def test_an_own_secret_is_not_local_mode(served):
    with served(create_app(load_settings(http_port=0, jwt_secret="s" * 40))) as w:
        assert httpx.get(w.url + "/auth/config").json()["mode"] == "oidc"
        assert httpx.get(w.url + "/auth/local/users").status_code == 404


def test_a_demo_users_file_replaces_the_packaged_one(tmp_path):
    f = tmp_path / "users.json"
    f.write_text(json.dumps([{"nip": "198404042000000101", "name": "Uji", "roles": ["pegawai"], "home": "atasan"}]))
    assert [u.nip for u in load_demo_users(str(f))] == ["198404042000000101"]
    f.write_text(json.dumps([{"nip": "198404042000000101", "name": "Uji", "roles": ["raja"]}]))
    with pytest.raises(ValueError, match=r"\[0\]"):
        load_demo_users(str(f))
