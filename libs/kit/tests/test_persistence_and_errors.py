"""The kit's `upsert` on SQLite and the real PostgreSQL, and domain refusals as problem details."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

import pytest
import sqlalchemy as sa
from sqlalchemy import orm
from fastapi import FastAPI
from fastapi.testclient import TestClient

from kinerja_kit import http
from kinerja_kit.db import Database, kit_tables
from kinerja_kit.errors import Conflict, InvalidField, NotFound, NotPermitted, TransitionRefused
from kinerja_kit.persistence import MAX_PARAMETERS, forget, read_once, upsert, values_of

META = sa.MetaData()
kit_tables(META)
ITEMS = sa.Table("items", META, sa.Column("code", sa.String(20), primary_key=True),
                 sa.Column("version", sa.Integer, nullable=False), sa.Column("amount", sa.Numeric(12, 2)),
                 sa.Column("tags", sa.JSON, nullable=False))


async def _db(url: str) -> Database:
    db = Database(url, META)
    async with db.engine.begin() as conn:
        await conn.run_sync(META.create_all)
    return db


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request, tmp_path):
    if request.param == "sqlite":
        database = await _db(f"sqlite+aiosqlite:///{tmp_path / 'kit.db'}")
    else:
        url = await request.getfixturevalue("fresh_database")("kit_upsert")
        database = await _db(url.replace("postgresql://", "postgresql+asyncpg://"))
    yield database
    await database.dispose()


async def rows(db: Database) -> dict[str, tuple]:
    async with db.engine.connect() as conn:
        return {r.code: (r.version, r.amount, r.tags) for r in await conn.execute(sa.select(ITEMS))}


async def write(db: Database, values, **kw) -> int:
    async with db.sessions() as session, session.begin():
        return await upsert(session, ITEMS, values, **kw)


class Item:
    """ITEMS mapped, for read_once and forget."""


orm.registry().map_imperatively(Item, ITEMS)


async def test_read_once_keeps_rows_and_misses_and_forget_reads_afresh(db):
    await write(db, {"code": "R", "version": 1, "amount": None, "tags": []})
    loads = []
    async with db.sessions() as session, session.begin():
        def load(code):
            loads.append(code)
            return session.get(Item, code)
        first = await read_once(session, "items", "R", lambda: load("R"))
        assert await read_once(session, "items", "R", lambda: load("R")) is first
        assert await read_once(session, "items", "none", lambda: load("none")) is None
        assert await read_once(session, "items", "none", lambda: load("none")) is None
        assert loads == ["R", "none"]  # a missing row is remembered too

        await upsert(session, ITEMS, {"code": "R", "version": 2, "amount": None, "tags": []})
        assert (await read_once(session, "items", "R", lambda: load("R"))).version == 1  # stale until forgotten
        forget(session, "items", "R")
        assert first not in session
        assert (await read_once(session, "items", "R", lambda: load("R"))).version == 2
        assert loads == ["R", "none", "R"]
        forget(session, "items")  # all of them, the remembered miss included
        assert await read_once(session, "items", "none", lambda: load("none")) is None
        assert loads == ["R", "none", "R", "none"]


async def test_insert_then_update_in_one_statement(db):
    assert await write(db, {"code": "A", "version": 1, "amount": Decimal("1.50"), "tags": ["x"]}) == 1
    assert await write(db, {"code": "A", "version": 2, "amount": Decimal("2.25"), "tags": ["y"]}) == 1
    assert await rows(db) == {"A": (2, Decimal("2.25"), ["y"])}


async def test_only_if_changed_counts_what_was_new_or_changed(db):
    a = {"code": "A", "version": 1, "amount": Decimal("1.00"), "tags": ["x"]}
    b = {"code": "B", "version": 1, "amount": None, "tags": []}
    assert await write(db, [a, b], only_if_changed=True) == 2
    assert await write(db, [a, b], only_if_changed=True) == 0  # the same values again, JSON included
    assert await write(db, [a, {**b, "tags": ["z"]}], only_if_changed=True) == 1


async def test_where_guards_the_update_and_update_false_keeps_the_first(db):
    newer = lambda table, new: table.c.version < new.version  # noqa: E731
    await write(db, {"code": "A", "version": 5, "amount": Decimal(5), "tags": []})
    assert await write(db, {"code": "A", "version": 4, "amount": Decimal(4), "tags": []}, where=newer) == 0
    assert await write(db, {"code": "A", "version": 6, "amount": Decimal(6), "tags": []}, where=newer) == 1
    await write(db, {"code": "A", "version": 9, "amount": Decimal(9), "tags": []}, update=False)
    assert (await rows(db))["A"][0] == 6


async def test_a_batch_beyond_the_parameter_limit_goes_in_chunks(db):
    n = MAX_PARAMETERS // 4 * 2 + 7  # four columns: more than two chunks
    assert await write(db, [{"code": f"C{i}", "version": 1, "amount": None, "tags": []} for i in range(n)]) == n
    assert len(await rows(db)) == n


async def test_concurrent_upserts_of_one_key_never_collide(db):
    """Get-then-add races into an IntegrityError; one statement does not."""
    await asyncio.gather(*(write(db, {"code": "R", "version": i, "amount": None, "tags": []}) for i in range(8)))
    assert list(await rows(db)) == ["R"]


class Colour(StrEnum):
    RED = "red"


@dataclass
class Thing:
    code: str
    colour: Colour


def test_values_of_turns_enums_into_their_values():
    assert values_of(Thing("A", Colour.RED)) == {"code": "A", "colour": "red"}
    assert type(values_of(Thing("A", Colour.RED))["colour"]) is str


@pytest.mark.parametrize("exc, status, field", [
    (InvalidField("reason", "required to reject"), 422, "reason"),
    (NotPermitted("nobody decides their own activity"), 403, None),
    (NotFound("no approval task for this activity"), 404, None),
    (Conflict("overlaps another activity", field="start_time"), 409, "start_time"),
    (TransitionRefused("task", "approved", "approve"), 409, None),
    (http.FieldError("file", "larger than 10 bytes", 413), 413, "file"),
])
def test_domain_refusals_answer_as_problem_details(exc, status, field):
    app = FastAPI()
    http.install(app, [])

    @app.get("/x")
    async def x():
        raise exc

    r = TestClient(app).get("/x")
    assert r.status_code == status and r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["detail"].endswith(exc.message)
    assert [e["field"] for e in body.get("errors", [])] == ([field] if field else [])


def test_a_database_outage_answers_503_with_retry_after():
    """Before: 500. A 503 tells the client nothing was applied and to retry."""
    app = FastAPI()
    http.install(app, [])

    @app.get("/x")
    async def x():
        raise sa.exc.OperationalError("INSERT ...", {}, ConnectionRefusedError("connection refused"))

    r = TestClient(app, raise_server_exceptions=False).get("/x")
    assert r.status_code == 503 and r.headers["retry-after"] == "5"
    assert r.headers["content-type"] == "application/problem+json"
