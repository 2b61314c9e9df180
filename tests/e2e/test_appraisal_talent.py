"""Appraisal and talent (issue 14) against the real broker and PostgreSQL: an SKP agreed with RHK
cascaded from the atasan's, activities linked to an RHK counted as its progress, an appraisal for
each cell of the predikat matrix, an objection decided, a distribution that breaks the rule
refused and one that keeps it made final (appraisal.finalized.v1 with the angka kredit factor),
potential imported and a 9-box with every box reached (talent.box-assigned.v1), and the role rules.

Its own unit (DISPUSIP) and NIPs; sorts before test_flow.py, which closes the current month."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from support import eventually, import_org, post_activity, read_topic, today, token

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]

BERAKHLAK = ("berorientasi_pelayanan", "akuntabel", "kompeten", "harmonis", "loyal", "adaptif", "kolaboratif")
A, S, B = "di_atas", "sesuai", "di_bawah"
# staff tail -> (results, behaviour, expected predikat): the nine cells, and two more Sangat Baik
CELLS = {
    "11": (A, B, "kurang"), "12": (A, S, "baik"), "13": (A, A, "sangat_baik"),
    "14": (S, B, "kurang"), "15": (S, S, "baik"), "16": (S, A, "baik"),
    "17": (B, B, "sangat_kurang"), "18": (B, S, "butuh_perbaikan"), "19": (B, A, "butuh_perbaikan"),
    "20": (A, A, "sangat_baik"), "21": (A, A, "sangat_baik"),
}
FUNGSIONAL = {"13", "15"}
# the 9-box: tail -> (potential, expected box); "22" has no appraisal, so K decides (0: di bawah)
POTENTIAL = {"13": ("rendah", 4), "20": ("menengah", 7), "21": ("tinggi", 9),
             "12": ("rendah", 2), "15": ("menengah", 5), "16": ("tinggi", 8),
             "22": ("rendah", 1), "11": ("menengah", 3), "18": ("tinggi", 6)}


def nip(org, tail: str) -> str:
    return "1987080820" + org.b[10:16] + tail


async def test_skp_appraisal_distribution_and_nine_box(services, org, kafka_bootstrap):
    act, sc = services.url("activity"), services.url("scoring")
    year = int(today()[:4])
    month = today()[:7]
    head = nip(org, "01")
    staff = {t: nip(org, t) for t in [*CELLS, "22"]}
    rows = [f"{head},Hj. Kepala Dinas Perpustakaan,DISPUSIP,Dinas Perpustakaan,Kepala Dinas,struktural,II.b,14,{org.head},PNS"]
    rows += [f"{n},Staf {t},DISPUSIP,Dinas Perpustakaan,{'Pustakawan' if t in FUNGSIONAL else 'Staf'},"
             f"{'fungsional' if t in FUNGSIONAL else 'pelaksana'},,{8 if t in FUNGSIONAL else 5},{head},PNS"
             for t, n in staff.items()]
    csv = "nip,name,unit_code,unit_name,position,position_kind,eselon,kelas_jabatan,supervisor_nip,employee_type\n"
    admin, pimpinan = token(org.admin, "admin"), token(org.head, "pimpinan")

    async with httpx.AsyncClient(timeout=30) as http:
        await import_org(http, services, org)
        r = await http.post(act + "/v1/org/import", content=csv + "\n".join(rows) + "\n",
                            headers={**admin, "content-type": "text/csv"})
        assert r.status_code == 200, r.text

        # --- SKP: the head's, agreed by the Sekda-level official; the staff's cascade from it ------
        async def propose(who, body):
            r = await http.post(sc + "/v1/skp", json=body, headers=token(who))
            return r if r.status_code != 403 else None  # 403 until scoring knows the employee
        head_body = {"year": year, "rhk": [{"kind": "main", "title": "Layanan perpustakaan daerah meningkat",
                                            "indicators": [{"name": "Pengunjung", "target": "50000", "unit": "orang",
                                                            "aspect": "kuantitas"}]}]}
        r = await eventually(lambda: propose(head, head_body), timeout=60)
        assert r.status_code == 201 and r.json()["status"] == "proposed", r.text
        head_skp = r.json()
        head_rhk = head_skp["rhk"][0]["id"]
        assert (await http.post(sc + f"/v1/skp/{head_skp['id']}/agree", headers=token(head))).status_code == 403
        r = await http.post(sc + f"/v1/skp/{head_skp['id']}/agree", headers=token(org.head))
        assert r.status_code == 200 and r.json()["status"] == "agreed" and r.json()["appraiser_nip"] == org.head

        def staff_body(parent=head_rhk):
            return {"year": year, "rhk": [
                {"kind": "main", "title": "Layanan sirkulasi buku tepat waktu", "parent_rhk_id": parent,
                 "indicators": [{"name": "Surat layanan diproses", "target": "120", "unit": "surat"}]},
                {"kind": "additional", "title": "Pojok baca keliling",
                 "indicators": [{"name": "Kegiatan", "target": "4", "unit": "kegiatan"}]}]}
        r = await eventually(lambda: propose(staff["11"], staff_body(str(uuid.uuid4()))), timeout=60)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "rhk[0].parent_rhk_id", r.text
        skp = {}
        for t, who in staff.items():
            if t == "22":
                continue
            r = await eventually(lambda: propose(who, staff_body()), timeout=60)
            assert r.status_code == 201, r.text
            skp[t] = r.json()
            assert skp[t]["rhk"][0]["parent_rhk_id"] == head_rhk
        assert (await http.post(sc + "/v1/skp", json=staff_body(), headers=token(staff["11"]))).status_code == 409
        assert (await http.post(sc + f"/v1/skp/{skp['11']['id']}/agree", headers=token(staff["11"]))).status_code == 403
        # not agreed yet: no appraisal
        r = await http.post(sc + f"/v1/skp/{skp['11']['id']}/appraisals", headers=token(head), json={
            "kind": "annual", "period": str(year), "results_rating": S, "behaviour_rating": S,
            "rhk_ratings": [{"rhk_id": x["id"], "rating": S, "note": "ok"} for x in skp["11"]["rhk"]],
            "behaviour": {a: S for a in BERAKHLAK}})
        assert r.status_code == 409, r.text
        for t in skp:
            r = await http.post(sc + f"/v1/skp/{skp[t]['id']}/agree", headers=token(head))
            assert r.status_code == 200 and r.json()["status"] == "agreed", r.text

        # --- activities linked to an RHK: the approved ones are its progress ------------------
        main_rhk = skp["12"]["rhk"][0]["id"]
        ids = []
        for start, end in [("19:00", "19:05"), ("19:10", "19:15")]:
            async def submitted():
                r = await post_activity(http, services, staff["12"], type_code="SURAT-MASUK", quantity=2,
                                        start_time=start, end_time=end, rhk_id=main_rhk)
                return r if r.status_code == 201 else None
            r = await eventually(submitted)
            assert r.json()["rhk_id"] == main_rhk
            ids.append(r.json()["id"])

        async def in_inbox():
            items = (await http.get(services.url("approval") + "/v1/inbox", headers=token(head))).json()
            return {t["activity_id"] for t in items} >= set(ids)
        await eventually(in_inbox, timeout=60)
        r = await http.post(services.url("approval") + "/v1/approvals/bulk", headers=token(head),
                            json={"activity_ids": ids, "decision": "approve"})
        assert r.status_code == 200 and r.json()["decided"] == 2, r.text

        async def progressed():
            r = await http.get(sc + f"/v1/skp/{staff['12']}/{year}", headers=token(staff["12"]))
            p = r.json()["rhk"][0]["progress"]
            return p if p and p[0]["approved_activities"] == 2 else None
        [p] = await eventually(progressed, timeout=60)
        assert p["period"] == month and p["approved_minutes"] == 40  # 2 x (10 min x 2)

        # --- appraisals ---------------------------------------------------------------------
        def appraisal(t, kind, period, results, behaviour):
            return http.post(sc + f"/v1/skp/{skp[t]['id']}/appraisals", headers=token(head), json={
                "kind": kind, "period": period, "results_rating": results, "behaviour_rating": behaviour,
                "rhk_ratings": [{"rhk_id": x["id"], "rating": results, "note": f"Catatan RHK {i + 1}"}
                                for i, x in enumerate(skp[t]["rhk"])],
                "behaviour": {a: behaviour for a in BERAKHLAK}, "behaviour_note": "BerAKHLAK"})

        # A periodic set of the month where all three are Baik: breaks the rule of a Baik unit.
        for t in ("12", "15", "16"):
            r = await appraisal(t, "periodic", month, S, S)
            assert r.status_code == 201 and r.json()["predikat"] == "baik", r.text
            assert (await http.post(sc + f"/v1/skp/{skp[t]['id']}/appraisals/{r.json()['id']}/accept",
                                    headers=token(staff[t]))).status_code == 200
        dist = sc + "/v1/units/DISPUSIP/predikat-distribution"
        r = await http.get(dist, params={"period": month}, headers=admin)
        assert r.status_code == 200 and r.json()["ok"] is False and r.json()["counts"]["baik"] == 3, r.text
        r = await http.post(dist + "/finalize", params={"period": month}, headers=admin)
        assert r.status_code == 422, r.text
        refused = r.json()
        assert refused["counts"]["baik"] == 3 and refused["unit_predikat"] == "baik" and refused["finalized"] == 0
        assert sorted((v["predikat"][0], v["count"], v["allowed_max"], v["required_min"])
                      for v in refused["violations"]) == [("baik", 3, 2, None), ("butuh_perbaikan", 0, None, 1)]

        # A wrong RHK set and a wrong period are refused naming the field.
        bad = await http.post(sc + f"/v1/skp/{skp['11']['id']}/appraisals", headers=token(head), json={
            "kind": "annual", "period": str(year), "results_rating": S, "behaviour_rating": S,
            "rhk_ratings": [{"rhk_id": skp["11"]["rhk"][0]["id"], "rating": S, "note": "x"}],
            "behaviour": {a: S for a in BERAKHLAK}})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "rhk_ratings", bad.text
        r = await appraisal("11", "annual", f"{year}-12", S, S)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "period"
        r = await http.post(sc + f"/v1/skp/{skp['11']['id']}/appraisals", headers=token(staff["12"]), json={
            "kind": "annual", "period": str(year), "results_rating": S, "behaviour_rating": S,
            "rhk_ratings": [{"rhk_id": x["id"], "rating": S, "note": "x"} for x in skp["11"]["rhk"]],
            "behaviour": {a: S for a in BERAKHLAK}})
        assert r.status_code == 403  # not the appraiser

        # The annual set: each cell of the matrix.
        annual = {}
        for t, (results, behaviour, expected) in CELLS.items():
            r = await appraisal(t, "annual", str(year), results, behaviour)
            assert r.status_code == 201, r.text
            annual[t] = r.json()
            assert (annual[t]["predikat"], annual[t]["status"]) == (expected, "issued"), (t, annual[t])
            assert [x["note"] for x in annual[t]["rhk_ratings"]] == ["Catatan RHK 1", "Catatan RHK 2"]
        assert annual["13"]["angka_kredit_percent"] == "150" or float(annual["13"]["angka_kredit_percent"]) == 150
        assert float(annual["15"]["angka_kredit_percent"]) == 100 and annual["11"]["angka_kredit_percent"] is None
        assert (await appraisal("12", "annual", str(year), S, S)).status_code == 409  # that period appraised

        # --- role rules ---------------------------------------------------------------------
        own = f"/v1/skp/{skp['12']['id']}/appraisals/{annual['12']['id']}"
        assert (await http.get(sc + own, headers=token(staff["12"]))).status_code == 200  # the employee sees it
        assert (await http.get(sc + own, headers=token(head))).status_code == 200  # the appraiser
        assert (await http.get(sc + own, headers=token(org.head))).status_code == 200  # the appraiser's atasan
        assert (await http.get(sc + own, headers=token(staff["11"]))).status_code == 404  # another staff member
        assert (await http.get(sc + f"/v1/skp/{staff['12']}/{year}", headers=token(staff["11"]))).status_code == 404
        assert (await http.get(dist, params={"period": str(year)}, headers=token(staff["11"]))).status_code == 403
        assert (await http.post(dist + "/finalize", params={"period": str(year)},
                                headers=token(head))).status_code == 403
        grid = sc + "/v1/talent/nine-box"
        q = {"unit_code": "DISPUSIP", "period": str(year)}
        for who in (token(staff["11"]), token(head), token(org.admin, "inspektorat"), token(org.admin, "bpkad")):
            assert (await http.get(grid, params=q, headers=who)).status_code == 403
        assert (await http.post(sc + "/v1/talent/potential", content="nip,potential,assessed_on\n",
                                headers={**pimpinan, "content-type": "text/csv"})).status_code == 403

        # --- an objection -------------------------------------------------------------------
        obj = f"/v1/skp/{skp['17']['id']}/appraisals/{annual['17']['id']}/objection"
        assert (await http.post(sc + obj, json={"reason": "x"}, headers=token(head))).status_code == 403
        r = await http.post(sc + obj, json={"reason": "Perilaku saya tidak di bawah ekspektasi"},
                            headers=token(staff["17"]))
        assert r.status_code == 200 and r.json()["status"] == "objected", r.text
        for t in CELLS:
            if t != "17":
                r = await http.post(sc + f"/v1/skp/{skp[t]['id']}/appraisals/{annual[t]['id']}/accept",
                                    headers=token(staff[t]))
                assert r.status_code == 200 and r.json()["status"] == "accepted", r.text
        r = await http.post(dist + "/finalize", params={"period": str(year)}, headers=admin)
        assert r.status_code == 409 and [p["nip"] for p in r.json()["pending"]] == [staff["17"]], r.text
        decision = sc + obj + "/decision"
        body = {"outcome": "rejected", "note": "Bukti perilaku tidak mendukung keberatan"}
        assert (await http.post(decision, json=body, headers=token(head))).status_code == 403  # the appraiser
        assert (await http.post(decision, json=body, headers=token(staff["17"]))).status_code == 403
        r = await http.post(decision, json=body, headers=token(org.head))  # the appraiser's atasan
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["predikat"], r.json()["objection"]["outcome"]) == (
            "decided", "sangat_kurang", "rejected")
        assert (await http.post(sc + obj, json={"reason": "lagi"}, headers=token(staff["17"]))).status_code == 409

        # --- the distribution that keeps the rule is made final -----------------------------
        r = await http.get(dist, params={"period": str(year)}, headers=pimpinan)
        assert r.json()["ok"] is True and r.json()["counts"] == {
            "sangat_baik": 3, "baik": 3, "butuh_perbaikan": 2, "kurang": 2, "sangat_kurang": 1}, r.text
        r = await http.post(dist + "/finalize", params={"period": str(year)}, headers=admin)
        assert r.status_code == 200 and (r.json()["finalized"], r.json()["final"]) == (11, 11), r.text
        r = await http.get(sc + own, headers=token(staff["12"]))
        assert r.json()["status"] == "final" and r.json()["finalized_at"]
        again = await http.post(dist + "/finalize", params={"period": str(year)}, headers=admin)
        assert again.status_code == 200 and again.json()["finalized"] == 0

        # --- potential and the 9-box --------------------------------------------------------
        pot = sc + "/v1/talent/potential"
        bad_csv = f"nip,potential,assessed_on\n{staff['13']},luar biasa,{today()}\n1234567890,rendah,{today()}\n"
        r = await http.post(pot, content=bad_csv, headers={**admin, "content-type": "text/csv"})
        assert r.status_code == 422 and [(e["row"], e["field"]) for e in r.json()["errors"]] == [
            (2, "potential"), (3, "nip")], r.text
        good = "nip,potential,assessed_on,score,instrument\n" + "".join(
            f"{staff[t]},{p},{today()},{70 + i},Assessment Center BKPSDMD\n" for i, (t, (p, _)) in enumerate(POTENTIAL.items()))
        r = await http.post(pot, params={"period": str(year)}, content=good, headers={**admin, "content-type": "text/csv"})
        assert r.status_code == 200 and (r.json()["imported"], r.json()["boxes_assigned"]) == (9, 9), r.text

        r = await http.get(grid, params=q, headers=pimpinan)
        assert r.status_code == 200, r.text
        g = r.json()
        boxes = {b: sorted(e["nip"] for e in people) for b, people in g["boxes"].items()}
        assert boxes == {str(b): [staff[t]] for t, (_, b) in POTENTIAL.items()} | {}, boxes
        assert all(boxes[str(b)] for b in range(1, 10))  # every box reached
        assert sorted(e["nip"] for e in g["succession_pool"]) == sorted(staff[t] for t in ("20", "16", "21"))
        by_nip = {e["nip"]: e for people in g["boxes"].values() for e in people}
        assert by_nip[staff["22"]]["performance_source"] == "productivity"
        assert by_nip[staff["13"]]["performance_source"] == "predikat" and by_nip[staff["13"]]["predikat"] == "sangat_baik"
        assert {e["nip"] for e in g["unassessed"]} == {head, staff["14"], staff["17"], staff["19"]}
        assert (await http.get(grid, params=q, headers=admin)).status_code == 200

    mine = set(staff.values())
    finalized = await read_topic(kafka_bootstrap, "appraisal.finalized.v1",
                                 lambda rec: rec.key.decode() in mine, expect=11)
    events = {json.loads(x.value)["nip"]: json.loads(x.value) for x in finalized}
    assert len(finalized) == 11 and set(events) == {staff[t] for t in CELLS}
    e13 = events[staff["13"]]
    assert (e13["predikat"], e13["kind"], e13["month_from"], e13["month_until"], e13["appraiser_nip"]) == (
        "sangat_baik", "annual", 1, 12, head)
    assert float(e13["angka_kredit_percent"]) == 150 and events[staff["11"]]["angka_kredit_percent"] is None
    assert events[staff["17"]]["objection"] == "rejected" and len(e13["rhk"]) == 2
    boxed = await read_topic(kafka_bootstrap, "talent.box-assigned.v1", lambda rec: rec.key.decode() in mine, expect=9)
    assert {json.loads(x.value)["nip"]: json.loads(x.value)["box"] for x in boxed} == {
        staff[t]: b for t, (_, b) in POTENTIAL.items()}
