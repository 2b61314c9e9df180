"""Entry point of the notify service (HTTP :8005)."""

from __future__ import annotations

from fastapi import FastAPI

from kinerja_kit.service import ServiceRuntime, ServiceSpec
from kinerja_kit.settings import ServiceSettings
from notify_service.api.routes import router
from notify_service.handlers.consumers import register
from notify_service.persistence.tables import metadata


def wire(runtime: ServiceRuntime, app: FastAPI) -> None:
    register(runtime.consumers)


SERVICE = ServiceSpec(name="notify", port=8005, settings=ServiceSettings, metadata=metadata, routers=[router], wire=wire)
load_settings, create_app, main = SERVICE.load_settings, SERVICE.create_app, SERVICE.main

if __name__ == "__main__":
    main()
