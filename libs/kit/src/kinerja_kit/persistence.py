"""Shared persistence helpers: one `upsert` for every read model (no get-then-add races)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def _table(model: Any) -> sa.Table:
    return getattr(model, "__table__", model)


def _comparable(col: sa.ColumnElement) -> sa.ColumnElement:
    # PostgreSQL's json type has no equality operator: compare its text.
    return sa.cast(col, sa.Text) if isinstance(col.type, sa.JSON) else col


MAX_PARAMETERS = 30_000  # below PostgreSQL's 32,767 and SQLite's 32,766 bind parameters per statement


async def upsert(
    session: AsyncSession,
    model: Any,
    rows: Mapping[str, Any] | Iterable[Mapping[str, Any]],
    *,
    key: Sequence[str] | None = None,
    update: bool = True,
    only_if_changed: bool = False,
    where: Callable[[sa.Table, Any], sa.ColumnElement[bool]] | None = None,
) -> int:
    """`INSERT … ON CONFLICT (key) DO UPDATE` on PostgreSQL and SQLite; returns rows written.

    `key` defaults to the primary key; `update=False` keeps the stored row (DO NOTHING).
    `only_if_changed` skips rows whose values are all equal, so the count says what was new or
    changed. `where(table, excluded)` guards the update (e.g. a newer version only). Large batches
    go in chunks under the bind-parameter limit. One statement per chunk: an ORM object of the
    same row already loaded in the session is not refreshed."""
    table = _table(model)
    values = [dict(rows)] if isinstance(rows, Mapping) else [dict(r) for r in rows]
    if not values:
        return 0
    key = list(key or [c.name for c in table.primary_key])
    insert = postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert
    columns = [c for c in values[0] if c not in key]
    per_chunk = max(1, MAX_PARAMETERS // len(values[0]))
    written = 0
    for start in range(0, len(values), per_chunk):
        chunk = values[start:start + per_chunk]
        # One row as a dict: SQLAlchemy caches that statement's compiled form; a list of rows (the
        # multi-values form) is compiled anew on every call.
        stmt = insert(table).values(chunk[0] if len(chunk) == 1 else chunk)
        if not update or not columns:
            stmt = stmt.on_conflict_do_nothing(index_elements=key)
        else:
            conditions = []
            if only_if_changed:
                conditions.append(sa.or_(*(_comparable(table.c[c]).is_distinct_from(_comparable(stmt.excluded[c]))
                                           for c in columns)))
            if where is not None:
                conditions.append(where(table, stmt.excluded))
            stmt = stmt.on_conflict_do_update(index_elements=key, set_={c: stmt.excluded[c] for c in columns},
                                              where=sa.and_(*conditions) if conditions else None)
        written += (await session.execute(stmt)).rowcount
    return written


def values_of(obj: Any) -> dict[str, Any]:
    """A domain dataclass's fields as column values (enums as their values), for `upsert`."""
    return {f.name: (v.value if isinstance(v := getattr(obj, f.name), Enum) else v) for f in dataclasses.fields(obj)}
