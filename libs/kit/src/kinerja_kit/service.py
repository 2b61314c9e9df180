"""Composition of one service process: database, broker, consumers, outbox relay, lag sampler
and the FastAPI app whose lifespan starts them and stops them in reverse order."""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, FastAPI
from opentelemetry import trace
from prometheus_client import Gauge

from kinerja_kit import http
from kinerja_kit.auth import TokenVerifier
from kinerja_kit.ratelimit import TokenBuckets
from kinerja_kit.consumer import ConsumerGroup
from kinerja_kit.db import Database
from kinerja_kit.kafka import LagSampler, build_broker
from kinerja_kit.outbox import KafkaSender, OutboxRelay, UnitOfWork
from kinerja_kit.settings import LOCAL_JWT_SECRET, ServiceSettings
from kinerja_kit.telemetry import build_tracer_provider, configure_logging

log = logging.getLogger(__name__)
BROKER_CONNECTED = Gauge("kinerja_broker_connected", "1 once the service's Kafka clients are connected")
_tracing_configured = False


class ServiceRuntime:
    """Everything one service runs besides its HTTP routes."""

    def __init__(self, settings: ServiceSettings, metadata: sa.MetaData, migrations: str) -> None:
        global _tracing_configured
        self.settings = settings
        self.migrations = migrations
        if not _tracing_configured:  # the global provider can be set once per process
            trace.set_tracer_provider(build_tracer_provider(settings.service, settings.otlp_endpoint))
            _tracing_configured = True
        self.db = Database(settings.sqlalchemy_url(), metadata)
        self.broker = build_broker(settings, trace.get_tracer_provider())
        self.consumers = ConsumerGroup(
            self.broker, self.db, group=f"kinerja-{settings.service}", producer=settings.service,
            retry_base=settings.consumer_retry_base_seconds, retry_max=settings.consumer_retry_max_seconds,
            fault_handle_delay=settings.fault_handle_delay_seconds,
            max_poll_interval=settings.consumer_max_poll_interval_seconds,
        )
        sender = KafkaSender(settings.kafka_client_kwargs(), f"kinerja-{settings.service}-relay",
                             trace_sends=bool(settings.otlp_endpoint))  # spans only where they are exported
        self.relay = OutboxRelay(self.db, self.broker, poll_seconds=settings.outbox_poll_seconds,
                                 batch_size=settings.outbox_batch_size,
                                 fault_hold_seconds=settings.fault_relay_hold_seconds, sender=sender)
        self._connecting: asyncio.Task | None = None
        self.lag = LagSampler(settings.kafka_client_kwargs(), self.consumers.group, [], settings.lag_sample_seconds)
        # Run after migrations, before any record is consumed (e.g. seeding region data).
        self.on_migrated: list[Callable[[], Awaitable[None]]] = []
        # Run first when stopping, last added first (e.g. stop a background task started by an
        # on_migrated hook, while the database is still there).
        self.on_stop: list[Callable[[], Awaitable[None]]] = []

    def uow(self, correlation_id: str | None = None) -> UnitOfWork:
        return UnitOfWork(self.db, self.settings.service, correlation_id)

    async def start(self) -> None:
        await self.db.migrate(self.migrations)
        for hook in self.on_migrated:
            await hook()
        self.consumers.subscribe()
        self.relay.start()  # publishes once the broker is there; until then rows wait in the outbox
        try:
            await self._connect_broker()
        except Exception as exc:
            # Take writes anyway: they wait in the outbox, and consuming starts when Kafka is back.
            log.warning("Kafka unreachable at start (%r); serving, reconnecting in the background", exc)
            self._connecting = asyncio.create_task(self._connect_later(), name="broker-connect")
        log.info("service started", extra={"consumes": list(self.consumers.handlers)})

    async def _connect_broker(self) -> None:
        await self.broker.start()
        BROKER_CONNECTED.set(1)
        self.lag.topics = list(self.consumers.handlers)
        self.lag.start()

    async def _connect_later(self) -> None:
        delay = 1.0
        while True:
            await asyncio.sleep(delay)
            try:
                await self._connect_broker()
                log.info("Kafka reachable: consuming and publishing")
                return
            except Exception as exc:
                delay = min(delay * 2, 30.0)
                log.warning("Kafka still unreachable (%r); next try in %.0fs", exc, delay)

    async def stop(self) -> None:
        """Stop fetching, finish in-flight records (offsets committed), publish the outbox, close."""
        for hook in reversed(self.on_stop):
            try:
                await hook()
            except Exception:
                log.exception("a stop hook failed")
        if self._connecting is not None:
            self._connecting.cancel()
            await asyncio.gather(self._connecting, return_exceptions=True)
        await self.lag.stop()
        for sub in self.broker.subscribers:
            await sub.stop()
        await self.relay.stop()
        await self.broker.stop()
        await self.db.dispose()
        provider = trace.get_tracer_provider()
        if hasattr(provider, "force_flush"):  # uvicorn re-raises SIGTERM: the SDK's exit hook never runs
            provider.force_flush(5_000)
        log.info("service stopped")

    async def ready_db(self) -> bool:
        await self.db.ping()
        return True

    async def ready_broker(self) -> bool:
        return await self.broker.ping(timeout=2.0)


