"""Email, push and webhook delivery without the broker: the pure rules (signature, backoff,
ordering, validation, quiet hours), and the dispatcher, the webhook API and the channels on an
SQLite database (tables from the models), a loopback HTTP handler and a loopback SMTP server."""

from __future__ import annotations

import asyncio
import json
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, time as dtime, timedelta, timezone
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from kinerja_contracts.approval.v1 import ApprovalDecidedV1, Decision
from kinerja_contracts.topics import APPROVAL_DECIDED, TPP_COMPUTED
from kinerja_kit import http as kit_http
from kinerja_kit.auth import TokenVerifier
from kinerja_kit.consumer import EventMeta
from kinerja_kit.db import Database
from kinerja_kit.errors import InvalidField
from kinerja_kit.settings import ServiceSettings
from kinerja_kit.tokens import mint
from notify_service import delivery
from notify_service.api.webhooks import router as webhooks_router
from notify_service.delivery import webhooks as hooks
from notify_service.delivery.dispatcher import Dispatcher, Job, Outcome, Pending, backoff_seconds, eligible, pick
from notify_service.delivery.email import EmailChannel
from notify_service.delivery.push import LogPushProvider, PushChannel
from notify_service.delivery.webhooks import WebhookChannel
from notify_service.domain.preferences import Preferences
from notify_service.persistence.tables import Delivery, DeliveryAttempt, Notification, metadata

WIB = ZoneInfo("Asia/Jakarta")
T0 = datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)  # 10:00 WIB
NIP_A, NIP_B = "198503302010011002", "199001012015012001"


# --- signing ---------------------------------------------------------------------------------------

def test_signature_known_vector():
    # openssl: printf '%s' '1767225600.{"id":"evt_1","type":"approval.decided.v1"}' \
    #          | openssl dgst -sha256 -hmac 'whsec_test_secret_0123456789'
    body = b'{"id":"evt_1","type":"approval.decided.v1"}'
    assert hooks.signature("whsec_test_secret_0123456789", 1767225600, body) == \
        "v1=af83f168c0f51d323fbf3265a0700d7cc0c69d0cb689ecebb0949c74cb885281"


def test_verify_accepts_fresh_and_refuses_stale_or_tampered():
    secret, body, ts = "whsec_abcdefghijklmnop", b'{"a":1}', 1_800_000_000
    headers = hooks.signed_headers(7, secret, body, ts)
    assert headers[hooks.ID_HEADER] == "7" and headers[hooks.TIMESTAMP_HEADER] == str(ts)
    assert hooks.verify(secret, headers, body, now=ts + 299)
    assert not hooks.verify(secret, headers, body, now=ts + 301)  # older than 5 minutes
    assert not hooks.verify(secret, headers, b'{"a":2}', now=ts)
    assert not hooks.verify("whsec_another_secret_x", headers, body, now=ts)


def test_the_readme_receiver_example_verifies_a_delivery():
    """The 10-line receiver in README.md (Webhooks) accepts what we send and refuses a stale one."""
    from pathlib import Path
    import textwrap
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    start = readme.index("```python\n  import hashlib, hmac, time")
    block = readme[start:readme.index("```\n", start + 10)]
    code = textwrap.dedent(block.split("\n", 1)[1].rstrip(" "))
    assert len(code.strip().splitlines()) <= 10
    ns: dict = {}
    exec(code, ns)  # noqa: S102 — the documented example, run as written
    secret, body, now = "whsec_readme_example_secret", b'{"id":"e","type":"tpp.computed.v1"}', int(time.time())
    assert ns["verify"](secret, hooks.signed_headers(1, secret, body, now), body)
    assert not ns["verify"](secret, hooks.signed_headers(1, secret, body, now - 400), body)
    assert not ns["verify"](secret, hooks.signed_headers(1, secret, body, now), body + b" ")


# --- backoff, ordering, lanes ----------------------------------------------------------------------

def test_backoff_is_full_jitter_within_the_exponential_ceiling():
    for n in range(1, 15):
        ceiling = min(600.0, 2.0 * 2 ** (n - 1))
        assert backoff_seconds(n, base=2, cap=600, rand=lambda: 0.0) == 0.0
        assert backoff_seconds(n, base=2, cap=600, rand=lambda: 1.0) == pytest.approx(ceiling)
        for _ in range(50):
            assert 0.0 <= backoff_seconds(n, base=2, cap=600) <= ceiling
    assert backoff_seconds(1000, base=2, cap=600, rand=lambda: 1.0) == 600.0  # no overflow past the cap


