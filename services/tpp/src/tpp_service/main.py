"""Entry point of the TPP service (HTTP :8004)."""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import Field

from kinerja_kit.calendar import CalendarCache
from kinerja_kit.service import ServiceRuntime, ServiceSpec
from kinerja_kit.settings import ServiceSettings
from tpp_service.api.exports import router as exports_router
from tpp_service.api.routes import router
from tpp_service.handlers.consumers import register
from tpp_service.persistence.tables import metadata
from tpp_service.region import load_rule_sets


class TppSettings(ServiceSettings):
    profile: str | None = Field(default=None, description="KINERJA_TPP_PROFILE: a packaged rule-set profile; "
                                "unset = rules.json (the DOMAIN.md defaults); KINERJA_REGION_CONFIG_DIR overrides")
    fault_close_hold_seconds: float = Field(default=0.0, description="tests only: the close waits this long "
                                            "before its commit (a crash window)")


def wire(runtime: ServiceRuntime, app: FastAPI) -> None:
    app.state.calendar = CalendarCache(metadata)
    app.state.rule_sets = load_rule_sets(runtime.settings.region_config_dir, runtime.settings.profile)
    register(runtime.consumers, app.state.calendar, app.state.rule_sets)


SERVICE = ServiceSpec(name="tpp", port=8004, settings=TppSettings, metadata=metadata, routers=[router, exports_router], wire=wire,
                      display_name="TPP")
load_settings, create_app, main = SERVICE.load_settings, SERVICE.create_app, SERVICE.main

if __name__ == "__main__":
    main()
