"""Webhook, email and push delivery on the real PostgreSQL (issue 12), tables from notify's migrations,
with real receivers on loopback: an HTTP server that fails five times then accepts (one accepted
delivery, six attempts in the log, every signature verified by the receiver), a dead receiver
(connection refused; a socket that never answers) and a silent SMTP server that do not delay a healthy
receiver, dead-lettering after the last attempt with the reason, a replay once the receiver is back,
per-key order with two dispatchers racing for the rows, a redelivered event queued once, and email
through a real SMTP server (aiosmtpd) started here. The dispatcher is driven in-process through
`tick()` / `run_once()` with a fake clock, so no test sleeps through a backoff; the isolation test runs
its loop for real."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from datetime import date, datetime, time as dtime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from kinerja_contracts.approval.v1 import ApprovalDecidedV1, Decision
from kinerja_contracts.topics import APPROVAL_DECIDED
from kinerja_kit.consumer import EventMeta
from kinerja_kit.db import Database
from kinerja_kit.outbox import UnitOfWork
from notify_service import delivery
from notify_service.delivery import webhooks as hooks
from notify_service.delivery.dispatcher import Dispatcher
from notify_service.delivery.webhooks import WebhookChannel
from notify_service.domain.preferences import Preferences
from notify_service.main import SERVICE
from notify_service.persistence.tables import Delivery, Notification, metadata

pytestmark = pytest.mark.infra

ADMIN, APPROVER = "199912312024011009", "197501012000031001"
SECRET = "whsec_infra_test_secret_0123456789"


class FakeClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


class Receiver:
    """An HTTP server on 127.0.0.1 (ephemeral port unless given): `answer(n, body)` gives the status of
    the n-th request (1-based); every request's signature is verified as the README tells receivers."""

    def __init__(self, answer=lambda n, body: 204, port: int = 0, secret: str = SECRET) -> None:
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = {k: v for k, v in self.headers.items()}
                ok = hooks.verify(secret, headers, body)
                with receiver.lock:
                    n = len(receiver.requests) + 1
                    status = answer(n, body) if ok else 401
                    receiver.requests.append({"at": time.monotonic(), "id": headers.get(hooks.ID_HEADER),
                                              "verified": ok, "status": status, "body": body})
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def accepted(self) -> list[dict]:
        with self.lock:
            return [r for r in self.requests if 200 <= r["status"] < 300]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def silent_listener() -> socket.socket:
    """Accepts connections (the kernel's backlog) and never answers: a hung receiver or SMTP server."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    return s


def decided(nip: str, reason: str | None = None) -> ApprovalDecidedV1:
    return ApprovalDecidedV1(task_id=uuid.uuid4(), activity_id=uuid.uuid4(), nip=nip, approver_nip=APPROVER,
                             decision=Decision.approve, reason=reason, type_code="LAPORAN",
                             work_date=date(2026, 11, 20), minutes=120, points=0,
                             decided_at=datetime(2026, 11, 25, 3, tzinfo=timezone.utc))


async def consume(db: Database, event, key: str, event_id: str | None = None) -> str:
    """What notify's consumer does for a consumed event, in its unit of work."""
    meta = EventMeta(event_id=event_id or str(uuid.uuid4()), topic=APPROVAL_DECIDED, key=key,
                     headers={"occurred-at": datetime.now(timezone.utc).isoformat()})
    async with UnitOfWork(db, "notify") as uow:
        await delivery.on_event(uow, APPROVAL_DECIDED, event, meta)
    return meta.event_id


async def register(db: Database, url: str) -> int:
    async with db.sessions() as s, s.begin():
        return (await hooks.create(s, url=url, event_types=[APPROVAL_DECIDED], secret=SECRET, by=ADMIN,
                                   now=datetime.now(timezone.utc))).id


async def rows(db: Database, webhook_id: int | None = None) -> list[Delivery]:
    async with db.sessions() as s:
        stmt = sa.select(Delivery).order_by(Delivery.id)
        if webhook_id is not None:
            stmt = stmt.where(Delivery.channel == "webhook", Delivery.target == str(webhook_id))
        return list(await s.scalars(stmt))


