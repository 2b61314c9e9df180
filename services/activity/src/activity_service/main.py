"""Entry point of the activity service (HTTP :8001)."""

from __future__ import annotations

from datetime import time
from typing import Literal

from fastapi import FastAPI

from activity_service.api import attendance, calendar as calendar_api, org as org_api, discipline
from activity_service.application.calendar import seed_defaults
from activity_service.api.routes import router
from activity_service.handlers.consumers import register
from activity_service.region import load_discipline_rules
from activity_service.persistence.fast_intake import IntakePool
from activity_service.persistence.evidence_store import EvidenceStore, LocalEvidenceStore
from activity_service.persistence.reference import ReferenceCache
from activity_service.persistence.tables import metadata
from kinerja_kit.service import ServiceRuntime, ServiceSpec
from kinerja_kit.settings import ServiceSettings


class ActivitySettings(ServiceSettings):
    backdate_working_days: int = 3
    reference_cache_seconds: float = 5.0
    work_start: time = time(7, 30)  # the region's working hours: late / early minutes from e-Absen times
    work_end: time = time(16, 0)
    evidence_store: Literal["local", "s3"] = "local"
    evidence_dir: str = "var/evidence"  # the local evidence store (content-addressed)
    # The S3-compatible store; credentials from boto3's standard chain (AWS_* variables, ~/.aws,
    # web identity, the instance or container role), never from these settings.
    evidence_s3_bucket: str | None = None
    evidence_s3_prefix: str = "evidence"
    evidence_s3_endpoint_url: str | None = None  # MinIO, Ceph RGW, …; unset = AWS
    evidence_s3_region: str | None = None
    evidence_max_bytes: int = 10 * 1024 * 1024
    evidence_max_files: int = 5
    # PostgreSQL: JSON submissions take the lean path (asyncpg directly, application/fast_intake.py).
    fast_intake: bool = True
    fast_intake_pool_size: int = 10


class EvidenceStoreMisconfigured(RuntimeError):
    pass


def evidence_store(settings: ActivitySettings) -> EvidenceStore:
    """The configured evidence store; refuses S3 without a bucket (nothing is contacted yet)."""
    if settings.evidence_store == "s3":
        if not settings.evidence_s3_bucket:
            raise EvidenceStoreMisconfigured("KINERJA_ACTIVITY_EVIDENCE_STORE=s3 needs "
                                             "KINERJA_ACTIVITY_EVIDENCE_S3_BUCKET")
        from activity_service.persistence.s3_evidence_store import S3EvidenceStore

        return S3EvidenceStore(settings.evidence_s3_bucket, settings.evidence_s3_prefix,
                               endpoint_url=settings.evidence_s3_endpoint_url, region=settings.evidence_s3_region)
    return LocalEvidenceStore(settings.evidence_dir)


def wire(runtime: ServiceRuntime, app: FastAPI) -> None:
    app.state.evidence = evidence_store(runtime.settings)
    app.state.reference = ReferenceCache(runtime.settings.reference_cache_seconds)
    app.state.fast_intake = None
    if runtime.db.is_postgres and runtime.settings.fast_intake:
        app.state.fast_intake = pool = IntakePool(runtime.settings.sqlalchemy_url(),
                                                  max_size=runtime.settings.fast_intake_pool_size)
        runtime.on_stop.append(pool.close)
    # A bad discipline.json refuses the start, naming the value's place.
    app.state.discipline_rules = load_discipline_rules(runtime.settings.region_config_dir)
    register(runtime.consumers, app.state.reference)

    async def seed_calendar() -> None:  # the shipped calendar of this year and the next, once
        year = runtime.settings.today().year
        async with runtime.uow() as uow:
            await seed_defaults(uow, app.state.reference.calendar, [year, year + 1], runtime.settings.region_config_dir)
    runtime.on_migrated.append(seed_calendar)


SERVICE = ServiceSpec(name="activity", port=8001, settings=ActivitySettings, metadata=metadata,
                      routers=[router, org_api.router, attendance.router, calendar_api.router, discipline.router], wire=wire)
load_settings, create_app, main = SERVICE.load_settings, SERVICE.create_app, SERVICE.main

if __name__ == "__main__":
    main()
