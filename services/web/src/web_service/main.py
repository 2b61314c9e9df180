"""Entry point of the web process (HTTP :8006): static app, /auth, and the /api proxy."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from opentelemetry import trace

from kinerja_kit import http
from kinerja_kit.service import check_token_settings, run
from kinerja_kit.telemetry import build_tracer_provider, configure_logging
from web_service import auth, proxy
from web_service.api.routes import STATIC, router
from web_service.settings import WebSettings

PORT = 8006


def load_settings(**overrides) -> WebSettings:
    return WebSettings.for_service("web", PORT, **overrides)


def create_app(settings: WebSettings | None = None) -> FastAPI:
    settings = settings or load_settings()
    configure_logging(settings.service, settings.log_level)
    check_token_settings(settings)  # it mints local tokens: never with the local secret beyond loopback
    if settings.otlp_endpoint:
        trace.set_tracer_provider(build_tracer_provider(settings.service, settings.otlp_endpoint))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.upstream = proxy.build_client(settings)
        try:
            yield
        finally:
            await app.state.upstream.aclose()

    app = FastAPI(title="Kinerja web", version="1.0.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None, telemetry={"tracing": False})
    app.state.settings = settings
    app.state.demo_users = auth.load_demo_users(settings.demo_users_file) if settings.local_mode else []
    http.install(app, [])  # static files and a proxy: ready once serving
    app.include_router(router)
    app.include_router(auth.router)
    app.include_router(proxy.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def main() -> None:
    settings = load_settings()
    run(create_app(settings), settings)


if __name__ == "__main__":
    main()
