"""`python -m kinerja_kit.migrations <service_package> "message"`: autogenerate a service revision."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import sqlalchemy as sa

from kinerja_kit.migrations import KIT_BRANCH, alembic_config, service_script_location


async def autogenerate(package: str, message: str) -> None:
    from alembic import command
    from alembic.script import ScriptDirectory
    from sqlalchemy.ext.asyncio import create_async_engine

    location = service_script_location(package)
    cfg = alembic_config(location)
    script = ScriptDirectory.from_config(cfg)
    kit_heads = set(script.get_revisions(f"{KIT_BRANCH}@head"))
    service_heads = [r.revision for r in script.get_revisions("heads") if r not in kit_heads]
    engine = create_async_engine("sqlite+aiosqlite://")

    def run(conn: sa.Connection) -> None:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")
        command.revision(cfg, message=message, autogenerate=True, head=service_heads[0] if service_heads else "base",
                         version_path=str(Path(location) / "versions"))

    async with engine.begin() as conn:
        await conn.run_sync(run)
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(autogenerate(sys.argv[1], sys.argv[2]))
