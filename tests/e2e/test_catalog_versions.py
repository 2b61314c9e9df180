"""The managed catalog end to end: an admin adds a type and a new version of it; intake takes the
type through catalog.activity-type.v1; work priced before keeps its price, work dated after the
new version's start is priced by it; the performance view explains each number; a bad file is
refused whole, naming row and field."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import httpx
import pytest

from support import eventually, import_org, post_activity, today, token

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]


async def test_catalog_versions_price_new_work_and_never_reprice_old(services, org, kafka_bootstrap):
    catalog = services.url("scoring") + "/v1/catalog"
    admin = token(org.admin, "admin")
    sup, staff = ("1983090920" + org.b[10:16] + t for t in ("61", "62"))
    unit = ("nip,name,unit_code,unit_name,position,position_kind,eselon,kelas_jabatan,supervisor_nip,employee_type\n"
            f"{sup},Rina Kasi,DISDUKCAPIL,Disdukcapil,Kepala Seksi,struktural,IV.a,9,{org.head},PNS\n"
            f"{staff},Sapto,DISDUKCAPIL,Disdukcapil,Staf,pelaksana,,5,{sup},PNS\n")
    code = f"UJI-{uuid.uuid4().hex[:6].upper()}"
    day = date.fromisoformat(today())
    first = day.replace(day=1)
    v1 = {"code": code, "name": "Memeriksa berkas uji", "output_unit": "berkas", "unit": "minutes",
          "standard_minutes": 30, "effective_from": first.isoformat(), "max_daily_volume": 4}
    month = today()[:7]
    async with httpx.AsyncClient(timeout=30) as http:
        await import_org(http, services, org)
        r = await http.post(services.url("activity") + "/v1/org/import", content=unit,
                            headers={**admin, "content-type": "text/csv"})
        assert r.status_code == 200, r.text

        # Refusals name the field and store nothing.
        assert (await http.post(catalog, json=v1, headers=token(staff))).status_code == 403
        for change, field in [({"effective_from": (first - timedelta(days=1)).isoformat()}, "effective_from"),
                              ({"unit": "points", "standard_minutes": None, "points": "2"}, "unit"),
                              ({"allowed_position_kinds": ["honorer"]}, "allowed_position_kinds")]:
            r = await http.post(catalog, json={**v1, **change}, headers=admin)
            assert r.status_code == 422 and r.json()["errors"][0]["field"] == field, r.text
        assert (await http.get(f"{catalog}/{code}/versions", headers=admin)).status_code == 404

        r = await http.post(catalog, json=v1, headers=admin)
        assert r.status_code == 201 and r.json()["added"][0]["code"] == code, r.text
        assert (await http.post(catalog, json=v1, headers=admin)).status_code == 200  # the same again
        r = await http.post(catalog, json={**v1, "standard_minutes": 35}, headers=admin)
        assert r.status_code == 409, r.text  # a published version is never edited

        # Intake knows the type once the catalog event arrived; 3 berkas, 30 min each.
        async def submitted():
            r = await post_activity(http, services, staff, type_code=code, quantity=3, date=today(),
                                    start_time="06:00", end_time="06:30")
            return r if r.status_code == 201 else None
        first_id = (await eventually(submitted)).json()["id"]

        async def in_inbox():
            r = await http.post(services.url("approval") + f"/v1/approvals/{first_id}/decision",
                                json={"decision": "approve"}, headers=token(sup))
            return r.status_code == 200
        await eventually(in_inbox, timeout=60)

        perf_url = services.url("scoring") + f"/v1/performance/{staff}/{month}"

        async def counted():
            p = (await http.get(perf_url, headers=token(staff))).json()
            return p if p["approved_minutes"] == 90 else None
        p = await eventually(counted)
        [a] = [a for a in p["activities"] if a["activity_id"] == first_id]
        assert a["formula"] == "30 menit x 3 = 90 menit" and a["status"] == "approved" and code in a["rule_version"]
        assert p["approved_activities"] == 1 and p["submitted_activities"] == 1
        assert any(line.startswith("K = min(90, ") for line in p["explanation"])

        # A new version of a type in use starts tomorrow at the earliest (work already priced keeps its
        # price, and replaying the topics prices everything the same way).
        r = await http.post(catalog, json={**v1, "effective_from": today(), "standard_minutes": 45}, headers=admin)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "effective_from", r.text
        # A file with one bad row is refused whole; a good file adds version 2 from tomorrow.
        v2_from = day + timedelta(days=1)
        bad = ("code,name,output_unit,unit,standard_minutes,points,evidence_required,allowed_position_kinds,"
               "max_daily_volume,effective_from,active\n"
               f"{code},Memeriksa berkas uji,berkas,minutes,45,,false,,4,{v2_from},true\n"
               f"{code}-B,Lain,berkas,minutes,0,,false,,,{v2_from},true\n")
        r = await http.post(catalog + "/import", content=bad, headers={**admin, "content-type": "text/csv"})
        assert r.status_code == 422 and r.json()["errors"] == [
            {"row": 2, "field": "standard_minutes", "message": "Input should be greater than or equal to 1"}], r.text
        good = bad.split("\n")[0] + "\n" + bad.split("\n")[1] + "\n"
        r = await http.post(catalog + "/import?dry_run=true", content=good, headers={**admin, "content-type": "text/csv"})
        assert r.status_code == 200 and r.json()["dry_run"] and len(r.json()["added"]) == 1
        assert len((await http.get(f"{catalog}/{code}/versions", headers=admin)).json()) == 1  # dry run stored nothing
        r = await http.post(catalog + "/import", content=good, headers={**admin, "content-type": "text/csv"})
        assert r.status_code == 200 and len(r.json()["added"]) == 1, r.text
        versions = (await http.get(f"{catalog}/{code}/versions", headers=admin)).json()
        assert [(v["effective_from"], v["standard_minutes"]) for v in versions] == [
            (first.isoformat(), 30), (v2_from.isoformat(), 45)]
        in_force = {t["code"]: t for t in (await http.get(catalog, params={"date": v2_from.isoformat()},
                                                          headers=token(staff))).json()}
        assert in_force[code]["standard_minutes"] == 45
        before = {t["code"]: t for t in (await http.get(catalog, params={"date": first.isoformat()},
                                                        headers=token(staff))).json()}
        assert before[code]["standard_minutes"] == 30

        # New work today is still priced by version 1 (and the day's maximum of 4: 3 counted, 1 of 2 credited).
        async def second():
            r = await post_activity(http, services, staff, type_code=code, quantity=2, date=today(),
                                    start_time="06:30", end_time="07:00")
            return r if r.status_code == 201 else None
        second_id = (await eventually(second)).json()["id"]

        async def priced():
            p = (await http.get(perf_url, headers=token(staff))).json()
            return next((a for a in p["activities"] if a["activity_id"] == second_id), None)
        a2 = await eventually(priced)
        assert a2["minutes"] == 30 and a2["volume"] == 1 and a2["caps"], a2
        p = (await http.get(perf_url, headers=token(staff))).json()
        [a1] = [a for a in p["activities"] if a["activity_id"] == first_id]
        assert a1["minutes"] == 90 and p["approved_minutes"] == 90  # never re-priced
