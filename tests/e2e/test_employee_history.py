"""Personnel history through the import, against the real broker and PostgreSQL: all or nothing
with a dry run, a transfer on the 15th that keeps the history and routes later work to the new
atasan, a Plt assignment."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest

from support import eventually, import_org, post_activity, today, token

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]
HEADER = "nip,name,unit_code,unit_name,position,position_kind,eselon,kelas_jabatan,supervisor_nip,employee_type"


def new_nip(org, tail: str) -> str:
    return "1992030320" + org.b[10:16] + tail


async def post_csv(http, services, org, text: str, **params) -> httpx.Response:
    return await http.post(services.url("activity") + "/v1/org/import", content=text, params=params,
                           headers={**token(org.admin, "admin"), "content-type": "text/csv"})


async def test_a_file_with_one_bad_row_is_refused_whole_and_a_dry_run_stores_nothing(services, org):
    e = new_nip(org, "11")
    text = (f"{HEADER}\n{e},Eka Putri,DISKOMINFO,Dinas Kominfo,Staf,pelaksana,,5,{org.b},PNS\n"
            f"123,Baris Salah,DISKOMINFO,Dinas Kominfo,Staf,pelaksana,,5,{org.b},PNS\n")
    employee = services.url("activity") + f"/v1/org/employees/{e}"
    async with httpx.AsyncClient(timeout=30) as http:
        await import_org(http, services, org)
        r = await post_csv(http, services, org, text)
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
        assert [(x["row"], x["field"]) for x in r.json()["errors"]] == [(3, "nip")]
        r = await post_csv(http, services, org, text, dry_run="true")
        assert r.status_code == 200 and r.json()["imported"] == 0 and r.json()["dry_run"] is True
        assert [(x["row"], x["field"]) for x in r.json()["errors"]] == [(3, "nip")]
        good = text.splitlines(keepends=True)[:2]
        r = await post_csv(http, services, org, "".join(good), dry_run="true")
        assert r.status_code == 200 and r.json()["changed"] == 1 and r.json()["errors"] == []
        assert (await http.get(employee, headers=token(org.admin, "admin"))).status_code == 404  # nothing stored
        r = await post_csv(http, services, org, "".join(good))
        assert r.status_code == 200 and r.json() == {"imported": 1, "changed": 1, "dry_run": False, "errors": []}
        assert (await http.get(employee, headers=token(org.admin, "admin"))).status_code == 200
        again = await post_csv(http, services, org, "".join(good))
        assert again.json()["changed"] == 0  # unchanged: nothing written, nothing published


async def test_a_transfer_on_the_15th_keeps_history_and_routes_later_work_to_the_new_atasan(services, org):
    e = new_nip(org, "12")
    now = date.fromisoformat(today())
    the_15th = now.replace(day=15) if now.day >= 15 else (now.replace(day=1) - timedelta(days=1)).replace(day=15)
    row = "{nip},Eko Prasetyo,{unit},Dinas,Analis,fungsional,,9,{sup},PNS,{since}\n"
    async with httpx.AsyncClient(timeout=30) as http:
        await import_org(http, services, org)
        first = f"{HEADER},effective_from\n" + row.format(nip=e, unit="DISKOMINFO", sup=org.b, since="2026-01-02")
        assert (await post_csv(http, services, org, first)).status_code == 200
        moved = f"{HEADER},effective_from\n" + row.format(nip=e, unit="SETDA", sup=org.head, since=the_15th)
        r = await post_csv(http, services, org, moved)
        assert r.status_code == 200 and r.json()["changed"] == 1, r.text

        got = (await http.get(services.url("activity") + f"/v1/org/employees/{e}", headers=token(e))).json()
        assert got["supervisor_nip"] == org.head and got["unit_code"] == "SETDA"
        assert [(p["valid_from"], p["valid_until"], p["supervisor_nip"]) for p in got["history"]] == [
            ("2026-01-02", (the_15th - timedelta(days=1)).isoformat(), org.b), (the_15th.isoformat(), None, org.head)]
        # The former atasan may still read it (they decided its earlier work); a peer may not.
        assert (await http.get(services.url("activity") + f"/v1/org/employees/{e}", headers=token(org.b))).status_code == 200
        assert (await http.get(services.url("activity") + f"/v1/org/employees/{e}", headers=token(org.a))).status_code == 404

        async def submitted():
            r = await post_activity(http, services, e, type_code="SURAT-MASUK", quantity=1,
                                    start_time="14:00", end_time="14:30")
            return r if r.status_code == 201 else None  # 403 until the org is stored everywhere
        activity_id = (await eventually(submitted)).json()["id"]

        async def in_inbox(nip):
            items = (await http.get(services.url("approval") + "/v1/inbox", headers=token(nip))).json()
            return any(t["activity_id"] == activity_id for t in items)
        assert await eventually(lambda: in_inbox(org.head), timeout=30)
        assert not await in_inbox(org.b)


async def test_a_plt_assignment_shows_on_both_officials(services, org):
    plt, holder = new_nip(org, "13"), new_nip(org, "14")  # (not org.b: its tasks would all go to the Plt)
    until = (date.fromisoformat(today()) + timedelta(days=60)).isoformat()
    text = (f"{HEADER},acting_kind,acting_for_nip,acting_from,acting_until\n"
            f"{holder},Gita Kabid,DISKOMINFO,Dinas Kominfo,Kepala Bidang,struktural,III.a,11,{org.head},PNS,,,,\n"
            f"{plt},Fajar Plt,DISKOMINFO,Dinas Kominfo,Sekretaris,struktural,III.a,11,{org.head},PNS,"
            f"Plt,{holder},{today()},{until}\n")
    async with httpx.AsyncClient(timeout=30) as http:
        await import_org(http, services, org)
        r = await post_csv(http, services, org, text)
        assert r.status_code == 200, r.text
        got = (await http.get(services.url("activity") + f"/v1/org/employees/{plt}", headers=token(plt))).json()
        assert [(a["kind"], a["for_nip"], a["valid_until"]) for a in got["acting"]] == [("Plt", holder, until)]
        acted = (await http.get(services.url("activity") + f"/v1/org/employees/{holder}",
                                headers=token(org.admin, "admin"))).json()["acted_for_by"]
        assert [(a["nip"], a["kind"]) for a in acted] == [(plt, "Plt")]
        bad = text.replace(f"Plt,{holder}", "Plt,199912312099011999")
        r = await post_csv(http, services, org, bad)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "acting_for_nip"
