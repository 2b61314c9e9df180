"""Approval routing from personnel data, against the real broker and PostgreSQL: the normal
atasan, a missing atasan (unit head), an official climbing the chain, a vacant post with and
without a Plt, a Plh, and a transfer that moves a pending task (with an audit entry)."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import httpx
import pytest

from support import eventually, import_org, post_activity, today, token

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]
HEADER = ("nip,name,unit_code,unit_name,position,position_kind,eselon,kelas_jabatan,supervisor_nip,employee_type,"
          "active,acting_kind,acting_for_nip,acting_from,acting_until\n")


class City:
    def __init__(self, run: str) -> None:
        n = lambda tail: "1970060620" + run + tail  # noqa: E731  (18 digits, unique to this run)
        self.wako, self.sekda, self.kadis, self.kabid, self.kabid2, self.sekdis = (n(t) for t in ("31", "32", "33", "34", "35", "36"))
        self.staff1, self.staff2, self.staff3 = n("37"), n("38"), n("39")

    def csv(self, **extra) -> str:
        rows = [
            (self.wako, "Wali Kota", "Wali Kota", "struktural", "", 17, ""),
            (self.sekda, "Sekda", "Sekretaris Daerah", "struktural", "I.b", 16, self.wako),
            (self.kadis, "Kadis", "Kepala Dinas", "struktural", "II.b", 14, ""),  # no atasan recorded
            (self.kabid, "Kabid", "Kepala Bidang", "struktural", "III.a", 11, self.kadis),
            (self.kabid2, "Kabid Dua", "Kepala Bidang", "struktural", "III.a", 11, self.kadis),
            (self.sekdis, "Sekdis", "Sekretaris Dinas", "struktural", "III.a", 11, self.kadis),
            (self.staff1, "Staf Satu", "Pengadministrasi", "pelaksana", "", 5, self.kabid),
            (self.staff2, "Staf Dua", "Pengadministrasi", "pelaksana", "", 5, ""),  # no atasan
            (self.staff3, "Staf Tiga", "Pengadministrasi", "pelaksana", "", 5, self.kabid2),
        ]
        out = HEADER
        for nip, name, pos, kind, eselon, kelas, sup in rows:
            unit = "PEMKOT" if nip in (self.wako, self.sekda) else "DINAS-R"
            active, acting = extra.get(nip, ("true", ",,,"))
            out += f"{nip},{name},{unit},Unit {unit},{pos},{kind},{eselon},{kelas},{sup},PNS,{active},{acting}\n"
        return out


async def _import(http, services, org, text):
    r = await http.post(services.url("activity") + "/v1/org/import", content=text,
                        headers={**token(org.admin, "admin"), "content-type": "text/csv"})
    assert r.status_code == 200, r.text


async def _submit(http, services, nip, start, end) -> str:
    async def submitted():
        r = await post_activity(http, services, nip, type_code="SURAT-MASUK", quantity=1, start_time=start, end_time=end)
        return r if r.status_code == 201 else None
    return (await eventually(submitted)).json()["id"]


async def _assignee_becomes(http, services, activity_id, nip, timeout=45):
    async def in_inbox():
        items = (await http.get(services.url("approval") + "/v1/inbox", params={"limit": 500},
                                headers=token(nip))).json()
        return any(t["activity_id"] == activity_id for t in items)
    assert await eventually(in_inbox, timeout=timeout), (activity_id, nip)


async def test_every_routing_case_reaches_someone_and_pending_tasks_follow_org_changes(services, org):
    city = City(org.b[10:16])
    later = (date.fromisoformat(today()) + timedelta(days=30)).isoformat()
    async with httpx.AsyncClient(timeout=30) as http:
        await import_org(http, services, org)
        # Kabid Dua has left: the post is vacant, nobody acts yet.
        await _import(http, services, org, city.csv(**{city.kabid2: ("false", ",,,")}))

        normal = await _submit(http, services, city.staff1, "21:00", "21:05")
        missing = await _submit(http, services, city.staff2, "21:00", "21:05")
        official = await _submit(http, services, city.kadis, "21:00", "21:05")
        vacant = await _submit(http, services, city.staff3, "21:00", "21:05")
        kabid_own = await _submit(http, services, city.kabid, "21:00", "21:05")

        await _assignee_becomes(http, services, normal, city.kabid)  # atasan langsung
        await _assignee_becomes(http, services, missing, city.kadis)  # no atasan: head of the unit
        await _assignee_becomes(http, services, official, city.sekda)  # Kadis climbs the chain to Sekda
        await _assignee_becomes(http, services, vacant, city.kadis)  # vacant post, no Plt: next up
        await _assignee_becomes(http, services, kabid_own, city.kadis)

        # A Plt for the vacant post, a Plh while Kadis is away: the pending tasks move to them.
        await _import(http, services, org, city.csv(**{
            city.kabid2: ("false", ",,,"),
            city.kabid: ("true", f"Plt,{city.kabid2},{today()},{later}"),
            city.sekdis: ("true", f"Plh,{city.kadis},{today()},{later}")}))
        await _assignee_becomes(http, services, vacant, city.kabid)  # Plt for Kabid Dua
        await _assignee_becomes(http, services, kabid_own, city.sekdis)  # Plh for Kadis
        await _assignee_becomes(http, services, missing, city.sekdis)

        # A transfer: Staf Satu now answers to Sekdis; the pending task follows, with an audit entry.
        moved = city.csv(**{city.kabid2: ("false", ",,,"), city.kabid: ("true", f"Plt,{city.kabid2},{today()},{later}"),
                            city.sekdis: ("true", f"Plh,{city.kadis},{today()},{later}")})
        moved = moved.replace(f"{city.staff1},Staf Satu,DINAS-R,Unit DINAS-R,Pengadministrasi,pelaksana,,5,{city.kabid}",
                              f"{city.staff1},Staf Satu,DINAS-R,Unit DINAS-R,Pengadministrasi,pelaksana,,5,{city.sekdis}")
        await _import(http, services, org, moved)
        await _assignee_becomes(http, services, normal, city.sekdis)
        items = (await http.get(services.url("approval") + "/v1/inbox", headers=token(city.kabid))).json()
        assert normal not in {t["activity_id"] for t in items}
        trail = (await http.get(services.url("approval") + f"/v1/audit/activities/{normal}",
                                headers=token(org.admin, "inspektorat"))).json()
        assert trail[-1]["action"] == "reroute" and city.staff1 in trail[-1]["reason"]

        # A decided task never moves.
        r = await http.post(services.url("approval") + f"/v1/approvals/{official}/decision",
                            json={"decision": "approve"}, headers=token(city.sekda))
        assert r.status_code == 200, r.text
        await _import(http, services, org, moved.replace(f"{city.kadis},Kadis,DINAS-R,Unit DINAS-R,Kepala Dinas,struktural,II.b,14,",
                                                          f"{city.kadis},Kadis,DINAS-R,Unit DINAS-R,Kepala Dinas,struktural,II.b,14,{city.wako}"))
        await asyncio.sleep(3)  # time for approval to take the org change (a move cannot be awaited)
        audit = services.url("approval") + f"/v1/audit/activities/{official}"
        actions = [e["action"] for e in (await http.get(audit, headers=token(org.admin, "inspektorat"))).json()]
        assert actions[-1] == "approve" and actions.count("approve") == 1  # nothing after the decision