def test_only_the_oldest_pending_delivery_of_a_receiver_and_key_is_eligible():
    due, later = T0 - timedelta(seconds=1), T0 + timedelta(minutes=5)
    pending = [
        Pending(3, "webhook", "1", NIP_A, due),      # behind 1 (same webhook, same key)
        Pending(1, "webhook", "1", NIP_A, later),    # the head, but backing off: nothing of A goes
        Pending(2, "webhook", "1", NIP_B, due),      # another key: independent
        Pending(4, "webhook", "2", NIP_A, due),      # another receiver: independent
        Pending(5, "email", "1", NIP_A, due),        # another channel
    ]
    assert eligible(pending, T0) == [2, 4, 5]
    assert eligible(pending, later) == [1, 2, 4, 5]
    assert eligible([p for p in pending if p.id != 1], T0) == [2, 3, 4, 5]  # 1 sent or dead: 3 may go


def test_pick_respects_each_lanes_room():
    slow, fast = ("webhook", "1"), ("webhook", "2")
    cands = [(1, slow), (2, slow), (3, slow), (4, fast), (5, fast)]
    assert pick(cands, {slow: 2, fast: 4}, total=10) == [1, 2, 4, 5]
    assert pick(cands, {slow: 0, fast: 1}, total=10) == [4]
    assert pick(cands, {slow: 4, fast: 4}, total=3) == [1, 2, 3]


# --- registration checks ---------------------------------------------------------------------------

def test_event_types_must_be_topics_notify_consumes():
    consumed = [APPROVAL_DECIDED, TPP_COMPUTED]
    assert hooks.check_event_types([TPP_COMPUTED, APPROVAL_DECIDED, TPP_COMPUTED], consumed) == \
        [TPP_COMPUTED, APPROVAL_DECIDED]
    with pytest.raises(InvalidField) as e:
        hooks.check_event_types([APPROVAL_DECIDED, "activity.submitted.v1"], consumed)
    assert e.value.field == "event_types[1]"
    with pytest.raises(InvalidField) as e:
        hooks.check_event_types([], consumed)
    assert e.value.field == "event_types"


@pytest.mark.parametrize("url", ["ftp://x.example/hook", "payroll.example/hook", "http:///nohost",
                                 "https://user:pw@x.example/", "http://x.example:99999/"])
def test_a_webhook_url_must_be_http_or_https(url):
    with pytest.raises(InvalidField) as e:
        hooks.check_url(url)
    assert e.value.field == "url"


def test_http_and_https_urls_are_accepted():
    assert hooks.check_url(" https://payroll.example.go.id/hooks?x=1 ") == "https://payroll.example.go.id/hooks?x=1"
    assert hooks.check_url("http://127.0.0.1:8080/h") == "http://127.0.0.1:8080/h"


# --- quiet hours -----------------------------------------------------------------------------------

def test_quiet_hours_hold_a_message_until_they_end():
    p = Preferences(NIP_A, quiet_start=dtime(21, 0), quiet_end=dtime(6, 0))
    night = datetime(2026, 11, 25, 15, 30, tzinfo=timezone.utc)  # 22:30 WIB
    assert delivery.not_before(p, night, WIB) == datetime(2026, 11, 25, 23, 0, tzinfo=timezone.utc)  # 06:00 WIB
    assert delivery.not_before(p, T0, WIB) == T0  # 10:00 WIB: at once
    assert delivery.not_before(Preferences(NIP_A), night, WIB) == night


# --- on SQLite: hooks, dispatcher, API -------------------------------------------------------------

@pytest.fixture
async def db(tmp_path):
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/notify.db", metadata)
    async with database.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    hooks.CACHE.invalidate()
    delivery.configure(delivery.DeliverySettings(), clock=FakeClock(T0))  # webhook deliveries queued at T0
    yield database
    delivery.configure(delivery.DeliverySettings())
    await database.dispose()


class FakeClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


class ScriptedChannel:
    """Answers the scripted outcomes per target in turn (then success); records what it got."""
    name, per_target, timeout = "webhook", True, 1.0

    def __init__(self, script: dict[str, list[Outcome]] | None = None, delay: float = 0.0) -> None:
        self.script, self.delay, self.got = script or {}, delay, []

    async def send(self, job: Job) -> Outcome:
        if self.delay:
            await asyncio.sleep(self.delay)
        self.got.append(job)
        left = self.script.get(job.target, [])
        return left.pop(0) if left else Outcome(True, status_code=204)

    async def close(self) -> None:
        pass


