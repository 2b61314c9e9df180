"""Entry point of the approval service (HTTP :8003)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import FastAPI

from approval_service.api.routes import router
from approval_service.handlers.consumers import register
from approval_service.persistence.tables import metadata
from kinerja_kit.calendar import CalendarCache
from kinerja_kit.service import ServiceRuntime, ServiceSpec
from kinerja_kit.settings import ServiceSettings


class ApprovalSettings(ServiceSettings):
    sla_working_days: int = 3


def wire(runtime: ServiceRuntime, app: FastAPI) -> None:
    settings = runtime.settings
    app.state.calendar = CalendarCache(metadata)
    register(runtime.consumers, settings.sla_working_days, ZoneInfo(settings.timezone), app.state.calendar)


SERVICE = ServiceSpec(name="approval", port=8003, settings=ApprovalSettings, metadata=metadata, routers=[router], wire=wire)
load_settings, create_app, main = SERVICE.load_settings, SERVICE.create_app, SERVICE.main

if __name__ == "__main__":
    main()
