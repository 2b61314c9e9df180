"""Entry point of the notify service (HTTP :8005)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from kinerja_kit.service import ServiceRuntime, create_service_app, run
from kinerja_kit.settings import ServiceSettings
from notify_service.api.routes import router
from notify_service.handlers.consumers import register
from notify_service.persistence.tables import metadata

DEFAULT_PORT = 8005


def load_settings(**overrides) -> ServiceSettings:
    return ServiceSettings.for_service("notify", DEFAULT_PORT, **overrides)


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    settings = settings or load_settings()
    runtime = ServiceRuntime(settings, metadata, str(Path(__file__).parent / "migrations"))
    register(runtime.consumers)
    return create_service_app(runtime, title="Kinerja notify", routers=[router])


def main() -> None:
    settings = load_settings()
    run(create_app(settings), settings)


if __name__ == "__main__":
    main()
