"""e-Absen attendance through activity and tpp, against the real broker and PostgreSQL: a day of
lateness and an unexcused absence cut the employee's TPP slip as DOMAIN.md says."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import httpx
import pytest

from support import eventually, import_org, today, token

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]


def last_month() -> tuple[str, date]:
    first_of_this = date.fromisoformat(today()).replace(day=1)
    first = (first_of_this - timedelta(days=1)).replace(day=1)
    return f"{first.year:04d}-{first.month:02d}", first


async def test_lateness_and_an_unexcused_absence_cut_the_tpp_slip(services, org):
    period, first = last_month()
    day3, day4 = (first + timedelta(days=2)).isoformat(), (first + timedelta(days=3)).isoformat()
    url = services.url("activity") + "/v1/attendance"
    async with httpx.AsyncClient(timeout=30) as http:
        await import_org(http, services, org)
        batch = {"records": [
            {"nip": org.d, "date": day3, "status": "hadir", "check_in": "07:25", "check_out": "16:10"},
            {"nip": "199912312099011999", "date": day3, "status": "hadir"},  # unknown employee
            {"nip": org.d, "date": day3, "status": "libur"},  # not a status
            {"nip": org.d, "date": day4, "status": "tanpa_keterangan"},
            # The same day again, later in the batch: e-Absen corrected it (20 minutes late).
            {"nip": org.d, "date": day3, "status": "terlambat", "check_in": "07:50", "check_out": "16:05"},
        ]}
        assert (await http.post(url, json=batch, headers=token(org.d))).status_code == 403  # a pegawai
        r = await http.post(url, json=batch, headers=token(org.admin, "absensi"))
        assert r.status_code == 200, r.text
        assert r.json()["accepted"] == 2
        assert [(e["index"], e["field"]) for e in r.json()["errors"]] == [(1, "nip"), (2, "status")]

        month = services.url("activity") + f"/v1/attendance/{org.d}/{period}"
        assert (await http.get(month, headers=token(org.a))).status_code == 404  # a peer
        days = (await http.get(month, headers=token(org.b))).json()  # the atasan
        assert [(d["date"], d["status"], d["late_minutes"]) for d in days] == [
            (day3, "terlambat", 20), (day4, "tanpa_keterangan", 0)]

        # TPP: D = 1 - (TL1 0.5% + tanpa keterangan 4%) = 0.955; B = 3,000,000 x 0.8 (CPNS).
        async def slip():
            s = (await http.get(services.url("tpp") + f"/v1/tpp/{period}/{org.d}", headers=token(org.d))).json()
            return s if s.get("discipline_factor") == "0.95500" else None
        s = await eventually(slip, timeout=60)
        expected = (Decimal(2_400_000) * Decimal("0.4") * Decimal("0.955")).quantize(Decimal(1), ROUND_HALF_UP)
        assert s["disiplin_amount"] == int(expected) == 916_800
        assert s["status"] == "preview"
