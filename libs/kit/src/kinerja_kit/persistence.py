"""Shared persistence helpers: one `upsert` for every read model (no get-then-add races), and
`read_once` / `forget` for rows a unit of work looks at more than once."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping, Sequence
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
    dialect = session.bind.dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    columns = [c for c in values[0] if c not in key]
    if len(values) == 1 and where is None:  # the consumers' hot path: a statement built once, rows as parameters
        shape = (table, dialect, tuple(key), tuple(values[0]), update, only_if_changed)
        if (stmt := _STATEMENTS.get(shape)) is None:
            if len(_STATEMENTS) >= 1024:
                _STATEMENTS.clear()
            stmt = _STATEMENTS[shape] = _upsert_statement(insert(table), table, key, columns, update, only_if_changed)
        return (await session.execute(stmt, values[0])).rowcount
    per_chunk = max(1, MAX_PARAMETERS // len(values[0]))
    written = 0
    for start in range(0, len(values), per_chunk):
        chunk = values[start:start + per_chunk]
        # A list of rows (the multi-values form) is compiled anew on every call: fine for a batch.
        stmt = insert(table).values(chunk[0] if len(chunk) == 1 else chunk)
        stmt = _upsert_statement(stmt, table, key, columns, update, only_if_changed, where)
        written += (await session.execute(stmt)).rowcount
    return written


_STATEMENTS: dict[tuple, Any] = {}  # one-row upserts by shape (table, dialect, key, columns, flags)


def _upsert_statement(stmt: Any, table: sa.Table, key: list[str], columns: list[str], update: bool,
                      only_if_changed: bool, where: Callable | None = None) -> Any:
    if not update or not columns:
        return stmt.on_conflict_do_nothing(index_elements=key)
    conditions = []
    if only_if_changed:
        conditions.append(sa.or_(*(_comparable(table.c[c]).is_distinct_from(_comparable(stmt.excluded[c]))
                                   for c in columns)))
    if where is not None:
        conditions.append(where(table, stmt.excluded))
    return stmt.on_conflict_do_update(index_elements=key, set_={c: stmt.excluded[c] for c in columns},
                                      where=sa.and_(*conditions) if conditions else None)


async def read_once(session: AsyncSession, name: str, key: Hashable, load: Callable[[], Awaitable[Any]]) -> Any:
    """`load()` once per session for (`name`, `key`); later calls get the same value, None included.
    SQLAlchemy's identity map holds objects weakly and remembers no missing row, so a handler's
    second `session.get` of the same row often went to the database again."""
    cache = session.info.setdefault(name, {})
    if key not in cache:
        cache[key] = await load()
    return cache[key]


def forget(session: AsyncSession, name: str, key: Hashable | None = None) -> None:
    """Drop what `read_once` kept under `name` (one key, or all) after a write made it stale; ORM
    objects among it leave the session, so the next read sees the database."""
    cache = session.info.get(name) or {}
    gone = [cache.pop(key, None)] if key is not None else list(cache.values())
    if key is None:
        cache.clear()
    for obj in gone:
        state = sa.inspect(obj, raiseerr=False) if obj is not None else None
        if state is not None and getattr(state, "session_id", None) is not None:
            session.expunge(obj)


def values_of(obj: Any) -> dict[str, Any]:
    """A domain dataclass's fields as column values (enums as their values), for `upsert`."""
    return {f.name: (v.value if isinstance(v := getattr(obj, f.name), Enum) else v) for f in dataclasses.fields(obj)}
