"""In-app notifications without the broker (issue 12): quiet hours over midnight, the digest rule
and its storage, one notification per event whatever is redelivered, the low-activity reminder's
day and its scheduler tick, the stream's events and resumption, and the in-app API, on an SQLite
database (tables from the models)."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from kinerja_contracts.activity.v1 import ActivitySubmittedV1
from kinerja_contracts.approval.v1 import ApprovalRequestedV1
from kinerja_contracts.calendar.v1 import CalendarDay, CalendarYearV1, WorkCalendar
from kinerja_contracts.org.v1 import EmployeeV1
from kinerja_contracts.topics import ACTIVITY_SUBMITTED, CALENDAR_YEAR, ORG_EMPLOYEE
from kinerja_kit import http as kit_http
from kinerja_kit.auth import TokenVerifier
from kinerja_kit.calendar import CalendarCache
from kinerja_kit.consumer import ConsumerGroup, EventMeta
from kinerja_kit.db import Database
from kinerja_kit.outbox import UnitOfWork
from kinerja_kit.settings import ServiceSettings
from kinerja_kit.tokens import mint
from notify_service.api.routes import router
from notify_service.api.stream import StreamSettings, notification_events
from notify_service.application.notifications import Context, store_messages
from notify_service.domain.cutoff import cutoff_day, low_activity_reminder_day
from notify_service.domain.digest import Action, DigestRule
from notify_service.domain.messages import Message, approval_requested
from notify_service.domain.preferences import Preferences
from notify_service.handlers.consumers import register
from notify_service.live import WAKEUP
from notify_service.persistence import repository as repo
from notify_service.persistence.tables import (LowActivityReminder, Notification, NotificationDigest,
                                               NotificationPreferences, metadata)
from notify_service.region import load_templates
from notify_service.reminders import LowActivityReminders

WIB = ZoneInfo("Asia/Jakarta")
T0 = datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)  # Wednesday 10:00 WIB
HEAD, STAFF, OTHER = "197501012000031001", "198503302010011002", "199001012015012001"
TEMPLATES = load_templates(None)
CTX = Context(templates=TEMPLATES, digest=DigestRule(5, timedelta(minutes=30)), tz=WIB)


def wib(y: int, m: int, d: int, h: int = 9, minute: int = 0) -> datetime:
    return datetime(y, m, d, h, minute, tzinfo=WIB).astimezone(timezone.utc)


def calendar(*off: str, year: int = 2026) -> CalendarYearV1:
    return CalendarYearV1(year=year, revision=1, updated_at=T0,
                          days=[CalendarDay(date=d, kind="libur_daerah", name="Libur daerah") for d in off])


# --- quiet hours -------------------------------------------------------------------------------------

def test_quiet_hours_over_midnight():
    p = Preferences(STAFF, quiet_start=time(22, 0), quiet_end=time(6, 0))
    assert p.in_quiet_hours(time(22, 0)) and p.in_quiet_hours(time(23, 59)) and p.in_quiet_hours(time(0, 0))
    assert p.in_quiet_hours(time(5, 59))
    assert not p.in_quiet_hours(time(6, 0)) and not p.in_quiet_hours(time(12, 0)) and not p.in_quiet_hours(time(21, 59))
    late = datetime(2026, 11, 25, 23, 30, tzinfo=WIB)
    assert p.next_allowed(late) == datetime(2026, 11, 26, 6, 0, tzinfo=WIB)  # tomorrow morning
    early = datetime(2026, 11, 26, 2, 15, tzinfo=WIB)
    assert p.next_allowed(early) == datetime(2026, 11, 26, 6, 0, tzinfo=WIB)  # this morning
    noon = datetime(2026, 11, 26, 12, 0, tzinfo=WIB)
    assert p.next_allowed(noon) == noon


def test_quiet_hours_within_a_day_and_none():
    lunch = Preferences(STAFF, quiet_start=time(12, 0), quiet_end=time(13, 0))
    assert lunch.in_quiet_hours(time(12, 30)) and not lunch.in_quiet_hours(time(13, 0))
    assert not lunch.in_quiet_hours(time(11, 59)) and not lunch.in_quiet_hours(time(23, 0))
    at = datetime(2026, 11, 25, 12, 30, tzinfo=WIB)
    assert lunch.next_allowed(at) == datetime(2026, 11, 25, 13, 0, tzinfo=WIB)
    none = Preferences.defaults(STAFF)
    assert not none.in_quiet_hours(time(3, 0)) and none.next_allowed(at) == at
    assert (none.email_enabled, none.push_enabled, none.digest) == (False, False, True)


# --- the digest rule ---------------------------------------------------------------------------------

def test_the_digest_rule():
    rule = DigestRule(5, timedelta(minutes=30))
    assert [rule.decide(recent_individual=n, digest_open=False) for n in range(7)] == \
        [Action.individual] * 5 + [Action.open] * 2
    assert rule.decide(recent_individual=0, digest_open=True) is Action.fold
    assert rule.decide(recent_individual=9, digest_open=True, wanted=False) is Action.individual
    assert DigestRule(0).decide(recent_individual=100, digest_open=False) is Action.individual


# --- on SQLite ---------------------------------------------------------------------------------------

@pytest.fixture
async def db(tmp_path):
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/notify.db", metadata)
    async with database.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield database
    await database.dispose()


def requested(approver: str = HEAD, nip: str = STAFF) -> ApprovalRequestedV1:
    return ApprovalRequestedV1(task_id=uuid.uuid4(), activity_id=uuid.uuid4(), nip=nip, approver_nip=approver,
                               type_code="LAPORAN", work_date=date(2026, 11, 24), minutes=120, points=Decimal(0),
                               requested_at=T0)


async def store(db: Database, msgs: list[Message], event_id: str, now: datetime = T0) -> list[Notification]:
    async with UnitOfWork(db, "notify") as uow:
        return await store_messages(uow.session, CTX, msgs, event_id, now)


async def notifications(db: Database, nip: str = HEAD) -> list[Notification]:
    async with db.sessions() as s:
        return list(await s.scalars(sa.select(Notification).where(Notification.recipient_nip == nip)
                                    .order_by(Notification.id)))


async def test_one_notification_per_event_and_recipient(db):
    msg = Message(STAFF, "approval.decided", "t", "b", {})
    async with UnitOfWork(db, "notify") as uow:
        first = await repo.store(uow.session, [msg], "evt-1", T0)
        assert [r.id for r in first] == [1] and first[0].title == "t"
    async with UnitOfWork(db, "notify") as uow:  # redelivered: nothing stored, nothing returned
        assert await repo.store(uow.session, [msg, Message(OTHER, "approval.decided", "t", "b")], "evt-1", T0) \
            == [await uow.session.get(Notification, 2)]
    assert len(await notifications(db, STAFF)) == 1 and len(await notifications(db, OTHER)) == 1


async def test_many_tasks_in_a_window_become_one_digest(db):
    events = [(str(uuid.uuid4()), requested()) for _ in range(8)]
    delivered = []
    for i, (eid, e) in enumerate(events):
        delivered.append(await store(db, approval_requested(e, TEMPLATES), eid, T0 + timedelta(minutes=i)))
    rows = await notifications(db)
    kinds = [r.kind for r in rows]
    assert kinds == ["approval.requested"] * 5 + ["approval.digest"]  # 5 individual, one digest
    digest = rows[-1]
    assert digest.data["count"] == 8 and digest.title == "8 aktivitas menunggu persetujuan Anda"
    assert "sejak pukul 10:00" in digest.body  # the first task of the window, in WIB
    # Each update is a new row (a new stream event id) in place of the last; the digest id stays.
    assert digest.id == 5 + 3 and digest.source_event_id == events[-1][0]
    # Outside channels: the individual ones and the digest when it opened (count 6), not its updates.
    assert [len(d) for d in delivered] == [1, 1, 1, 1, 1, 1, 0, 0]
    assert delivered[5][0].data["count"] == 6
    # The same event redelivered counts nothing twice, folded or individual.
    await store(db, approval_requested(events[-1][1], TEMPLATES), events[-1][0], T0 + timedelta(minutes=9))
    await store(db, approval_requested(events[0][1], TEMPLATES), events[0][0], T0 + timedelta(minutes=9))
    after = await notifications(db)
    assert [r.id for r in after] == [r.id for r in rows] and after[-1].data["count"] == 8
    async with db.sessions() as s:
        [d] = list(await s.scalars(sa.select(NotificationDigest)))
        assert (d.count, d.notification_id, d.id) == (8, digest.id, digest.data["digest_id"])
    # After the digest's window the count starts again: individual notifications first.
    later = T0 + timedelta(minutes=5 + 31)
    e = requested()
    [again] = await store(db, approval_requested(e, TEMPLATES), "evt-later", later)
    assert again.kind == "approval.requested"


async def test_no_digest_for_who_turned_it_off_nor_for_others_tasks(db):
    async with UnitOfWork(db, "notify") as uow:
        await repo.save_preferences(uow.session, Preferences(HEAD, digest=False), T0)
    for i in range(7):
        await store(db, approval_requested(requested(), TEMPLATES), f"e{i}", T0 + timedelta(seconds=i))
        await store(db, approval_requested(requested(approver=OTHER), TEMPLATES), f"o{i}", T0 + timedelta(seconds=i))
    assert [r.kind for r in await notifications(db)] == ["approval.requested"] * 7
    assert [r.kind for r in await notifications(db, OTHER)] == ["approval.requested"] * 5 + ["approval.digest"]


async def test_preferences_are_read_back_as_the_domain_object(db):
    async with db.sessions() as s:
        assert await repo.get_preferences(s, HEAD) is None
    p = Preferences(HEAD, email="budi@example.go.id", email_enabled=True, push_enabled=True,
                    quiet_start=time(21, 30), quiet_end=time(5, 45), digest=False)
    async with UnitOfWork(db, "notify") as uow:
        await repo.save_preferences(uow.session, p, T0)
    async with db.sessions() as s:
        assert await repo.get_preferences(s, HEAD) == p


# --- the low-activity reminder -------------------------------------------------------------------------

def test_the_reminder_day_is_two_working_days_before_the_last_working_day():
    plain = WorkCalendar()
    assert cutoff_day(plain, 2026, 11) == date(2026, 11, 30)  # a Monday
    assert low_activity_reminder_day(plain, 2026, 11) == date(2026, 11, 26)  # Thursday (Fri 27 is the other)
    assert cutoff_day(plain, 2026, 10) == date(2026, 10, 30)  # Sat 31 is no working day
    assert low_activity_reminder_day(plain, 2026, 10) == date(2026, 10, 28)
    # A regional holiday on the last Monday moves the cutoff to Friday, the reminder to Wednesday.
    off = WorkCalendar([calendar("2026-11-30")])
    assert (cutoff_day(off, 2026, 11), low_activity_reminder_day(off, 2026, 11)) == (date(2026, 11, 27),
                                                                                    date(2026, 11, 25))
    # A holiday between the reminder and the cutoff is not counted.
    between = WorkCalendar([calendar("2026-11-27")])
    assert (cutoff_day(between, 2026, 11), low_activity_reminder_day(between, 2026, 11)) == (date(2026, 11, 30),
                                                                                            date(2026, 11, 25))


class FakeClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def employee(nip: str, active: bool = True) -> EmployeeV1:
    return EmployeeV1(nip=nip, name=f"Pegawai {nip[-4:]}", unit_code="DISKOMINFO", unit_name="Dinas Kominfo",
                      position="Staf", position_kind="pelaksana", kelas_jabatan=7, supervisor_nip=HEAD,
                      employee_type="PNS", active=active)


def activity(nip: str, day: date) -> ActivitySubmittedV1:
    return ActivitySubmittedV1(activity_id=uuid.uuid4(), nip=nip, type_code="LAPORAN", work_date=day,
                               start_time=time(8), end_time=time(9), quantity=1, description="x", submitted_at=T0)


async def consume(db: Database, group: ConsumerGroup, topic: str, event) -> None:
    async with UnitOfWork(db, "notify") as uow:
        await group.handlers[topic][1](uow, event, EventMeta(str(uuid.uuid4()), topic, None, {}))


async def test_the_reminder_tells_who_logged_little_once_from_the_reminder_day(db):
    cache = CalendarCache(metadata)
    group = ConsumerGroup(None, db, group="kinerja-notify", producer="notify")
    register(group, CTX, cache)
    assert {ORG_EMPLOYEE, ACTIVITY_SUBMITTED, CALENDAR_YEAR} <= set(group.handlers)
    await consume(db, group, CALENDAR_YEAR, calendar("2026-11-30"))  # cutoff Fri 27, reminder Wed 25
    busy, idle, gone, new = "198001012005011001", "198001012005011002", "198001012005011003", "198001012005011004"
    for nip, active in [(busy, True), (idle, True), (gone, False), (new, True)]:
        await consume(db, group, ORG_EMPLOYEE, employee(nip, active))
    for i in range(10):
        await consume(db, group, ACTIVITY_SUBMITTED, activity(busy, date(2026, 11, 2 + i)))
    for i in range(3):
        await consume(db, group, ACTIVITY_SUBMITTED, activity(idle, date(2026, 11, 3)))
    await consume(db, group, ACTIVITY_SUBMITTED, activity(idle, date(2026, 10, 30)))  # October's

    clock = FakeClock(wib(2026, 11, 24, 9))
    sched = LowActivityReminders(db, cache, CTX, threshold=10, remind_at=time(8, 0), clock=clock, batch_size=1)
    assert (await sched.tick()).due is False  # Tuesday: not yet
    clock.at = wib(2026, 11, 25, 7, 59)
    assert (await sched.tick()).due is False  # the day, before 08:00
    clock.at = wib(2026, 11, 25, 8, 0)
    first = await sched.tick()
    assert (first.due, first.period, first.reminded, first.more) == (True, "2026-11", 1, True)  # a batch of one
    second = await sched.tick()
    assert (second.reminded, second.more) == (1, True)
    assert (await sched.tick()).reminded == 0
    clock.at = wib(2026, 11, 26, 10)  # the next day: nobody twice
    assert (await sched.tick()).reminded == 0
    [note] = await notifications(db, idle)
    assert (note.kind, note.data) == ("activity.reminder", {"period": "2026-11", "count": 3, "cutoff": "2026-11-27"})
    assert "3 aktivitas" in note.body and "2026-11-27" in note.body
    assert [n.data["count"] for n in await notifications(db, new)] == [0]
    assert await notifications(db, busy) == [] and await notifications(db, gone) == []
    async with db.sessions() as s:
        assert sorted(r.nip for r in await s.scalars(sa.select(LowActivityReminder))) == [idle, new]
    clock.at = wib(2026, 11, 30, 10)  # past the cutoff: nothing more this month
    assert (await sched.tick()).due is False
    await sched.stop()


# --- the stream -----------------------------------------------------------------------------------------

def serialize(row: Notification) -> str:
    return json.dumps({"id": row.id, "title": row.title})


async def next_event(events, timeout: float = 3.0):
    return await asyncio.wait_for(anext(events), timeout)


async def test_the_stream_sends_what_is_newer_then_what_comes(db):
    for i in range(3):
        await store(db, [Message(STAFF, "approval.decided", f"n{i}", "b")], f"old{i}")
    settings = StreamSettings(poll_seconds=30.0, page=2)  # the wake-up, not the poll, brings new ones
    events = notification_events(db, STAFF, 1, serialize, settings)  # resumed after id 1
    got = [await next_event(events), await next_event(events)]
    assert [(e.id, e.event) for e in got] == [("2", "notification"), ("3", "notification")]
    assert json.loads(got[0].data) == {"id": 2, "title": "n1"}
    pending = asyncio.ensure_future(next_event(events))
    await asyncio.sleep(0.1)
    assert not pending.done()
    await store(db, [Message(OTHER, "approval.decided", "not yours", "b")], "x")
    await store(db, [Message(STAFF, "approval.decided", "new", "b")], "new")  # commits and wakes the stream
    assert (await pending).id == "5"
    await events.aclose()
    assert WAKEUP._events.get(STAFF) is None  # the closed stream left nothing behind


async def test_the_stream_sends_a_row_committed_late_with_a_lower_id(db):
    await store(db, [Message(STAFF, "approval.decided", "a", "b")], "a")
    events = notification_events(db, STAFF, 0, serialize, StreamSettings(poll_seconds=0.05))
    assert (await next_event(events)).id == "1"
    async with db.sessions() as s, s.begin():  # ids 2 and 3: 3 is seen first (2 "commits later")
        for i, title in [(2, "late"), (3, "early")]:
            s.add(Notification(id=i, recipient_nip=STAFF if i == 3 else OTHER, kind="k", title=title, body="",
                               data={}, source_event_id=f"s{i}", created_at=T0))
    assert (await next_event(events)).id == "3"
    async with db.sessions() as s, s.begin():
        await s.execute(sa.update(Notification).where(Notification.id == 2).values(recipient_nip=STAFF))
    assert (await next_event(events)).id == "2"  # within the look-back: still sent
    await events.aclose()


# --- the API -----------------------------------------------------------------------------------------------

def auth(nip: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint(nip, ['pegawai'])}"}


@pytest.fixture
async def api(db):
    app = FastAPI()
    kit_http.install(app, [])
    app.state.runtime = SimpleNamespace(db=db)
    app.state.token_verifier = TokenVerifier(ServiceSettings())
    app.include_router(router)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://notify") as client:
        yield client


async def test_unread_count_mark_read_and_read_all(api, db):
    for i in range(3):
        await store(db, [Message(STAFF, "approval.decided", f"n{i}", "b")], f"e{i}")
    await store(db, [Message(OTHER, "approval.decided", "x", "b")], "o")
    assert (await api.get("/v1/notifications/unread-count", headers=auth(STAFF))).json() == {"unread": 3}
    assert (await api.post("/v1/notifications/1/read", headers=auth(STAFF))).status_code == 200
    assert (await api.post("/v1/notifications/4/read", headers=auth(STAFF))).status_code == 404  # not theirs
    assert (await api.get("/v1/notifications/unread-count", headers=auth(STAFF))).json() == {"unread": 2}
    assert (await api.post("/v1/notifications/read-all", headers=auth(STAFF))).json() == {"marked": 2}
    assert (await api.post("/v1/notifications/read-all", headers=auth(STAFF))).json() == {"marked": 0}
    assert (await api.get("/v1/notifications/unread-count", headers=auth(OTHER))).json() == {"unread": 1}
    assert (await api.get("/v1/notifications/unread-count")).status_code == 401


async def test_preferences_round_trip_and_refusals(api, db):
    defaults = (await api.get("/v1/notifications/preferences", headers=auth(STAFF))).json()
    assert defaults == {"email": None, "channels": {"in_app": True, "email": False, "push": False},
                        "quiet_hours": None, "digest": True}
    body = {"email": "ani@example.go.id", "channels": {"in_app": True, "email": True, "push": False},
            "quiet_hours": {"start": "22:00", "end": "06:00"}, "digest": False}
    r = await api.put("/v1/notifications/preferences", json=body, headers=auth(STAFF))
    assert r.status_code == 200 and r.json() == body
    assert (await api.get("/v1/notifications/preferences", headers=auth(STAFF))).json() == body
    assert (await api.get("/v1/notifications/preferences", headers=auth(OTHER))).json() == defaults
    async with db.sessions() as s:
        row = await s.get(NotificationPreferences, STAFF)
        assert (row.quiet_start, row.quiet_end, row.email_enabled, row.digest) == (time(22), time(6), True, False)
    for bad, field in [({**body, "channels": {"in_app": False}}, "channels.in_app"),
                       ({**body, "email": None}, "email"),
                       ({**body, "email": "not-an-address"}, "email"),
                       ({**body, "quiet_hours": {"start": "22:00", "end": "22:00"}}, "quiet_hours.end"),
                       ({**body, "quiet_hours": {"start": "25:00", "end": "06:00"}}, "quiet_hours.start")]:
        r = await api.put("/v1/notifications/preferences", json=bad, headers=auth(STAFF))
        assert r.status_code == 422 and field in [e["field"] for e in r.json().get("errors", [])] + \
            [r.json().get("field")], (bad, r.json())
    r = await api.put("/v1/notifications/preferences", json={**body, "quiet_hours": None}, headers=auth(STAFF))
    assert r.json()["quiet_hours"] is None


async def test_the_stream_refuses_a_bad_last_event_id(api):
    r = await api.get("/v1/notifications/stream", headers={**auth(STAFF), "Last-Event-ID": "abc"})
    assert r.status_code == 422 and "Last-Event-ID" in r.text
