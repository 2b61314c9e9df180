"""The web process's settings (prefix KINERJA_WEB_, shared KINERJA_* underneath)."""

from __future__ import annotations

from pydantic import Field

from kinerja_kit.settings import LOCAL_JWT_SECRET, ServiceSettings

UPSTREAMS = ("activity", "scoring", "approval", "tpp", "notify")


class WebSettings(ServiceSettings):
    activity_url: str = "http://127.0.0.1:8001"
    scoring_url: str = "http://127.0.0.1:8002"
    approval_url: str = "http://127.0.0.1:8003"
    tpp_url: str = "http://127.0.0.1:8004"
    notify_url: str = "http://127.0.0.1:8005"
    upstream_connect_seconds: float = Field(default=5.0, description="connect timeout to a service")
    demo_users_file: str | None = Field(default=None, description="local mode: a JSON list of demo users "
                                        "instead of the packaged one (deploy/demo/org.csv's people)")
    # production: OIDC authorization code + PKCE, the browser as a public client
    oidc_issuer: str | None = None
    oidc_authorization_endpoint: str | None = None
    oidc_token_endpoint: str | None = None
    oidc_client_id: str = "kinerja-web"
    oidc_scope: str = "openid profile"
    oidc_redirect_uri: str | None = Field(default=None, description="default: <origin>/auth/callback")

    def upstream(self, service: str) -> str | None:
        return getattr(self, f"{service}_url").rstrip("/") if service in UPSTREAMS else None

    @property
    def local_mode(self) -> bool:
        """Local sign-in only where the services accept the documented local secret (no JWKS)."""
        return not self.jwt_jwks_url and self.jwt_secret == LOCAL_JWT_SECRET
