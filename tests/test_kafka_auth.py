"""The production auth profile: SCRAM-SHA-512 and ACLs on a broker started from the same jars.

A service authenticates with its own SCRAM user and may use only the topics and group its ACLs
grant; a wrong password or an ungranted topic is refused."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaConnectionError, TopicAuthorizationFailedError

from kinerja_contracts.topics import APPROVAL_REQUESTED, TPP_COMPUTED
from kinerja_kit.kafka import build_broker
from kinerja_kit.settings import ServiceSettings

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]
ROOT = Path(__file__).resolve().parent.parent
USER, PASSWORD = "kinerja-notify", "notify-test-secret"


@pytest.fixture(scope="module")
def sasl_bootstrap(kafka_bootstrap) -> str:
    bootstrap = os.environ.get("KINERJA_TEST_KAFKA_SASL_BOOTSTRAP")
    if not bootstrap:
        pytest.skip("KINERJA_TEST_KAFKA_SASL_BOOTSTRAP not set: run through `make test`")
    return bootstrap


GROUP = f"kinerja-notify-auth-{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="module")
def acls(sasl_bootstrap) -> None:
    subprocess.run(["bash", str(ROOT / "scripts/kafka.sh"), "acl", USER,
                    f"WRITE:TOPIC:{APPROVAL_REQUESTED}", f"DESCRIBE:TOPIC:{APPROVAL_REQUESTED}",
                    f"READ:TOPIC:{APPROVAL_REQUESTED}", f"READ:GROUP:{GROUP}"], check=True, timeout=120)


def settings(bootstrap: str, password: str = PASSWORD, protocol: str = "SASL_PLAINTEXT",
             cafile: str | None = None) -> ServiceSettings:
    return ServiceSettings(service="notify", kafka_bootstrap=bootstrap, kafka_security_protocol=protocol,
                           kafka_sasl_mechanism="SCRAM-SHA-512", kafka_sasl_username=USER,
                           kafka_sasl_password=password, kafka_ssl_cafile=cafile)


async def test_scram_user_is_limited_to_its_acls(sasl_bootstrap, acls):
    group = GROUP

    broker = build_broker(settings(sasl_bootstrap))  # the kit's producer, authenticated with SCRAM
    await broker.start()
    try:
        marker = uuid.uuid4().hex.encode()
        await broker.publish(marker, topic=APPROVAL_REQUESTED, key=b"auth-test", headers={"event-id": "x"})
        with pytest.raises(TopicAuthorizationFailedError):  # no ACL for the payroll topic
            await broker.publish(b"x", topic=TPP_COMPUTED, key=b"auth-test")
    finally:
        await broker.stop()

    consumer = AIOKafkaConsumer(APPROVAL_REQUESTED, group_id=group, auto_offset_reset="earliest",
                                enable_auto_commit=False, **settings(sasl_bootstrap).kafka_client_kwargs())
    await consumer.start()
    try:
        seen = False
        for _ in range(40):
            batch = await consumer.getmany(timeout_ms=500)
            if any(r.value == marker for records in batch.values() for r in records):
                seen = True
                break
        assert seen, "the granted topic is readable with the granted group"
        await consumer.commit()
    finally:
        await consumer.stop()


async def test_wrong_password_is_refused(sasl_bootstrap):
    """(The right password connects: the test above.) aiokafka reports SaslAuthenticationFailed
    in its log and gives up bootstrapping."""
    broker = build_broker(settings(sasl_bootstrap, password="wrong"))
    try:
        with pytest.raises(KafkaConnectionError):
            await broker.start()
    finally:
        await broker.stop()


async def test_sasl_ssl_with_the_region_ca(sasl_bootstrap, acls):
    """SASL_SSL as in production: TLS verified against the CA file, then SCRAM."""
    bootstrap, ca = os.environ.get("KINERJA_TEST_KAFKA_SASL_SSL_BOOTSTRAP"), os.environ.get("KINERJA_TEST_KAFKA_CA")
    if not bootstrap or not ca:
        pytest.skip("no SASL_SSL listener: run through `make test`")
    broker = build_broker(settings(bootstrap, protocol="SASL_SSL", cafile=ca))
    await broker.start()
    try:
        await broker.publish(b"over tls", topic=APPROVAL_REQUESTED, key=b"auth-test", headers={"event-id": "y"})
    finally:
        await broker.stop()
    untrusting = build_broker(settings(bootstrap, protocol="SASL_SSL", cafile=None))  # system CAs only
    try:
        with pytest.raises(KafkaConnectionError):
            await untrusting.start()
    finally:
        await untrusting.stop()
