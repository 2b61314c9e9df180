"""Entry point of the scoring service (HTTP :8002)."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI

from kinerja_contracts.topics import CATALOG_ACTIVITY_TYPE
from kinerja_kit.service import ServiceRuntime, create_service_app, run
from kinerja_kit.settings import ServiceSettings
from scoring_service.api.routes import router
from scoring_service.handlers.consumers import register
from scoring_service.persistence import repository as repo
from scoring_service.persistence.tables import metadata
from scoring_service.region import RegionConfig, load_region

DEFAULT_PORT = 8002
log = logging.getLogger(__name__)


class ScoringSettings(ServiceSettings):
    timezone: str = "Asia/Jakarta"


def load_settings(**overrides) -> ScoringSettings:
    return ScoringSettings.for_service("scoring", DEFAULT_PORT, **overrides)


async def seed_catalog(runtime: ServiceRuntime, region: RegionConfig) -> int:
    """Store the region's catalog; publish each new or changed type (catalog.activity-type.v1)."""
    changed = 0
    async with runtime.uow() as uow:
        for t in region.types:
            if await repo.upsert_catalog(uow.session, t):
                await uow.emit(CATALOG_ACTIVITY_TYPE, t)
                changed += 1
    log.info("catalog seeded", extra={"changed": changed})
    return changed


def create_app(settings: ScoringSettings | None = None) -> FastAPI:
    settings = settings or load_settings()
    region = load_region(settings.region_config_dir)
    runtime = ServiceRuntime(settings, metadata, str(Path(__file__).parent / "migrations"))
    register(runtime.consumers, region)
    runtime.on_migrated.append(lambda: seed_catalog(runtime, region))
    app = create_service_app(runtime, title="Kinerja scoring", routers=[router])
    app.state.scoring_settings = settings
    app.state.region = region
    return app


def main() -> None:
    settings = load_settings()
    run(create_app(settings), settings)


if __name__ == "__main__":
    main()
