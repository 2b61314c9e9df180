"""An admin's e-Absen correction into a closed month becomes the slip's next revision (runs after
the flow test, which closes the months), against the real broker and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest

from support import eventually, import_org, today, token

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]


async def test_a_correction_to_a_closed_month_publishes_a_revised_slip(services, org):
    first = (date.fromisoformat(today()).replace(day=1) - timedelta(days=1)).replace(day=1)
    period = f"{first.year:04d}-{first.month:02d}"
    day = first + timedelta(days=9)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    admin = token(org.admin, "admin")
    async with httpx.AsyncClient(timeout=30) as http:
        await import_org(http, services, org)
        close = await http.post(services.url("tpp") + f"/v1/periods/{period}/close", headers=admin)
        assert close.status_code in (200, 409), close.text  # 409: closed already
        before_period = (await http.get(services.url("tpp") + f"/v1/periods/{period}", headers=admin)).json()
        slip_url = services.url("tpp") + f"/v1/tpp/{period}/{org.d}"
        before = (await http.get(slip_url, headers=token(org.d))).json()
        assert before["status"] == "final"

        record = {"records": [{"nip": org.d, "date": day.isoformat(), "status": "tanpa_keterangan"}]}
        url = services.url("activity") + "/v1/attendance"

        async def refused_as_closed():  # activity learns of the close from tpp.period.closed.v1
            r = (await http.post(url, json=record, headers=token(org.admin, "absensi"))).json()
            return r["accepted"] == 0 and r["errors"][0]["field"] == "date"
        await eventually(refused_as_closed)
        assert (await http.post(url, params={"correction": "true"}, json=record,
                                headers=token(org.admin, "absensi"))).status_code == 403  # the machine role
        r = await http.post(url, params={"correction": "true"}, json=record, headers=admin)
        assert r.status_code == 200 and r.json()["accepted"] == 1, r.text

        async def revised():
            s = (await http.get(slip_url, headers=token(org.d))).json()
            return s if s["revision"] == before["revision"] + 1 else None
        after = await eventually(revised, timeout=60)
        # One more unexcused day: 4 percentage points off D (DOMAIN.md), the disiplin part falls.
        assert Decimal(after["discipline_factor"]) == max(Decimal(before["discipline_factor"]) - Decimal("0.04"), 0)
        assert after["disiplin_amount"] < before["disiplin_amount"] and after["status"] == "final"
        p = (await http.get(services.url("tpp") + f"/v1/periods/{period}", headers=admin)).json()
        assert p["revision"] == before_period["revision"] + 1
        assert p["total_amount"] == before_period["total_amount"] - before["total_amount"] + after["total_amount"]

        # The same correction again changes no amount: no new revision.
        r = await http.post(url, params={"correction": "true"}, json=record, headers=admin)
        assert r.json()["accepted"] == 1
        await asyncio.sleep(3)  # time for tpp to have taken it (an absence cannot be awaited)
        again = (await http.get(slip_url, headers=token(org.d))).json()
        assert again["revision"] == after["revision"]