def decided(nip: str = NIP_A) -> ApprovalDecidedV1:
    return ApprovalDecidedV1(task_id=uuid.uuid4(), activity_id=uuid.uuid4(), nip=nip, approver_nip=NIP_B,
                             decision=Decision.approve, reason=None, type_code="LAPORAN",
                             work_date=T0.date(), minutes=120, points=0, decided_at=T0)


def meta(key: str, event_id: str | None = None) -> EventMeta:
    return EventMeta(event_id=event_id or str(uuid.uuid4()), topic=APPROVAL_DECIDED, key=key,
                     headers={"occurred-at": T0.isoformat()})


async def add_webhook(db: Database, url: str = "http://127.0.0.1:9/hook", types=(APPROVAL_DECIDED,)) -> int:
    async with db.sessions() as s, s.begin():
        row = await hooks.create(s, url=url, event_types=list(types), secret="whsec_unit_test_secret_1", by=NIP_B,
                                 now=T0)
        return row.id


async def consume(db: Database, event, m: EventMeta, topic: str = APPROVAL_DECIDED) -> None:
    async with db.sessions() as s, s.begin():
        await delivery.on_event(SimpleNamespace(session=s, db=db), topic, event, m)


async def deliveries(db: Database) -> list[Delivery]:
    async with db.sessions() as s:
        return list(await s.scalars(sa.select(Delivery).order_by(Delivery.id)))


async def attempts_of(db: Database, delivery_id: int) -> list[DeliveryAttempt]:
    async with db.sessions() as s:
        return list(await s.scalars(sa.select(DeliveryAttempt).where(
            DeliveryAttempt.delivery_id == delivery_id).order_by(DeliveryAttempt.id)))


async def test_on_event_queues_one_delivery_per_subscribed_webhook_and_nothing_twice(db):
    a = await add_webhook(db)
    b = await add_webhook(db, types=(APPROVAL_DECIDED, TPP_COMPUTED))
    await add_webhook(db, types=(TPP_COMPUTED,))
    e, m = decided(), meta(NIP_A)
    await consume(db, e, m)
    await consume(db, e, m)  # redelivered
    rows = await deliveries(db)
    assert sorted(r.target for r in rows) == sorted([str(a), str(b)])
    body = rows[0].payload
    assert body["id"] == m.event_id and body["type"] == APPROVAL_DECIDED and body["occurred_at"] == T0.isoformat()
    assert body["data"]["nip"] == NIP_A and body["data"]["decision"] == "approve"
    assert {(r.ordering_key, r.status) for r in rows} == {(NIP_A, "pending")}


async def test_retries_with_backoff_then_success_one_accepted_six_attempts(db):
    wid = await add_webhook(db)
    await consume(db, decided(), meta(NIP_A))
    channel = ScriptedChannel({str(wid): [Outcome(False, status_code=500, error="HTTP 500")] * 5})
    clock = FakeClock(T0)
    d = Dispatcher(db, {"webhook": channel}, clock=clock, rand=lambda: 1.0)
    for _ in range(10):
        await d.run_once()
        [row] = await deliveries(db)
        if row.status == "sent":
            break
        assert row.next_attempt_at.replace(tzinfo=timezone.utc) > clock.at  # backing off
        assert await d.run_once() == 0  # not due yet
        clock.at = row.next_attempt_at.replace(tzinfo=timezone.utc)
    assert row.status == "sent" and row.attempts == 6
    log = await attempts_of(db, row.id)
    assert [a.status_code for a in log] == [500] * 5 + [204]
    assert [a.error for a in log] == ["HTTP 500"] * 5 + [None]
    await d.stop()


async def test_dead_after_max_attempts_with_the_reason_then_replay(db):
    wid = await add_webhook(db)
    await consume(db, decided(), meta(NIP_A))
    channel = ScriptedChannel({str(wid): [Outcome(False, error="ConnectError: refused")] * 4})
    clock = FakeClock(T0)
    d = Dispatcher(db, {"webhook": channel}, clock=clock, max_attempts=3, rand=lambda: 0.0)
    for _ in range(3):
        await d.run_once()
    [row] = await deliveries(db)
    assert (row.status, row.attempts, row.last_error) == ("dead", 3, "ConnectError: refused")
    assert await d.run_once() == 0
    async with db.sessions() as s, s.begin():
        replayed, _ = await hooks.replay(s, wid, row.id, clock.at)
        assert replayed.status == "pending"
    await d.run_once()  # the 4th scripted failure: a fresh budget, so it is retried, not dead at once
    [row] = await deliveries(db)
    assert (row.status, row.attempts) == ("pending", 4)
    await d.run_once()
    [row] = await deliveries(db)
    assert (row.status, row.attempts, row.last_error) == ("sent", 5, None)
    await d.stop()


