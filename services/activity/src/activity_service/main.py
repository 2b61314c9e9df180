"""Entry point of the activity service (HTTP :8001)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from activity_service.api.routes import router
from activity_service.handlers.consumers import register
from activity_service.persistence.tables import metadata
from kinerja_kit.service import ServiceRuntime, create_service_app, run
from kinerja_kit.settings import ServiceSettings

DEFAULT_PORT = 8001


class ActivitySettings(ServiceSettings):
    timezone: str = "Asia/Jakarta"
    backdate_working_days: int = 3


def load_settings(**overrides) -> ActivitySettings:
    return ActivitySettings.for_service("activity", DEFAULT_PORT, **overrides)


def create_app(settings: ActivitySettings | None = None) -> FastAPI:
    settings = settings or load_settings()
    runtime = ServiceRuntime(settings, metadata, str(Path(__file__).parent / "migrations"))
    register(runtime.consumers)
    app = create_service_app(runtime, title="Kinerja activity", routers=[router])
    app.state.activity_settings = settings
    return app


def main() -> None:
    settings = load_settings()
    run(create_app(settings), settings)


if __name__ == "__main__":
    main()
