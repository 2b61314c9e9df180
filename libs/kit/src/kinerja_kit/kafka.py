"""The broker factory with our safe defaults, and the consumer-lag sampler."""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.helpers import create_ssl_context
from faststream.kafka import KafkaBroker
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from opentelemetry.trace import TracerProvider
from prometheus_client import Gauge

from kinerja_kit.settings import ServiceSettings

log = logging.getLogger(__name__)

CONSUMER_LAG = Gauge(
    "kinerja_consumer_lag", "Records not yet committed by the consumer group", ["group", "topic", "partition"]
)


def broker_security(settings: ServiceSettings) -> BaseSecurity | None:
    """TLS and SASL/SCRAM for production; None (plaintext) on loopback."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    ssl_context = create_ssl_context(cafile=settings.kafka_ssl_cafile) if "SSL" in protocol else None
    if protocol == "SSL":
        return BaseSecurity(ssl_context=ssl_context)
    cls = {"SCRAM-SHA-512": SASLScram512, "SCRAM-SHA-256": SASLScram256, "PLAIN": SASLPlaintext}[
        settings.kafka_sasl_mechanism]
    return cls(username=settings.kafka_sasl_username or "", password=settings.kafka_sasl_password or "",
               ssl_context=ssl_context, use_ssl=ssl_context is not None)


def build_broker(settings: ServiceSettings, tracer_provider: TracerProvider | None = None) -> KafkaBroker:
    """FastStream broker: idempotent producer with acks=all, no topic auto-creation, W3C tracing."""
    return KafkaBroker(
        settings.kafka_bootstrap,
        security=broker_security(settings),
        client_id=f"kinerja-{settings.service}",
        acks="all",
        enable_idempotence=True,
        allow_auto_create_topics=False,
        graceful_timeout=15.0,
        middlewares=[KafkaTelemetryMiddleware(tracer_provider=tracer_provider)],
        logger=logging.getLogger(f"kinerja.{settings.service}.broker"),
    )


class LagSampler:
    """Exports committed-vs-end offset lag of one consumer group as a gauge, every few seconds."""

    def __init__(self, client_kwargs: dict, group: str, topics: list[str], interval: float) -> None:
        self.client_kwargs, self.group, self.topics, self.interval = client_kwargs, group, topics, interval
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        if self.topics and self.interval > 0:
            self._task = asyncio.create_task(self._run(), name="lag-sampler")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def _run(self) -> None:
        admin = AIOKafkaAdminClient(**self.client_kwargs)
        consumer = AIOKafkaConsumer(**self.client_kwargs, enable_auto_commit=False)
        try:
            await admin.start()
            await consumer.start()
            while True:
                try:
                    await self.sample(admin, consumer)
                except Exception as exc:  # metrics must never take the service down
                    log.warning("lag sample failed: %r", exc)
                await asyncio.sleep(self.interval)
        finally:
            await consumer.stop()
            await admin.close()

    async def sample(self, admin: AIOKafkaAdminClient, consumer: AIOKafkaConsumer) -> None:
        committed = await admin.list_consumer_group_offsets(self.group)
        partitions = [tp for tp in committed if tp.topic in self.topics]
        if not partitions:
            return
        ends = await consumer.end_offsets(partitions)
        for tp in partitions:
            lag = max(0, ends[tp] - committed[tp].offset)
            CONSUMER_LAG.labels(self.group, tp.topic, str(tp.partition)).set(lag)