async def test_per_key_order_holds_while_the_head_retries(db):
    wid = await add_webhook(db)
    for _ in range(3):
        await consume(db, decided(NIP_A), meta(NIP_A))
    await consume(db, decided(NIP_B), meta(NIP_B))
    channel = ScriptedChannel({str(wid): [Outcome(False, status_code=503, error="HTTP 503")]})
    clock = FakeClock(T0)
    d = Dispatcher(db, {"webhook": channel}, clock=clock, rand=lambda: 1.0)
    await d.run_once()  # A#1 fails; B goes
    assert [j.ordering_key for j in channel.got] == [NIP_A, NIP_B]
    await d.run_once()
    assert len(channel.got) == 2  # A#2 and A#3 wait behind A#1
    clock.at += timedelta(seconds=5)
    for _ in range(3):
        await d.run_once()
    a_ids = [j.id for j in channel.got if j.ordering_key == NIP_A]
    assert a_ids == sorted(a_ids) and len(a_ids) == 4  # A#1 twice, then A#2, A#3 in order
    assert {r.status for r in await deliveries(db)} == {"sent"}
    await d.stop()


async def test_a_slow_receiver_holds_only_its_own_lane(db):
    slow, fast = await add_webhook(db), await add_webhook(db)
    for i in range(20):
        await consume(db, decided(), meta(f"19850330201001{i:04d}"))

    class Lanes(ScriptedChannel):
        async def send(self, job):
            if job.target == str(slow):
                await asyncio.sleep(2.0)
            self.got.append(job)
            return Outcome(True)

    channel = Lanes()
    d = Dispatcher(db, {"webhook": channel}, clock=FakeClock(T0), concurrency=2)
    started = time.monotonic()
    while len([j for j in channel.got if j.target == str(fast)]) < 20 and time.monotonic() - started < 5:
        await d.tick()
        await asyncio.sleep(0.01)
    took = time.monotonic() - started
    assert took < 1.5, took  # all 20 of the fast one before the first slow send ended
    assert not [j for j in channel.got if j.target == str(slow)]
    await d.stop(grace=0)


async def test_a_deleted_webhook_gets_nothing_more(db):
    wid = await add_webhook(db)
    await consume(db, decided(), meta(NIP_A))
    async with db.sessions() as s, s.begin():
        await hooks.delete(s, wid, T0)
    await consume(db, decided(), meta(NIP_A))
    [row] = await deliveries(db)
    assert (row.status, row.last_error) == ("dead", "webhook deleted")
    d = Dispatcher(db, {"webhook": ScriptedChannel()}, clock=FakeClock(T0))
    assert await d.run_once() == 0


async def test_email_and_push_follow_the_preferences_and_quiet_hours(db):
    delivery.configure(delivery.DeliverySettings(smtp_host="127.0.0.1"), clock=FakeClock(T0))
    try:
        night = datetime(2026, 11, 25, 15, 30, tzinfo=timezone.utc)  # 22:30 WIB
        prefs = {NIP_A: Preferences(NIP_A, email="ani@example.go.id", email_enabled=True, push_enabled=True,
                                    quiet_start=dtime(21, 0), quiet_end=dtime(6, 0)),
                 NIP_B: Preferences(NIP_B, email="budi@example.go.id", email_enabled=False, push_enabled=False)}
        async with db.sessions() as s, s.begin():
            uow = SimpleNamespace(session=s, db=db)
            for nip in (NIP_A, NIP_B):
                n = Notification(recipient_nip=nip, kind="approval.decided", title="Aktivitas disetujui",
                                 body="Aktivitas LAPORAN disetujui.", data={}, source_event_id="ev-1", created_at=night)
                s.add(n)
                await s.flush()
                await delivery.on_notification(uow, n, prefs[nip])
                await delivery.on_notification(uow, n, prefs[nip])  # twice: queued once
                await delivery.on_notification(uow, n, None)
        rows = await deliveries(db)
        assert sorted((r.channel, r.target) for r in rows) == [("email", "ani@example.go.id"), ("push", NIP_A)]
        email = next(r for r in rows if r.channel == "email")
        assert email.payload["subject"] == "Aktivitas disetujui" and email.payload["body"].startswith("Aktivitas")
        assert {r.next_attempt_at.replace(tzinfo=timezone.utc) for r in rows} == \
            {datetime(2026, 11, 25, 23, 0, tzinfo=timezone.utc)}  # 06:00 WIB

        provider = LogPushProvider()
        clock = FakeClock(night)
        d = Dispatcher(db, {"push": PushChannel(provider)}, clock=clock)
        assert await d.run_once() == 0  # quiet hours
        clock.at = datetime(2026, 11, 25, 23, 0, tzinfo=timezone.utc)
        assert await d.run_once() == 1 and provider.sent == 1
        assert {(r.channel, r.status) for r in await deliveries(db)} == {("email", "pending"), ("push", "sent")}
    finally:
        delivery.configure(delivery.DeliverySettings())


