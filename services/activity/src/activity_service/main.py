"""Entry point of the activity service (HTTP :8001)."""

from __future__ import annotations

from datetime import time

from fastapi import FastAPI

from activity_service.api import attendance
from activity_service.api.routes import router
from activity_service.handlers.consumers import register
from activity_service.persistence.evidence_store import LocalEvidenceStore
from activity_service.persistence.reference import ReferenceCache
from activity_service.persistence.tables import metadata
from kinerja_kit.service import ServiceRuntime, ServiceSpec
from kinerja_kit.settings import ServiceSettings


class ActivitySettings(ServiceSettings):
    backdate_working_days: int = 3
    reference_cache_seconds: float = 5.0
    work_start: time = time(7, 30)  # the region's working hours: late / early minutes from e-Absen times
    work_end: time = time(16, 0)
    evidence_dir: str = "var/evidence"  # the local evidence store (content-addressed)
    evidence_max_bytes: int = 10 * 1024 * 1024
    evidence_max_files: int = 5


def wire(runtime: ServiceRuntime, app: FastAPI) -> None:
    app.state.reference = ReferenceCache(runtime.settings.reference_cache_seconds)
    app.state.evidence = LocalEvidenceStore(runtime.settings.evidence_dir)
    register(runtime.consumers, app.state.reference)


SERVICE = ServiceSpec(name="activity", port=8001, settings=ActivitySettings, metadata=metadata,
                      routers=[router, attendance.router], wire=wire)
load_settings, create_app, main = SERVICE.load_settings, SERVICE.create_app, SERVICE.main

if __name__ == "__main__":
    main()
