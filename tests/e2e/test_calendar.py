"""The region calendar, one source of truth: set by an admin in activity, published on
calendar.year.v1, and counted by scoring (the month's target), approval (the SLA due date) and
activity (the backdate window) — against the real broker and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from kinerja_contracts.calendar.v1 import WorkCalendar
from support import eventually, import_org, post_activity, read_topic, today, token

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]


async def test_a_year_set_by_an_admin_reaches_scoring_and_is_published(services, org, kafka_bootstrap):
    url = services.url("activity") + "/v1/calendar/2099"
    admin = token(org.admin, "admin")
    async with httpx.AsyncClient(timeout=30) as http:
        await import_org(http, services, org)
        # March 2099: 22 weekdays; a regional holiday and a cuti bersama take two.
        body = {"regulation": "Perwali 1/2098", "days": [
            {"date": "2099-03-03", "kind": "libur_daerah", "name": "Hari jadi kota"},
            {"date": "2099-03-04", "kind": "cuti_bersama", "name": "Cuti bersama"},
            {"date": "2099-03-07", "kind": "hari_kerja", "name": "Sabtu kerja"}]}
        r = await http.put(url, json=body, headers=admin)
        assert r.status_code == 200, r.text
        assert r.json()["revision"] == 1 and len(r.json()["days"]) == 3
        assert (await http.get(url, headers=token(org.a))).json()["regulation"] == "Perwali 1/2098"

        perf = services.url("scoring") + f"/v1/performance/{org.a}/2099-03"

        async def scoring_counts_it():
            m = (await http.get(perf, headers=token(org.a))).json()
            return m if m.get("workdays") == 22 - 2 + 1 else None  # 404 until scoring has the org
        m = await eventually(scoring_counts_it, timeout=30)
        assert m["target_minutes"] == 21 * 300

        # The whole year is replaced by the next PUT (revision 2).
        r = await http.put(url, json={"days": []}, headers=admin)
        assert r.json()["revision"] == 2

        async def back_to_weekdays():
            return (await http.get(perf, headers=token(org.a))).json().get("workdays") == 22
        await eventually(back_to_weekdays, timeout=30)

    records = await read_topic(kafka_bootstrap, "calendar.year.v1", lambda rec: rec.key == b"2099", expect=2)
    assert [json.loads(rec.value)["revision"] for rec in records][-2:] == [1, 2]


@pytest.mark.parametrize("days, field", [
    ([{"date": "2099-02-30", "kind": "libur_nasional", "name": "x"}], "days.0.date"),
    ([{"date": "2099-01-01", "kind": "libur_nasional", "name": "x"}], "days[0].date"),
    ([{"date": "2099-03-02", "kind": "hari_kerja", "name": "Senin"}], "days[0].date"),
    ([{"date": "2099-03-02", "kind": "libur", "name": "x"}], "days.0.kind"),
])
async def test_a_malformed_calendar_is_refused_naming_the_day_and_stores_nothing(services, org, days, field):
    url = services.url("activity") + "/v1/calendar/2098"
    async with httpx.AsyncClient(timeout=30) as http:
        r = await http.put(url, json={"days": days}, headers=token(org.admin, "admin"))
        assert r.status_code == 422, r.text
        assert field in r.text
        assert (await http.put(url, json={"days": []}, headers=token(org.a))).status_code == 403
        assert (await http.get(url, headers=token(org.a))).status_code == 404


async def test_the_shipped_year_is_seeded_and_holidays_move_the_sla_and_the_backdate_window(services, org):
    year = date.fromisoformat(today()).year
    url = services.url("activity") + f"/v1/calendar/{year}"
    admin = token(org.admin, "admin")
    async with httpx.AsyncClient(timeout=30) as http:
        await import_org(http, services, org)
        shipped = (await http.get(url, headers=token(org.a))).json()
        assert shipped["revision"] >= 1 and shipped["days"], shipped
        # The next three working days become regional holidays: the SLA (3 working days) moves past them.
        base = WorkCalendar()
        nxt, d = [], date.fromisoformat(today())
        while len(nxt) < 3:
            d += timedelta(days=1)
            if base.is_working_day(d) and d.year == year:
                nxt.append(d)
            if d.year != year:
                pytest.skip("the year ends within three working days")
        extra = [{"date": x.isoformat(), "kind": "libur_daerah", "name": "Libur daerah (test)"} for x in nxt]
        kept = [x for x in shipped["days"] if x["date"] not in {e["date"] for e in extra}]
        r = await http.put(url, json={"days": kept + extra, "regulation": shipped["regulation"]}, headers=admin)
        assert r.status_code == 200, r.text
        attempts = iter(range(40))
        try:
            await eventually(lambda: _due_moves(http, services, org, set(nxt), next(attempts)), timeout=60, interval=1)
        finally:
            restored = await http.put(url, json={"days": shipped["days"], "regulation": shipped["regulation"],
                                                 "provisional": shipped["provisional"]}, headers=admin)
            assert restored.status_code == 200


async def _due_moves(http, services, org, holidays: set[date], attempt: int) -> bool:
    """Submit an activity now (a 5-minute slot of its own); its task's due date skips the holidays."""
    start = datetime(2000, 1, 1, 19) + timedelta(minutes=5 * attempt)
    r = await post_activity(http, services, org.a, type_code="SURAT-MASUK", quantity=1,
                            start_time=f"{start:%H:%M}", end_time=f"{start + timedelta(minutes=5):%H:%M}")
    assert r.status_code == 201, r.text
    activity_id = r.json()["id"]

    async def task():
        items = (await http.get(services.url("approval") + "/v1/inbox", headers=token(org.b))).json()
        return next((t for t in items if t["activity_id"] == activity_id), None)
    t = await eventually(task, timeout=30)
    due = datetime.fromisoformat(t["due_at"]).astimezone(ZoneInfo("Asia/Jakarta")).date()
    if due > max(holidays):  # plain Mon–Fri would put it on the last of them
        return True
    # Approval has not had the calendar yet: take this one back (its task is cancelled) and retry.
    r = await http.post(services.url("activity") + f"/v1/activities/{activity_id}/withdraw", headers=token(org.a))
    assert r.status_code == 200, r.text
    return False
