"""A unit of work reads a type's catalog versions once (a poll's activities mostly share types),
and a catalog event in the same unit of work is seen by the activities after it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import event

import scoring_service
from kinerja_contracts.catalog.v1 import ActivityTypeV1
from kinerja_kit.db import Database
from kinerja_kit.outbox import UnitOfWork
from scoring_service.persistence import repository as repo
from scoring_service.persistence.tables import metadata


@pytest.fixture
async def db(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'scoring.db'}", metadata)
    await db.migrate(str(Path(scoring_service.__file__).parent / "migrations"))
    yield db
    await db.dispose()


def version(start: date, minutes: int) -> ActivityTypeV1:
    return ActivityTypeV1(code="UJI-BACA", name="Uji", unit="minutes", standard_minutes=minutes, effective_from=start)


async def test_catalog_versions_read_once_and_fresh_after_a_catalog_event(db):
    selects: list[str] = []

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def count(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and "catalog" in statement:
            selects.append(statement)

    async with UnitOfWork(db, "scoring") as uow:
        await repo.upsert_catalog(uow.session, version(date(2026, 1, 1), 30))
    async with UnitOfWork(db, "scoring") as uow:
        first = await repo.catalog_versions(uow.session, "UJI-BACA")
        again = await repo.catalog_versions(uow.session, "UJI-BACA")
        assert [t.standard_minutes for t in first] == [t.standard_minutes for t in again] == [30]
        reads = len(selects)
        assert reads == 1, selects
        await repo.upsert_catalog(uow.session, version(date(2026, 12, 1), 45))  # the catalog event
        after = await repo.catalog_versions(uow.session, "UJI-BACA")
        assert sorted(t.standard_minutes for t in after) == [30, 45], "the new version is seen at once"
        assert len(selects) > reads