async def until_final(d: Dispatcher, db: Database, clock: FakeClock, delivery_id: int, limit: int = 20) -> Delivery:
    """Tick, and jump the clock to the next attempt, until the delivery is sent or dead."""
    for _ in range(limit):
        await d.run_once()
        async with db.sessions() as s:
            row = await s.get(Delivery, delivery_id)
        if row.status != "pending":
            return row
        clock.at = max(clock.at, row.next_attempt_at.replace(tzinfo=row.next_attempt_at.tzinfo or timezone.utc))
    raise AssertionError(f"delivery {delivery_id} still pending after {limit} ticks")


@pytest.fixture
async def notify_db(fresh_database):
    url = await fresh_database("webhooks_notify")
    db = Database(SERVICE.load_settings(database_url=url).sqlalchemy_url(), metadata)
    await db.migrate(SERVICE.migrations)
    hooks.CACHE.invalidate()
    yield db
    delivery.configure(delivery.DeliverySettings())
    await db.dispose()


def dispatcher(db: Database, clock=None, **kw) -> Dispatcher:
    timeout = kw.pop("timeout", 5.0)
    return Dispatcher(db, {"webhook": WebhookChannel(timeout=timeout)}, clock=clock, **kw)


async def test_five_failures_then_success_is_one_accepted_delivery_with_six_attempts(notify_db):
    db, clock = notify_db, FakeClock(datetime.now(timezone.utc))
    delivery.configure(delivery.DeliverySettings(), clock=clock)
    receiver = Receiver(answer=lambda n, body: 500 if n <= 5 else 204)
    d = dispatcher(db, clock)
    try:
        wid = await register(db, receiver.url)
        event_id = await consume(db, decided("198503302010011002", reason="lengkap"), "198503302010011002")
        [row] = await rows(db, wid)
        row = await until_final(d, db, clock, row.id)
        assert row.status == "sent" and row.attempts == 6

        assert len(receiver.requests) == 6 and all(r["verified"] for r in receiver.requests)
        assert [r["status"] for r in receiver.requests] == [500] * 5 + [204]
        assert {r["id"] for r in receiver.requests} == {str(row.id)}  # the same delivery id on every retry
        [accepted] = receiver.accepted()
        import json
        body = json.loads(accepted["body"])
        assert (body["id"], body["type"]) == (event_id, APPROVAL_DECIDED)
        assert body["data"]["reason"] == "lengkap" and body["occurred_at"]

        async with db.sessions() as s:
            [(logged, attempts)] = await hooks.log(s, wid, status=None, limit=10, before_id=None)
        assert logged.id == row.id and len(attempts) == 6
        assert [a.status_code for a in attempts] == [500] * 5 + [204]
        assert [a.error for a in attempts] == ["HTTP 500"] * 5 + [None]
        assert all(a.duration_ms >= 0 for a in attempts)
        gaps = [(b.at - a.at).total_seconds() for a, b in zip(attempts, attempts[1:])]
        assert all(0 <= g <= min(600, 2 * 2 ** i) for i, g in enumerate(gaps)), gaps  # full-jitter bounds
    finally:
        await d.stop()
        receiver.close()


