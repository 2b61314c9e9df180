"""Each service's SCRAM user on the production auth profile, with exactly the ACLs of its KafkaUser
(deploy/k8s/base/kafka/users.yaml): it may write a topic it owns and is denied every topic it does
not write (one per other owner checked)."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest
import yaml
from aiokafka.errors import TopicAuthorizationFailedError

from kinerja_kit.kafka import build_broker
from kinerja_kit.settings import ServiceSettings

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]
ROOT = Path(__file__).resolve().parents[2]
USERS = [u for u in yaml.safe_load_all((ROOT / "deploy/k8s/base/kafka/users.yaml").read_text())
         if u and u.get("kind") == "KafkaUser" and u["metadata"]["name"].removeprefix("kinerja-") in
         ("activity", "scoring", "approval", "tpp", "notify")]


def acl_specs(user: dict) -> list[str]:
    return [f"{op.upper()}:{acl['resource']['type'].upper()}:{acl['resource']['name']}"
            for acl in user["spec"]["authorization"]["acls"] for op in acl["operations"]]


def writes(user: dict) -> set[str]:
    return {acl["resource"]["name"] for acl in user["spec"]["authorization"]["acls"]
            if acl["resource"]["type"] == "topic" and "Write" in acl["operations"]}


@pytest.fixture(scope="module")
def sasl_bootstrap(kafka_bootstrap) -> str:
    bootstrap = os.environ.get("KINERJA_TEST_KAFKA_SASL_BOOTSTRAP")
    if not bootstrap:
        pytest.skip("KINERJA_TEST_KAFKA_SASL_BOOTSTRAP not set: run through `make test`")
    return bootstrap


@pytest.fixture(scope="module")
def service_users(kafka_bootstrap, sasl_bootstrap) -> dict[str, str]:
    """A SCRAM user per service (a fresh name each run, so no ACL from another run applies)."""
    libs = Path(os.environ.get("KINERJA_RUN_DIR", ROOT / ".run" / "test")) / "kafka" / "libs"
    run = uuid.uuid4().hex[:6]
    names, args = {}, []
    for user in USERS:
        name, password = f"{user['metadata']['name']}-{run}", uuid.uuid4().hex
        group = f":GROUP:{user['metadata']['name']}"
        args += [name, password, *(s.replace(group, f":GROUP:{name}") for s in acl_specs(user)), "--"]
        names[user["metadata"]["name"]] = f"{name}={password}"
    subprocess.run([os.environ.get("JAVA", "java"), "-Xmx128m", "-cp", f"{libs}/*",
                    str(Path(__file__).with_name("ScramUser.java")), kafka_bootstrap, *args[:-1]],
                   check=True, timeout=180, capture_output=True)
    return names


async def test_every_service_has_a_kafka_user_with_write_acls():
    assert {u["metadata"]["name"] for u in USERS} == {f"kinerja-{s}" for s in
                                                       ("activity", "scoring", "approval", "tpp", "notify")}
    assert all(writes(u) for u in USERS)


@pytest.mark.parametrize("user", USERS, ids=lambda u: u["metadata"]["name"])
async def test_a_service_writes_its_topics_and_is_denied_the_others(user, sasl_bootstrap, service_users):
    name, password = service_users[user["metadata"]["name"]].split("=", 1)
    own = writes(user)
    others = {t for u in USERS if u is not user for t in writes(u)} - own
    # one foreign topic per other owner
    denied = sorted({sorted(writes(u) - own)[0] for u in USERS if u is not user and writes(u) - own})
    assert denied and set(denied) <= others
    settings = ServiceSettings(service=user["metadata"]["name"].removeprefix("kinerja-"), kafka_bootstrap=sasl_bootstrap,
                               kafka_security_protocol="SASL_PLAINTEXT", kafka_sasl_mechanism="SCRAM-SHA-512",
                               kafka_sasl_username=name, kafka_sasl_password=password)
    broker = build_broker(settings)
    await broker.start()
    try:
        topic = sorted(t for t in own if t.endswith(".dlq"))[0]  # a dead-letter topic: no consumer acts on it
        await broker.publish(b"acl-test", topic=topic, key=b"acl-test", headers={"event-id": uuid.uuid4().hex})
        for foreign in denied:
            with pytest.raises(TopicAuthorizationFailedError):
                await broker.publish(b"x", topic=foreign, key=b"acl-test", headers={"event-id": "x"})
    finally:
        await broker.stop()
