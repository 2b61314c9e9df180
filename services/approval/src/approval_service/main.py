"""Entry point of the approval service (HTTP :8003)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import FastAPI
from pydantic import Field

from approval_service.api.routes import router
from approval_service.api.delegations import router as delegations_router
from approval_service.application import routing
from approval_service.region import load_chain
from approval_service.handlers.consumers import register
from approval_service.persistence.tables import metadata
from approval_service.scheduler import SlaScheduler
from kinerja_kit.calendar import CalendarCache
from kinerja_kit.service import ServiceRuntime, ServiceSpec
from kinerja_kit.settings import ServiceSettings


class ApprovalSettings(ServiceSettings):
    sla_working_days: int = 3
    sla_check_seconds: float = Field(default=60.0, description="how often the SLA scheduler escalates overdue "
                                     "tasks and sends reminders (one instance per database); 0 = not at all")


def wire(runtime: ServiceRuntime, app: FastAPI) -> None:
    settings = runtime.settings
    app.state.calendar = CalendarCache(metadata)
    routing.configure(load_chain(settings.region_config_dir))
    register(runtime.consumers, settings.sla_working_days, ZoneInfo(settings.timezone), app.state.calendar)
    scheduler = SlaScheduler(runtime.db, app.state.calendar, sla_working_days=settings.sla_working_days,
                             tz=ZoneInfo(settings.timezone), interval_seconds=settings.sla_check_seconds,
                             producer=settings.service)
    app.state.sla_scheduler = scheduler

    async def start_scheduler() -> None:
        scheduler.start()

    runtime.on_migrated.append(start_scheduler)
    runtime.on_stop.append(scheduler.stop)


SERVICE = ServiceSpec(name="approval", port=8003, settings=ApprovalSettings, metadata=metadata, routers=[router, delegations_router], wire=wire)
load_settings, create_app, main = SERVICE.load_settings, SERVICE.create_app, SERVICE.main

if __name__ == "__main__":
    main()