async def test_a_dead_receiver_and_a_hung_smtp_server_do_not_delay_a_healthy_receiver(notify_db):
    db = notify_db
    hung, smtp_hung = silent_listener(), silent_listener()
    refused_port = closed_port()
    healthy = Receiver()
    settings = delivery.DeliverySettings(smtp_host="127.0.0.1", smtp_port=smtp_hung.getsockname()[1],
                                         smtp_starttls=False, smtp_timeout_seconds=4.0, delivery_timeout_seconds=4.0,
                                         delivery_poll_seconds=0.05, delivery_max_attempts=8)
    delivery.configure(settings)
    d = delivery.build_dispatcher(settings, db)
    try:
        dead_refused = await register(db, f"http://127.0.0.1:{refused_port}/hook")
        dead_hung = await register(db, f"http://127.0.0.1:{hung.getsockname()[1]}/hook")
        await register(db, healthy.url)  # the last: its rows come after the dead ones' in every claim
        nips = [f"1985033020100{i:05d}" for i in range(20)]
        async with UnitOfWork(db, "notify") as uow:  # emails to the hung SMTP server, queued first
            for nip in nips:
                n = Notification(recipient_nip=nip, kind="approval.decided", title="Aktivitas disetujui",
                                 body="Aktivitas LAPORAN disetujui.", data={}, source_event_id=str(uuid.uuid4()),
                                 created_at=datetime.now(timezone.utc))
                uow.session.add(n)
                await uow.session.flush()
                await delivery.on_notification(uow, n, Preferences(nip, email=f"{nip}@example.go.id",
                                                                   email_enabled=True))
        for nip in nips:
            await consume(db, decided(nip), nip)

        started = time.monotonic()
        d.start()
        while len(healthy.accepted()) < len(nips) and time.monotonic() - started < 10:
            await asyncio.sleep(0.02)
        took = time.monotonic() - started
        assert len(healthy.accepted()) == len(nips), f"{len(healthy.accepted())} of {len(nips)} in {took:.2f}s"
        # Blocked behind a hung one it would wait a whole 4 s timeout; 3 s leaves room for a busy machine.
        assert took < 3.0, f"the healthy receiver waited {took:.2f}s behind dead ones"

        stuck = await rows(db, dead_refused) + await rows(db, dead_hung)
        assert stuck and {r.status for r in stuck} == {"pending"}  # the dead ones are still being retried
        emails = [r for r in await rows(db) if r.channel == "email"]
        assert len(emails) == len(nips) and {r.status for r in emails} == {"pending"}

        async def failed_attempts() -> bool:
            return all(r.attempts >= 1 and r.last_error for r in (await rows(db, dead_refused))[:4]) and \
                any(r.attempts >= 1 and "time" in (r.last_error or "").lower() for r in await rows(db, dead_hung))
        deadline = time.monotonic() + 10
        while not await failed_attempts() and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert await failed_attempts()
        refused = (await rows(db, dead_refused))[0]
        assert "ConnectError" in refused.last_error, refused.last_error
        print(f"\nhealthy receiver: {len(nips)} deliveries in {took * 1000:.0f} ms while a refusing, a hung "
              f"receiver and a hung SMTP server were retried")
    finally:
        await d.stop(grace=0)
        healthy.close()
        hung.close()
        smtp_hung.close()

    # Dead-lettered after the last attempt, with the reason; replayed once the receiver is back.
    clock = FakeClock(datetime.now(timezone.utc))
    d2 = dispatcher(db, clock, max_attempts=3, timeout=1.0)
    back = None
    try:
        first = (await rows(db, dead_refused))[0]
        row = await until_final(d2, db, clock, first.id)
        assert (row.status, row.attempts) == ("dead", max(3, first.attempts + 1)) and "ConnectError" in row.last_error
        dead_attempts = row.attempts
        back = Receiver(port=refused_port)  # the receiver is fixed, on its registered URL
        async with db.sessions() as s, s.begin():
            replayed, _ = await hooks.replay(s, dead_refused, row.id, clock.at)
        assert replayed.status == "pending"
        row = await until_final(d2, db, clock, row.id)
        assert (row.status, row.attempts, row.last_error) == ("sent", dead_attempts + 1, None)
        assert [r["verified"] for r in back.accepted() if r["id"] == str(row.id)] == [True]  # once, signed
        async with db.sessions() as s:
            logged = dict((dl.id, a) for dl, a in await hooks.log(s, dead_refused, status=None, limit=100,
                                                                  before_id=None))
        assert [a.status_code for a in logged[row.id]] == [None] * dead_attempts + [204]
        assert all("ConnectError" in a.error for a in logged[row.id][:-1])
    finally:
        await d2.stop(grace=0)
        if back:
            back.close()