async def test_the_webhook_channel_signs_what_it_sends():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(500 if len(seen) == 1 else 200, text="boom" if len(seen) == 1 else "")

    channel = WebhookChannel(client=httpx.AsyncClient(transport=httpx.MockTransport(handler)))
    from notify_service.delivery.dispatcher import WebhookTarget
    job = Job(id=42, channel="webhook", target="1", ordering_key=NIP_A, event_type=APPROVAL_DECIDED, event_id="e1",
              payload={"id": "e1", "type": APPROVAL_DECIDED, "occurred_at": T0.isoformat(), "data": {"x": "é"}},
              attempt=1, webhook=WebhookTarget(1, "http://receiver.test/hook", "whsec_unit_test_secret_1"))
    assert await channel.send(job) == Outcome(False, status_code=500, error="HTTP 500: boom")
    assert (await channel.send(job)).ok
    r = seen[-1]
    assert r.headers[hooks.ID_HEADER] == "42" and r.headers["content-type"] == "application/json"
    assert hooks.verify("whsec_unit_test_secret_1", r.headers, r.content)
    assert json.loads(r.content)["data"] == {"x": "é"}
    await channel.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_the_email_channel_talks_smtp_with_login():
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            received.append(envelope)
            return "250 OK"

        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
            if address.startswith("nobody@"):
                return "550 no such user"
            envelope.rcpt_tos.append(address)
            return "250 OK"

    def auth(server, session, envelope, mechanism, data):
        return AuthResult(success=(data.login, data.password) == (b"kinerja", b"rahasia"))

    port = free_port()
    smtp = Controller(Handler(), hostname="127.0.0.1", port=port, authenticator=auth, auth_require_tls=False)
    smtp.start()
    try:
        channel = EmailChannel(host="127.0.0.1", port=port, starttls=False, username="kinerja", password="rahasia",
                               sender="Kinerja <kinerja@pemkot.example.go.id>", timeout=5)
        job = Job(id=9, channel="email", target="ani@example.go.id", ordering_key=NIP_A, event_type="approval.decided",
                  event_id="e1", payload={"subject": "Aktivitas disetujui", "body": "Aktivitas LAPORAN disetujui."},
                  attempt=1)
        assert (await channel.send(job)).ok
        [env] = received
        assert env.rcpt_tos == ["ani@example.go.id"] and b"Subject: Aktivitas disetujui" in env.content
        refused = await channel.send(Job(**{**job.__dict__, "target": "nobody@example.go.id"}))
        assert (refused.ok, refused.permanent, refused.status_code) == (False, True, 550)
        wrong = EmailChannel(host="127.0.0.1", port=port, starttls=False, username="kinerja", password="salah",
                             timeout=2)
        failed = await wrong.send(job)
        assert not failed.ok and not failed.permanent  # a bad login is fixable: retried
    finally:
        smtp.stop()


# --- the API ---------------------------------------------------------------------------------------

@dataclass
class Api:
    http: httpx.AsyncClient
    db: Database


@pytest.fixture
async def api(db):
    app = FastAPI()
    kit_http.install(app, [])
    app.state.runtime = SimpleNamespace(db=db, consumers=SimpleNamespace(handlers={APPROVAL_DECIDED: None,
                                                                                    TPP_COMPUTED: None}))
    app.state.token_verifier = TokenVerifier(ServiceSettings())
    app.include_router(webhooks_router)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://notify") as client:
        yield Api(client, db)


