"""Entry point of the approval service (HTTP :8003)."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import FastAPI

from approval_service.api.routes import router
from approval_service.handlers.consumers import register
from approval_service.persistence.tables import metadata
from kinerja_kit.service import ServiceRuntime, create_service_app, run
from kinerja_kit.settings import ServiceSettings

DEFAULT_PORT = 8003


class ApprovalSettings(ServiceSettings):
    sla_working_days: int = 3
    timezone: str = "Asia/Jakarta"


def load_settings(**overrides) -> ApprovalSettings:
    return ApprovalSettings.for_service("approval", DEFAULT_PORT, **overrides)


def create_app(settings: ApprovalSettings | None = None) -> FastAPI:
    settings = settings or load_settings()
    runtime = ServiceRuntime(settings, metadata, str(Path(__file__).parent / "migrations"))
    register(runtime.consumers, settings.sla_working_days, ZoneInfo(settings.timezone))
    return create_service_app(runtime, title="Kinerja approval", routers=[router])


def main() -> None:
    settings = load_settings()
    run(create_app(settings), settings)


if __name__ == "__main__":
    main()