async def test_per_key_order_with_two_dispatchers(notify_db):
    db, clock = notify_db, FakeClock(datetime.now(timezone.utc))
    delivery.configure(delivery.DeliverySettings(), clock=clock)
    a, b = "198503302010011002", "199001012015012001"

    failed = []

    def answer(n: int, body: bytes) -> int:
        if b'"reason":"A0"' in body and not failed:  # A's first event fails once: A1… must wait for it
            failed.append(n)
            return 503
        return 204

    receiver = Receiver(answer=answer)
    other = Database(db.url, metadata)  # a second process
    d1, d2 = dispatcher(db, clock, rand=lambda: 1.0), dispatcher(other, clock, rand=lambda: 1.0)
    try:
        wid = await register(db, receiver.url)
        sent_ids = [await consume(db, decided(a, reason=f"A{i}"), a) for i in range(5)]
        await consume(db, decided(b, reason="B0"), b)
        for _ in range(12):
            await asyncio.gather(d1.run_once(), d2.run_once())
            clock.at += timedelta(seconds=3)
        assert {r.status for r in await rows(db, wid)} == {"sent"}
        import json
        accepted = [json.loads(r["body"]) for r in receiver.accepted()]
        assert [e["data"]["reason"] for e in accepted if e["data"]["nip"] == a] == [f"A{i}" for i in range(5)]
        assert [e["id"] for e in accepted if e["data"]["nip"] == a] == sent_ids
        assert len({r["id"] for r in receiver.accepted()}) == len(receiver.accepted()) == 6  # none twice
        assert failed and len(receiver.requests) == 7
        b_at = next(i for i, r in enumerate(receiver.requests) if b'"reason":"B0"' in r["body"])
        retry_at = max(i for i, r in enumerate(receiver.requests) if b'"reason":"A0"' in r["body"])
        assert b_at < retry_at  # another key went on while A's head backed off
    finally:
        await d1.stop()
        await d2.stop()
        await other.dispose()
        receiver.close()


async def test_a_redelivered_event_queues_nothing_twice(notify_db):
    db = notify_db
    delivery.configure(delivery.DeliverySettings())
    w1, w2 = await register(db, "http://127.0.0.1:1/a"), await register(db, "http://127.0.0.1:1/b")
    e, event_id = decided("198503302010011002"), str(uuid.uuid4())
    await asyncio.gather(*(consume(db, e, e.nip, event_id) for _ in range(3)))
    await consume(db, e, e.nip, event_id)
    assert sorted(r.target for r in await rows(db)) == sorted([str(w1), str(w2)])


async def test_email_through_a_real_smtp_server(notify_db):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            received.append(envelope)
            return "250 OK"

    def auth(server, session, envelope, mechanism, data):
        return AuthResult(success=(data.login, data.password) == (b"kinerja", b"rahasia-smtp"))

    port = closed_port()
    smtp = Controller(Handler(), hostname="127.0.0.1", port=port, authenticator=auth, auth_require_tls=False,
                      auth_required=True)
    smtp.start()
    db = notify_db
    night = datetime(2026, 11, 25, 15, 30, tzinfo=timezone.utc)  # 22:30 WIB, in quiet hours until 06:00
    clock = FakeClock(night)
    settings = delivery.DeliverySettings(smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False,
                                         smtp_username="kinerja", smtp_password="rahasia-smtp",
                                         smtp_from="Kinerja Pemkot <kinerja@pemkot.example.go.id>")
    delivery.configure(settings, clock=clock)
    d = delivery.build_dispatcher(settings, db, clock=clock)
    try:
        nip = "198503302010011002"
        prefs = Preferences(nip, email="ani@example.go.id", email_enabled=True, quiet_start=dtime(21, 0),
                            quiet_end=dtime(6, 0))
        async with UnitOfWork(db, "notify") as uow:
            n = Notification(recipient_nip=nip, kind="approval.decided", title="Aktivitas disetujui",
                             body="Aktivitas LAPORAN tanggal 2026-11-20 disetujui.", data={},
                             source_event_id=str(uuid.uuid4()), created_at=night)
            uow.session.add(n)
            await uow.session.flush()
            await delivery.on_notification(uow, n, prefs)
        assert await d.run_once() == 0 and received == []  # quiet hours
        clock.at = datetime(2026, 11, 25, 23, 0, tzinfo=timezone.utc)  # 06:00 WIB
        assert await d.run_once() == 1
        [env] = received
        assert env.rcpt_tos == ["ani@example.go.id"] and env.mail_from == "kinerja@pemkot.example.go.id"
        text = env.content.decode()
        assert "Subject: Aktivitas disetujui" in text and "Aktivitas LAPORAN tanggal 2026-11-20 disetujui." in text
        [row] = await rows(db)
        assert (row.channel, row.status, row.attempts) == ("email", "sent", 1)
    finally:
        await d.stop()
        smtp.stop()