ADMIN = {"Authorization": f"Bearer {mint('199912312024011009', ['admin'])}"}


async def test_webhook_api_registers_lists_and_deletes(api):
    r = await api.http.post("/v1/webhooks", json={"url": "https://payroll.example.go.id/hooks",
                                                  "event_types": [APPROVAL_DECIDED, TPP_COMPUTED]}, headers=ADMIN)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 30
    listed = (await api.http.get("/v1/webhooks", headers=ADMIN)).json()
    assert [w["id"] for w in listed] == [created["id"]] and "secret" not in listed[0]
    mine = await api.http.post("/v1/webhooks", json={"url": "http://127.0.0.1:1/h", "event_types": [TPP_COMPUTED],
                                                     "secret": "my-own-secret-0123456789"}, headers=ADMIN)
    assert mine.json()["secret"] == "my-own-secret-0123456789"
    assert (await api.http.delete(f"/v1/webhooks/{created['id']}", headers=ADMIN)).status_code == 204
    assert [w["id"] for w in (await api.http.get("/v1/webhooks", headers=ADMIN)).json()] == [mine.json()["id"]]
    assert (await api.http.delete(f"/v1/webhooks/{created['id']}", headers=ADMIN)).status_code == 404
    assert (await api.http.get(f"/v1/webhooks/{created['id']}/deliveries", headers=ADMIN)).status_code == 200
    assert (await api.http.get("/v1/webhooks/999/deliveries", headers=ADMIN)).status_code == 404


@pytest.mark.parametrize("body,field", [
    ({"url": "ftp://x.example/h", "event_types": [APPROVAL_DECIDED]}, "url"),
    ({"url": "https://x.example/h", "event_types": [APPROVAL_DECIDED, "org.employee.v1"]}, "event_types[1]"),
    ({"url": "https://x.example/h", "event_types": []}, "event_types"),
    ({"url": "https://x.example/h", "event_types": [APPROVAL_DECIDED], "secret": "short"}, "secret"),
])
async def test_webhook_api_names_the_refused_field(api, body, field):
    r = await api.http.post("/v1/webhooks", json=body, headers=ADMIN)
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == [field]


async def test_webhook_api_is_for_admins(api):
    pegawai = {"Authorization": f"Bearer {mint(NIP_A, ['pegawai'])}"}
    assert (await api.http.get("/v1/webhooks", headers=pegawai)).status_code == 403
    assert (await api.http.post("/v1/webhooks", json={"url": "https://x.example/h", "event_types": [TPP_COMPUTED]},
                                headers=pegawai)).status_code == 403


async def test_delivery_log_and_replay_over_the_api(api):
    wid = await add_webhook(api.db)
    await consume(api.db, decided(), meta(NIP_A))
    clock = FakeClock(T0)
    d = Dispatcher(api.db, {"webhook": ScriptedChannel({str(wid): [Outcome(False, status_code=500, error="HTTP 500")]})},
                   clock=clock, max_attempts=1)
    await d.run_once()
    [entry] = (await api.http.get(f"/v1/webhooks/{wid}/deliveries", headers=ADMIN)).json()
    assert (entry["status"], entry["last_error"], entry["event_type"]) == ("dead", "HTTP 500", APPROVAL_DECIDED)
    assert [(a["status_code"], a["error"]) for a in entry["attempts"]] == [(500, "HTTP 500")]
    assert (await api.http.get(f"/v1/webhooks/{wid}/deliveries?status=sent", headers=ADMIN)).json() == []
    r = await api.http.post(f"/v1/webhooks/{wid}/deliveries/{entry['id']}/replay", headers=ADMIN)
    assert r.status_code == 202 and r.json()["status"] == "pending"
    assert (await api.http.post(f"/v1/webhooks/{wid}/deliveries/{entry['id']}/replay",
                                headers=ADMIN)).status_code == 409  # already pending
    clock.at = datetime.now(timezone.utc) + timedelta(seconds=1)  # the API replays at the real now
    await d.run_once()
    [entry] = (await api.http.get(f"/v1/webhooks/{wid}/deliveries", headers=ADMIN)).json()
    assert entry["status"] == "sent" and [a["status_code"] for a in entry["attempts"]] == [500, 204]
    assert (await api.http.post(f"/v1/webhooks/{wid}/deliveries/999/replay", headers=ADMIN)).status_code == 404
    await d.stop()
