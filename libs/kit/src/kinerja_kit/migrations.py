"""Alembic glue: each service's migrations/env.py calls `run_env(metadata)`.

New revision after a model change (from the repo root):
    uv run python -m kinerja_kit.migrations <service_package> "message"
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from pathlib import Path

import sqlalchemy as sa


def run_env(metadata: sa.MetaData) -> None:
    from alembic import context

    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
        user_module_prefix="sqlmodel.sql.sqltypes.",
    )
    with context.begin_transaction():
        context.run_migrations()


async def _autogenerate(package: str, message: str) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy.ext.asyncio import create_async_engine

    pkg = importlib.import_module(package)
    script_location = str(Path(pkg.__file__).parent / "migrations")
    engine = create_async_engine("sqlite+aiosqlite://")
    cfg = Config()
    cfg.set_main_option("script_location", script_location)

    def run(conn: sa.Connection) -> None:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        command.revision(cfg, message=message, autogenerate=True)

    async with engine.begin() as conn:
        await conn.run_sync(run)
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(_autogenerate(sys.argv[1], sys.argv[2]))
