"""A points region end to end, activity to TPP slip, on the real broker and PostgreSQL: an
approved activity moves K and the kinerja part exactly as DOMAIN.md says (points x volume x the
position kind's weight; target per kelas; K = min(points / target, 1); a structural official's
K blends with the subordinates' mean)."""

from __future__ import annotations

import random

import httpx
import pytest

from support import PDF, eventually, post_activity, today, token

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]


async def test_points_move_k_and_the_kinerja_part(points_services):
    s = points_services
    run = f"{random.randrange(10**6):06d}"
    head, kabid, ani, dedi, admin = (f"1970010120{run}{t}" for t in ("41", "42", "43", "44", "49"))
    org = ("nip,name,unit_code,unit_name,position,position_kind,eselon,kelas_jabatan,supervisor_nip,employee_type\n"
           f"{head},Kepala Dinas,DPMPTSP,DPMPTSP,Kepala Dinas,struktural,II.b,14,,PNS\n"
           f"{kabid},Kabid Pelayanan,DPMPTSP,DPMPTSP,Kepala Bidang,struktural,III.a,11,{head},PNS\n"
           f"{ani},Ani,DPMPTSP,DPMPTSP,Analis Perizinan,fungsional,,9,{kabid},PNS\n"
           f"{dedi},Dedi,DPMPTSP,DPMPTSP,Pengadministrasi,pelaksana,,5,{kabid},PNS\n")
    month = today()[:7]
    async with httpx.AsyncClient(timeout=30) as http:
        r = await http.post(s.url("activity") + "/v1/org/import", content=org,
                            headers={**token(admin, "admin"), "content-type": "text/csv"})
        assert r.status_code == 200, r.text
        catalog = (await http.get(s.url("scoring") + "/v1/catalog", headers=token(ani))).json()
        assert len(catalog) >= 40 and all(t["unit"] == "points" for t in catalog)
        laporan = next(t for t in catalog if t["code"] == "LAPORAN")
        assert laporan["points"] == "2.5"

        async def submitted():  # 2 laporan by a fungsional (weight 1.10): 2.5 x 2 x 1.10 = 5.5 points
            r = await post_activity(http, s, ani, evidence=[("laporan.pdf", PDF)], type_code="LAPORAN", quantity=2,
                                    date=today(), start_time="08:00", end_time="10:00")
            return r if r.status_code == 201 else None
        activity_id = (await eventually(submitted, timeout=60)).json()["id"]

        async def approved():
            r = await http.post(s.url("approval") + f"/v1/approvals/{activity_id}/decision",
                                json={"decision": "approve"}, headers=token(kabid))
            return r.status_code == 200
        await eventually(approved, timeout=60)

        async def counted(nip, who):
            async def check():
                p = (await http.get(s.url("scoring") + f"/v1/performance/{nip}/{month}", headers=token(who))).json()
                return p if p.get("approved_activities") == 1 or (nip != ani and p.get("version", 0) >= 2) else None
            return await eventually(check, timeout=60)
        p = await counted(ani, ani)
        # kelas 9 target 110 points: K = 5.5 / 110 = 0.05
        assert p["scoring_mode"] == "points" and p["approved_points"] == "5.5"
        assert (p["target_points"], p["productivity"], p["blended_productivity"]) == ("110", "0.05000", "0.05000")
        [a] = p["activities"]
        assert a["formula"] == "2.5 poin x 2 x bobot fungsional 1.10 = 5.5 poin" and a["weight"] == "1.10"

        # Kabid (struktural, kelas 11, no own work): blended = 0.5 x 0 + 0.5 x mean(0.05, 0) = 0.0125
        async def kabid_blended():
            p = (await http.get(s.url("scoring") + f"/v1/performance/{kabid}/{month}", headers=token(kabid))).json()
            return p if p["blended_productivity"] == "0.01250" else None
        kb = await eventually(kabid_blended, timeout=60)
        assert kb["productivity"] == "0.00000" and any("bawahan langsung" in line for line in kb["explanation"])

        # The slip (a preview of this month, the jambi-points profile): kelas 9 base Rp5,000,000, PNS,
        # whole month: kinerja = 5,000,000 x 60% x 0.05 = Rp150,000; kabid kelas 11 base 6,500,000 x 60%
        # x 0.0125 = Rp48,750.
        async def slip(nip, kinerja):
            async def check():
                r = await http.get(s.url("tpp") + f"/v1/tpp/{month}/{nip}", headers=token(nip))
                return r.json() if r.status_code == 200 and r.json()["kinerja_amount"] == kinerja else None
            return await eventually(check, timeout=60)
        ani_slip = await slip(ani, 150000)
        assert ani_slip["productivity"] in ("0.05", "0.05000")
        assert "poin" in next(line["rule"] for line in ani_slip["breakdown"] if line["code"] == "productivity")
        assert "jambi" in ani_slip["rule_set"].lower()
        await slip(kabid, 48750)
