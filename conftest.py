"""Fixtures for tests against the real broker and PostgreSQL that `make test` starts.

They read KINERJA_TEST_KAFKA_BOOTSTRAP and KINERJA_TEST_PG_URL (a server URL such as
postgresql://postgres@127.0.0.1:55432). Without them infra tests are skipped, unless
KINERJA_TEST_REQUIRE_INFRA=1 (set by `make test`), where a missing one is an error."""

from __future__ import annotations

import os
import uuid

import pytest

KAFKA = os.environ.get("KINERJA_TEST_KAFKA_BOOTSTRAP")
PG = os.environ.get("KINERJA_TEST_PG_URL")
REQUIRED = os.environ.get("KINERJA_TEST_REQUIRE_INFRA") == "1"


def _need(value: str | None, name: str) -> str:
    if value:
        return value
    if REQUIRED:
        pytest.fail(f"{name} is not set but KINERJA_TEST_REQUIRE_INFRA=1")
    pytest.skip(f"{name} not set: run through `make test`")


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    return _need(KAFKA, "KINERJA_TEST_KAFKA_BOOTSTRAP")


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    return _need(PG, "KINERJA_TEST_PG_URL")


@pytest.fixture(scope="session")
def fresh_database(pg_server_url):
    """Factory: create an empty database, return its postgresql:// URL; all are dropped at the end."""
    import asyncpg

    created: list[str] = []

    async def make(prefix: str) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        conn = await asyncpg.connect(pg_server_url.rstrip("/") + "/postgres")
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        created.append(name)
        return f"{pg_server_url.rstrip('/')}/{name}"

    yield make

    async def drop_all() -> None:
        conn = await asyncpg.connect(pg_server_url.rstrip("/") + "/postgres")
        try:
            for name in created:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    import asyncio

    asyncio.run(drop_all())
