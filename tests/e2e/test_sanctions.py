"""Hukuman disiplin through activity and tpp, against the real broker and PostgreSQL: an admin
records a decree, the region's rule set gives it its cut (never the body), tpp's slip shows the
cut; every refusal stores nothing and publishes nothing."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import httpx
import pytest

from kinerja_contracts.discipline.v1 import DisciplineSanctionedV1
from kinerja_contracts.topics import DISCIPLINE_SANCTIONED
from support import eventually, import_org, read_topic, today, token

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]

UNKNOWN_NIP = "199912312099011999"


def month_of(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def until(start: date, months: int) -> date:
    """The documented range rule: + months (day clamped to the month's end) − 1 day."""
    year, index = divmod(start.month - 1 + months, 12)
    year, month = start.year + year, index + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1])) - timedelta(days=1)


async def test_an_admins_sanction_cuts_the_tpp_slip_and_refusals_change_nothing(services, org, kafka_bootstrap):
    # The sanction starts in last month. test_flow closes last month and this month early, so the
    # cut is checked on next month's slip (a preview no test closes): `ringan` for 2 months from
    # the last day of last month always reaches into next month (and costs 30%).
    first_of_this = date.fromisoformat(today()).replace(day=1)
    start = first_of_this - timedelta(days=1)
    next_first = (first_of_this + timedelta(days=31)).replace(day=1)
    assert until(start, 2) >= next_first
    url = services.url("activity") + "/v1/discipline/sanctions"
    admin = token(org.admin, "admin")
    body = {"sk_number": "800/017/BKPSDM/2026", "nip": org.d, "level": "ringan",
            "start_date": start.isoformat(), "months": 2}
    async with httpx.AsyncClient(timeout=30) as http:
        await import_org(http, services, org)

        async def stored(who=admin) -> list[dict]:
            r = await http.get(url, params={"nip": org.d}, headers=who)
            assert r.status_code == 200, r.text
            return r.json()

        # Refused, naming the field; each stores nothing.
        for sent, who, status, field in [
            ({**body, "cut_percent": "0"}, admin, 422, "cut_percent"),  # the cut is the region's, not the client's
            ({**body, "level": "berat"}, admin, 422, "level"),  # not a level of the rule set
            ({**body, "months": 5}, admin, 422, "months"),  # ringan runs 1, 2 or 3 months
            ({**body, "nip": UNKNOWN_NIP}, admin, 422, "nip"),
            ({k: v for k, v in body.items() if k != "sk_number"}, admin, 422, "sk_number"),
            ({**body, "sk_number": "  "}, admin, 422, "sk_number"),
            (body, token(org.d), 403, None),  # a pegawai
            (body, token(org.b, "inspektorat"), 403, None),  # reads, never writes
        ]:
            r = await http.post(url, json=sent, headers=who)
            assert r.status_code == status, (sent, r.text)
            if field:
                assert [e["field"] for e in r.json()["errors"]] == [field], r.text
            assert await stored() == []

        # Recorded: the rule set's cut and range, once, even when the client retries.
        key = {"Idempotency-Key": f"sanction-{org.d}"}
        r = await http.post(url, json=body, headers={**admin, **key})
        assert r.status_code == 201, r.text
        created = r.json()
        assert {k: created[k] for k in ("nip", "sk_number", "level", "months", "effective_from", "effective_until")} == {
            "nip": org.d, "sk_number": body["sk_number"], "level": "ringan", "months": 2,
            "effective_from": start.isoformat(), "effective_until": until(start, 2).isoformat()}
        assert Decimal(created["cut_percent"]) == 30 and created["regulation"]
        again = await http.post(url, json=body, headers={**admin, **key})
        assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
        assert again.json() == created
        dup = await http.post(url, json=body, headers=admin)  # the same decree without the key
        assert dup.status_code == 409 and dup.json()["errors"][0]["field"] == "sk_number", dup.text

        # Read by admin, the employee themself, bpkad and inspektorat; not by a peer.
        assert await stored() == [created]
        assert await stored(token(org.d)) == [created]
        assert await stored(token(org.b, "bpkad")) == [created]
        assert await stored(token(org.b, "inspektorat")) == [created]
        assert (await http.get(url, params={"nip": org.d}, headers=token(org.a))).status_code == 403

        # Published once (none of the refusals, nor the replay or the duplicate), keyed by NIP.
        records = await read_topic(kafka_bootstrap, DISCIPLINE_SANCTIONED, lambda rec: rec.key.decode() == org.d,
                                   expect=1)
        assert len(records) == 1
        ev = DisciplineSanctionedV1.model_validate_json(records[0].value)
        assert (str(ev.sanction_id), ev.nip, ev.level, ev.cut_percent, ev.sk_number, ev.regulation) == (
            created["id"], org.d, "ringan", Decimal(30), body["sk_number"], created["regulation"])
        assert (ev.effective_from, ev.effective_until) == (start, until(start, 2))

        # TPP: org.d (kelas 5, CPNS: B = 3,000,000 x 0.8) has no approved work nor attendance next
        # month: kinerja 0, disiplin = B x 40% x 1 = 960,000; the sanction cuts 30% of it.
        async def slip(period: str):
            r = await http.get(services.url("tpp") + f"/v1/tpp/{period}/{org.d}", headers=token(org.d))
            assert r.status_code == 200, r.text
            s = r.json()
            return s if s["deductions"] else None
        s = await eventually(lambda: slip(month_of(next_first)), timeout=60)
        assert s["status"] == "preview"
        expected = (Decimal(s["kinerja_amount"] + s["disiplin_amount"]) * Decimal("0.30")).quantize(
            Decimal(1), ROUND_HALF_UP)
        assert s["deductions"] == int(expected) == 288_000
        assert s["total_amount"] == s["kinerja_amount"] + s["disiplin_amount"] - s["deductions"] == 672_000
        assert [line["code"] for line in s["breakdown"] if line["code"] == "sanction"] == ["sanction"]

        # Run alone (before test_flow closes it), last month's slip shows the cut too.
        last = (await http.get(services.url("tpp") + f"/v1/tpp/{month_of(start)}/{org.d}", headers=token(org.d))).json()
        if last.get("status") == "preview":
            assert last["deductions"] == int((Decimal(last["kinerja_amount"] + last["disiplin_amount"])
                                              * Decimal("0.30")).quantize(Decimal(1), ROUND_HALF_UP)) > 0
