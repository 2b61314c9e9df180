"""Alembic glue: each service's migrations/env.py calls `run_env(metadata)`.

The kit's own tables (outbox, inbox) live in the kit's branch (`versions/` beside this file,
branch label `kinerja_kit`); every service's first revision depends on it, so one
`upgrade heads` brings both. New revision after a model change (from the repo root):
    uv run python -m kinerja_kit.migrations <service_package> "message"
"""

from __future__ import annotations

import importlib
from pathlib import Path

import sqlalchemy as sa
from alembic.config import Config

KIT_VERSIONS = str(Path(__file__).parent / "versions")
KIT_BRANCH = "kinerja_kit"
KIT_TABLES = ("outbox", "inbox", "calendar_years")


def alembic_config(script_location: str) -> Config:
    """A service's Alembic config: its own script directory plus the kit's branch."""
    cfg = Config()
    cfg.set_main_option("script_location", script_location)
    cfg.set_main_option("version_locations", f"{Path(script_location) / 'versions'} {KIT_VERSIONS}")
    cfg.set_main_option("path_separator", "space")
    return cfg


def run_env(metadata: sa.MetaData) -> None:
    from alembic import context

    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
        user_module_prefix="sqlmodel.sql.sqltypes.",
        # The kit's tables belong to the kit's branch: a service revision never repeats them.
        include_object=lambda obj, name, type_, reflected, other: not (type_ == "table" and name in KIT_TABLES),
    )
    with context.begin_transaction():
        context.run_migrations()


def service_script_location(package: str) -> str:
    return str(Path(importlib.import_module(package).__file__).parent / "migrations")
