"""Entry point of the scoring service (HTTP :8002)."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from pydantic import Field

from kinerja_contracts.topics import CATALOG_ACTIVITY_TYPE
from kinerja_kit.calendar import CalendarCache
from kinerja_kit.service import ServiceRuntime, ServiceSpec
from kinerja_kit.settings import ServiceSettings
from scoring_service.api.appraisal import router as appraisal_router
from scoring_service.api.catalog import router as catalog_router
from scoring_service.api.dashboard import router as dashboard_router
from scoring_service.api.inspektorat import router as inspektorat_router
from scoring_service.api.routes import router
from scoring_service.api.talent import router as talent_router
from scoring_service.application.dashboard import Desk, ThresholdsStore, TreeCache
from scoring_service.handlers.consumers import register
from scoring_service.live import StreamSlots
from scoring_service.persistence import repository as repo
from scoring_service.persistence.tables import metadata
from scoring_service.region import RegionConfig, load_region
from scoring_service.region.appraisal import load_rules
from scoring_service.region.dashboard import load_thresholds

log = logging.getLogger(__name__)


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


class ScoringSettings(ServiceSettings):
    profile: str = Field(default="minutes", description="KINERJA_SCORING_PROFILE: the packaged region profile, "
                         "minutes (DKI/Surabaya) or points (Jambi); KINERJA_REGION_CONFIG_DIR overrides it")


def wire(runtime: ServiceRuntime, app: FastAPI) -> None:
    region = load_region(runtime.settings.region_config_dir, runtime.settings.profile)
    app.state.calendar = CalendarCache(metadata)
    # the dashboard read model and the Inspektorat's desk (issue 13): thresholds validated at start
    app.state.thresholds = ThresholdsStore(load_thresholds(runtime.settings.region_config_dir))
    app.state.dashboard_trees = TreeCache()
    app.state.dashboard_streams = StreamSlots()
    desk = Desk(app.state.thresholds, app.state.calendar, ZoneInfo(runtime.settings.timezone),
                app.state.dashboard_trees)
    register(runtime.consumers, region, app.state.calendar, desk)
    runtime.on_migrated.append(lambda: seed_catalog(runtime, region))
    app.state.region = region
    app.state.appraisal_rules = load_rules(runtime.settings.region_config_dir)  # validated at start


SERVICE = ServiceSpec(name="scoring", port=8002, settings=ScoringSettings, metadata=metadata,
                      routers=[catalog_router, router, appraisal_router, talent_router,
                               dashboard_router, inspektorat_router], wire=wire)
load_settings, create_app, main = SERVICE.load_settings, SERVICE.create_app, SERVICE.main

if __name__ == "__main__":
    main()
