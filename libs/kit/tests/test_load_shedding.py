"""Load shedding (issue 7's month-end storm): past the in-flight limit a write answers 503 with
Retry-After at once, nothing applied; a saturated connection pool answers 503, not 500."""

import asyncio

import httpx
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from kinerja_kit import http
from kinerja_kit.settings import ServiceSettings


async def test_writes_past_the_in_flight_limit_answer_503_and_are_not_applied():
    app = FastAPI()
    http.install(app, [], max_writes_in_flight=2)
    release, applied = asyncio.Event(), []

    @app.post("/w")
    async def w():
        await release.wait()
        applied.append(1)
        return {"ok": True}

    @app.get("/r")
    async def r():
        return {"ok": True}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as client:
        held = [asyncio.create_task(client.post("/w")) for _ in range(2)]
        await asyncio.sleep(0.1)
        shed = await client.post("/w")
        assert shed.status_code == 503 and shed.headers["retry-after"] == "1", shed.text
        assert shed.headers["content-type"] == "application/problem+json"
        assert (await client.get("/r")).status_code == 200, "reads are not counted"
        release.set()
        assert [t.status_code for t in await asyncio.gather(*held)] == [200, 200]
        assert len(applied) == 2, "the shed write did not run"
        assert (await client.post("/w")).status_code == 200, "the slots are given back"


def test_the_limit_is_a_setting_sized_for_a_service():
    assert ServiceSettings().http_max_writes_in_flight == 64


def test_a_saturated_connection_pool_answers_503_not_500():
    """Before: sqlalchemy's pool TimeoutError was not an infrastructure error, so 500."""
    app = FastAPI()
    http.install(app, [])

    @app.post("/x")
    async def x():
        raise sa.exc.TimeoutError("QueuePool limit of size 10 overflow 10 reached")

    r = TestClient(app, raise_server_exceptions=False).post("/x")
    assert r.status_code == 503 and r.headers["retry-after"] == "5"


def test_a_database_shutting_down_answers_503_not_500():
    """Before: asyncpg's CannotConnectNowError (57P03) reached us as a plain DBAPIError: 500 over
    HTTP, and a consumer's retry budget ran out during a PostgreSQL restart."""
    import asyncpg

    from kinerja_kit.db import is_infrastructure_error

    app = FastAPI()
    http.install(app, [])
    shutting_down = sa.exc.DBAPIError("INSERT ...", {}, asyncpg.exceptions.CannotConnectNowError(
        "the database system is shutting down"))

    @app.post("/x")
    async def x():
        raise shutting_down

    r = TestClient(app, raise_server_exceptions=False).post("/x")
    assert r.status_code == 503 and r.headers["retry-after"] == "5"
    assert is_infrastructure_error(shutting_down)
    assert is_infrastructure_error(sa.exc.DBAPIError("SELECT 1", {}, asyncpg.exceptions.AdminShutdownError("bye")))
    assert not is_infrastructure_error(sa.exc.DBAPIError("INSERT", {}, asyncpg.exceptions.UniqueViolationError("dup")))


def test_raw_asyncpg_errors_of_a_database_going_away_are_infrastructure():
    """Before: asyncpg used without SQLAlchemy (activity's JSON intake) answered 500 during a
    PostgreSQL fast shutdown: "cannot switch to state 15; another operation (2) is in progress"."""
    import asyncpg

    from kinerja_kit.db import is_infrastructure_error

    assert is_infrastructure_error(asyncpg.exceptions.InternalClientError(
        "cannot switch to state 15; another operation (2) is in progress"))
    assert is_infrastructure_error(asyncpg.exceptions.CannotConnectNowError("the database system is shutting down"))
    assert is_infrastructure_error(asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"))
    assert not is_infrastructure_error(asyncpg.exceptions.UniqueViolationError("duplicate key"))
    assert not is_infrastructure_error(ValueError("a bug"))
