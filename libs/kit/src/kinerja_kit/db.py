"""Async database access, the outbox and inbox tables, and Alembic migrations at start."""

from __future__ import annotations

import asyncio
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from alembic import command
from sqlalchemy.orm import registry
from sqlmodel import SQLModel
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def kit_tables(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table]:
    """The outbox, inbox and calendar tables, added to a service's own metadata."""
    outbox = sa.Table(
        "outbox",
        metadata,
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("headers", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Index("ix_outbox_unsent", "sent_at", "id"),
    )
    inbox = sa.Table(
        "inbox",
        metadata,
        sa.Column("consumer", sa.String(100), primary_key=True),
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Index("ix_inbox_handled_at", "handled_at"),  # the retention purge
    )
    sa.Table(  # the region calendar (calendar.year.v1), read by every service that counts working days
        "calendar_years",
        metadata,
        sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("body", sa.JSON, nullable=False),  # the CalendarYearV1 as JSON
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    return outbox, inbox


def service_base() -> tuple[type[SQLModel], sa.MetaData]:
    """A declarative base with its own metadata (one per service, so tests that import several
    services never mix their tables), already holding the outbox and inbox tables."""
    reg = registry()

    class Base(SQLModel, registry=reg):
        pass

    kit_tables(reg.metadata)
    return Base, reg.metadata


# Errors of the infrastructure, not of the request or record: the database or network is away.
# sa.exc.TimeoutError: no pooled connection came free in time (the database is saturated).
INFRASTRUCTURE_ERRORS: tuple[type[BaseException], ...] = (
    sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError, ConnectionError, TimeoutError, OSError,
)


# SQLSTATE classes of a database going away or full, whatever the driver's exception class:
# 08 connection exception, 53 insufficient resources, 57P01-57P03 shutdown / cannot connect now
# (asyncpg's "the database system is shutting down" reaches SQLAlchemy as a plain DBAPIError).
INFRASTRUCTURE_SQLSTATES = ("08", "53", "57P")


def _sqlstate(exc: BaseException) -> str | None:
    seen = 0
    while exc is not None and seen < 6:
        code = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
        if isinstance(code, str):
            return code
        exc = getattr(exc, "orig", None) or exc.__cause__
        seen += 1
    return None


def is_infrastructure_error(exc: BaseException) -> bool:
    """The database or network is away (nothing was applied, or as much as after any lost
    connection): also for asyncpg used without SQLAlchemy, whose connection errors and "another
    operation is in progress" (a pooled connection a shutdown left mid-query) are its own classes."""
    import asyncpg

    if isinstance(exc, sa.exc.DBAPIError) and getattr(exc, "connection_invalidated", False):
        return True
    if isinstance(exc, (*INFRASTRUCTURE_ERRORS, asyncpg.InterfaceError, asyncpg.exceptions.InternalClientError)):
        return True
    code = _sqlstate(exc)
    return code is not None and code.startswith(INFRASTRUCTURE_SQLSTATES)


# SQLSTATEs of a transaction PostgreSQL rolled back for another one: serialization failure,
# deadlock detected. Trying again later succeeds.
LOCK_CONFLICT_SQLSTATES = frozenset({"40001", "40P01"})


def is_lock_conflict(exc: BaseException) -> bool:
    """Another transaction won a lock or serialization conflict (see LOCK_CONFLICT_SQLSTATES)."""
    return _sqlstate(exc) in LOCK_CONFLICT_SQLSTATES


def _sqlite_write_transactions(engine: AsyncEngine) -> None:
    """SQLite: let SQLAlchemy own the transactions (so savepoints work) and start each with
    BEGIN IMMEDIATE, which takes the write lock at once: two transactions never interleave, the
    stand-in for PostgreSQL's row locks (`FOR UPDATE` does nothing on SQLite)."""

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """One service's database: engine, sessions, its outbox/inbox tables and a relay wake-up."""

    def __init__(self, url: str, metadata: sa.MetaData, *, echo: bool = False) -> None:
        if url.startswith("sqlite"):
            path = url.split("///", 1)[1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.engine: AsyncEngine = create_async_engine(url, echo=echo)
            _sqlite_write_transactions(self.engine)
        else:
            # No pre-ping (a round trip per checkout): a connection broken by a database restart fails
            # once, as a transient error (consumers retry, HTTP answers 503), and is replaced.
            self.engine = create_async_engine(url, echo=echo, pool_size=10, max_overflow=10, pool_recycle=1800)
        self.url = url
        self.metadata = metadata
        self.outbox = metadata.tables["outbox"]
        self.inbox = metadata.tables["inbox"]
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.outbox_written = asyncio.Event()

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))

    async def migrate(self, script_location: str) -> None:
        """Apply the service's Alembic migrations and the kit's branch up to their heads."""
        from kinerja_kit.migrations import alembic_config

        cfg = alembic_config(script_location)
        async with self.engine.begin() as conn:
            if self.is_postgres:  # replicas starting together migrate one at a time
                await conn.execute(sa.text("SELECT pg_advisory_xact_lock(727000)"))
            await conn.run_sync(_upgrade, cfg)

    async def dispose(self) -> None:
        await self.engine.dispose()


def _upgrade(connection: sa.Connection, cfg) -> None:
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "heads")  # the service's branch and the kit's
