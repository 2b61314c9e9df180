"""Each service's Alembic migrations produce exactly its table models (checked on SQLite)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from kinerja_kit.db import Database

SERVICES = ["activity", "scoring", "approval", "tpp", "notify"]


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_match_models(service, tmp_path):
    package = importlib.import_module(f"{service}_service")
    metadata = importlib.import_module(f"{service}_service.persistence.tables").metadata
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", metadata)
    try:
        await db.migrate(str(Path(package.__file__).parent / "migrations"))
        async with db.engine.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}), metadata))
        assert diff == [], f"run: uv run python -m kinerja_kit.migrations {service}_service 'message'"
    finally:
        await db.dispose()
