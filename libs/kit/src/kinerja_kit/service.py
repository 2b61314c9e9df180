"""Composition of one service process: database, broker, consumers, outbox relay, lag sampler
and the FastAPI app whose lifespan starts them and stops them in reverse order."""

from __future__ import annotations

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
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from kinerja_kit import http
from kinerja_kit.auth import TokenVerifier
from kinerja_kit.consumer import ConsumerGroup
from kinerja_kit.db import Database
from kinerja_kit.kafka import LagSampler, build_broker
from kinerja_kit.outbox import OutboxRelay, UnitOfWork
from kinerja_kit.settings import LOCAL_JWT_SECRET, ServiceSettings
from kinerja_kit.telemetry import build_tracer_provider, configure_logging

log = logging.getLogger(__name__)
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
        )
        self.relay = OutboxRelay(self.db, self.broker, poll_seconds=settings.outbox_poll_seconds,
                                 batch_size=settings.outbox_batch_size)
        self.lag = LagSampler(settings.kafka_client_kwargs(), self.consumers.group, [], settings.lag_sample_seconds)
        # Run after migrations, before any record is consumed (e.g. seeding region data).
        self.on_migrated: list[Callable[[], Awaitable[None]]] = []

    def uow(self, correlation_id: str | None = None) -> UnitOfWork:
        return UnitOfWork(self.db, self.settings.service, correlation_id)

    async def start(self) -> None:
        await self.db.migrate(self.migrations)
        for hook in self.on_migrated:
            await hook()
        self.consumers.subscribe()
        await self.broker.start()
        self.relay.start()
        self.lag.topics = list(self.consumers.handlers)
        self.lag.start()
        log.info("service started", extra={"consumes": list(self.consumers.handlers)})

    async def stop(self) -> None:
        """Stop fetching, finish in-flight records (offsets committed), publish the outbox, close."""
        await self.lag.stop()
        for sub in self.broker.subscribers:
            await sub.stop()
        await self.relay.stop()
        await self.broker.stop()
        await self.db.dispose()
        log.info("service stopped")

    async def ready_db(self) -> bool:
        await self.db.ping()
        return True

    async def ready_broker(self) -> bool:
        return await self.broker.ping(timeout=2.0)


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

    if (not settings.jwt_jwks_url and settings.jwt_secret == LOCAL_JWT_SECRET
            and settings.http_host not in ("127.0.0.1", "localhost", "::1")):
        log.warning("serving on %s with the documented local JWT secret: anyone can mint tokens; "
                    "set KINERJA_JWT_JWKS_URL (or at least KINERJA_JWT_SECRET)", settings.http_host)
    app = FastAPI(title=title, version="1.0.0", lifespan=lifespan)
    app.state.runtime = runtime
    app.state.token_verifier = TokenVerifier(settings)
    http.install(app, [("database", runtime.ready_db), ("broker", runtime.ready_broker)])
    for router in routers:
        app.include_router(router)
    FastAPIInstrumentor.instrument_app(app, tracer_provider=trace.get_tracer_provider(),
                                       excluded_urls="/metrics,/health/live,/health/ready")
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
        run(self.create_app(settings), settings)


def run(app: FastAPI, settings: ServiceSettings) -> None:
    """Serve `app` with uvicorn; SIGTERM triggers the graceful shutdown in the lifespan."""
    import uvicorn

    uvicorn.run(app, host=settings.http_host, port=settings.http_port, log_config=None,
                timeout_graceful_shutdown=20)