class InsecureConfiguration(RuntimeError):
    """Settings that would let anyone mint tokens: the service refuses to start."""


LOOPBACK = ("127.0.0.1", "localhost", "::1")
MIN_SECRET_BYTES = 32  # RFC 7518 §3.2: an HS256 key at least as long as the hash


def check_token_settings(settings: ServiceSettings) -> None:
    """Refuse an HS256 secret under 32 bytes, and the documented local secret beyond loopback
    (unless KINERJA_JWT_ALLOW_LOCAL_SECRET says this is a throw-away local container)."""
    if settings.jwt_jwks_url:
        return
    if len(settings.jwt_secret.encode()) < MIN_SECRET_BYTES:
        raise InsecureConfiguration(f"KINERJA_JWT_SECRET is shorter than {MIN_SECRET_BYTES} bytes")
    if settings.jwt_secret == LOCAL_JWT_SECRET and settings.http_host not in LOOPBACK:
        if not settings.jwt_allow_local_secret:
            raise InsecureConfiguration(
                f"serving on {settings.http_host} with the documented local JWT secret would let anyone mint "
                "tokens: set KINERJA_JWT_JWKS_URL (production) or your own KINERJA_JWT_SECRET")
        log.warning("serving on %s with the documented local JWT secret (KINERJA_JWT_ALLOW_LOCAL_SECRET): "
                    "anyone can mint tokens", settings.http_host)


def create_service_app(runtime: ServiceRuntime, *, title: str, routers: list[APIRouter]) -> FastAPI:
    settings = runtime.settings
    configure_logging(settings.service, settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    check_token_settings(settings)
    # The kit's RequestTelemetry makes the one SERVER span per request; FastAPI's own tracing
    # (0.165+) would add a second one, and a trace per probe and scrape.
    app = FastAPI(title=title, version="1.0.0", lifespan=lifespan, telemetry={"tracing": False})
    app.state.runtime = runtime
    app.state.token_verifier = TokenVerifier(settings)
    app.state.write_limits = TokenBuckets(settings.write_rate_per_minute, settings.write_burst)
    # Ready means able to take writes: the database. The broker is reported, not required
    # (writes wait in the outbox while Kafka is away).
    http.install(app, [("database", runtime.ready_db)], degraded_checks=[("broker", runtime.ready_broker)],
                 max_writes_in_flight=settings.http_max_writes_in_flight)
    for router in routers:
        app.include_router(router)
    return app


@dataclass(frozen=True)
class ServiceSpec:
    """What makes one service: its name, default port, settings, tables, migrations, routes and
    `wire(runtime, app)`, which registers its consumers and puts its region data on `app.state`.
    A service's main.py is one ServiceSpec; the kit builds the process from it."""

    name: str
    port: int
    settings: type[ServiceSettings]
    metadata: sa.MetaData
    routers: list[APIRouter]
    wire: Callable[[ServiceRuntime, FastAPI], None]
    display_name: str = ""  # in the OpenAPI title; the name by default

    @property
    def title(self) -> str:
        return f"Kinerja {self.display_name or self.name}"

    @property
    def migrations(self) -> str:
        """The service package's `migrations/` folder (`<name>_service/migrations`)."""
        return str(Path(importlib.import_module(f"{self.name}_service").__file__).parent / "migrations")

    def load_settings(self, **overrides: Any) -> ServiceSettings:
        return self.settings.for_service(self.name, self.port, **overrides)

    def create_app(self, settings: ServiceSettings | None = None) -> FastAPI:
        settings = settings or self.load_settings()
        runtime = ServiceRuntime(settings, self.metadata, self.migrations)
        app = create_service_app(runtime, title=self.title, routers=self.routers)
        app.state.settings = settings
        self.wire(runtime, app)
        return app

    def main(self) -> None:
        settings = self.load_settings()
        if settings.http_workers > 1:  # each worker its own process: consumers share the partitions
            run(f"{self.name}_service.main:create_app", settings, factory=True)
        else:
            run(self.create_app(settings), settings)


def run(app: FastAPI | str, settings: ServiceSettings, *, factory: bool = False) -> None:
    """Serve with uvicorn on uvloop and httptools; SIGTERM triggers the graceful shutdown in the
    lifespan. With KINERJA_HTTP_WORKERS > 1, `app` is the import string of the app factory."""
    import uvicorn

    uvicorn.run(app, host=settings.http_host, port=settings.http_port, log_config=None, factory=factory,
                workers=settings.http_workers if factory else None, loop="uvloop", http="httptools",
                timeout_graceful_shutdown=20, access_log=False)
