"""Entry point of the TPP service (HTTP :8004)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from kinerja_kit.service import ServiceRuntime, create_service_app, run
from kinerja_kit.settings import ServiceSettings
from tpp_service.api.routes import router
from tpp_service.region import load_rule_sets
from tpp_service.handlers.consumers import register
from tpp_service.persistence.tables import metadata

DEFAULT_PORT = 8004


class TppSettings(ServiceSettings):
    timezone: str = "Asia/Jakarta"


def load_settings(**overrides) -> TppSettings:
    return TppSettings.for_service("tpp", DEFAULT_PORT, **overrides)


def create_app(settings: TppSettings | None = None) -> FastAPI:
    settings = settings or load_settings()
    runtime = ServiceRuntime(settings, metadata, str(Path(__file__).parent / "migrations"))
    register(runtime.consumers)
    app = create_service_app(runtime, title="Kinerja TPP", routers=[router])
    app.state.rule_sets = load_rule_sets(settings.region_config_dir)
    app.state.tpp_settings = settings
    return app


def main() -> None:
    settings = load_settings()
    run(create_app(settings), settings)


if __name__ == "__main__":
    main()
