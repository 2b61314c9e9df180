"""Leaders' dashboards and the Inspektorat's desk (issue 13) against the real broker and
PostgreSQL: role rules (staff get 403/404, a head of unit sees theirs and below, not a sibling's),
a live stream that gets the approval within seconds and loses nothing across a reconnect with
Last-Event-ID (and refuses streams beyond the per-user cap), every anomaly kind raised by a
scenario built for it and none by a clean month, the review of a flag, and the reports (the
XLSX read back with openpyxl, the PDF's first page rendered with pypdfium2).

Its own units (DASH-<run>, its sub-units -A and -B, and a clean DASHC-<run>) and NIPs; the desk's
thresholds are lowered for the run through the admin API and restored at the end. Sorts before
test_flow.py, which closes the current month."""

from __future__ import annotations

import asyncio
import io
import json
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from support import PDF, eventually, import_org, post_activity, today, token

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]

KINDS = {"duplicate_evidence", "work_while_absent", "time_span", "backdate_burst", "mass_approval",
         "out_of_hours_approvals"}
CSV = "nip,name,unit_code,unit_name,position,position_kind,eselon,kelas_jabatan,supervisor_nip,employee_type\n"


def nip(org, tail: str) -> str:
    return "1988090920" + org.b[10:16] + tail


def clean_nip(org, tail: str) -> str:
    return "1989101020" + org.b[10:16] + tail


async def sse_events(response: httpx.Response):
    fields: dict[str, str] = {}
    async for line in response.aiter_lines():
        if line == "":
            if "data" in fields:
                yield {**fields, "data": json.loads(fields["data"])}
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            fields[name] = fields[name] + "\n" + value if name == "data" and name in fields else value


async def read_until(events, wanted, timeout: float) -> list[dict]:
    got: list[dict] = []
    try:
        async with asyncio.timeout(timeout):
            async for e in events:
                got.append(e)
                if wanted(e):
                    return got
    except TimeoutError:
        pass
    raise AssertionError(f"no wanted event within {timeout}s; got {[(e.get('id'), e.get('event')) for e in got]}")


async def test_dashboards_stream_flags_and_reports(services, org):
    act, sc, appr = services.url("activity"), services.url("scoring"), services.url("approval")
    run = org.b[10:16]
    P, A, B, C = f"DASH-{run}", f"DASH-{run}-A", f"DASH-{run}-B", f"DASHC-{run}"
    ph, ah, bh = nip(org, "01"), nip(org, "10"), nip(org, "20")
    a_staff = [nip(org, t) for t in ("11", "12", "13", "14")]
    b1, b2, b3 = nip(org, "21"), nip(org, "22"), nip(org, "23")
    ch, c1, c2 = clean_nip(org, "01"), clean_nip(org, "02"), clean_nip(org, "03")
    rows = [f"{ph},Kepala Dinas Dasbor,{P},Dinas Dasbor,Kepala Dinas,struktural,II.b,14,{org.head},PNS",
            f"{ah},Kabid A,{A},Bidang A,Kepala Bidang,struktural,III.a,11,{ph},PNS",
            f"{bh},Kabid B,{B},Bidang B,Kepala Bidang,struktural,III.a,11,{ph},PNS",
            *[f"{n},Staf A{i},{A},Bidang A,Staf,pelaksana,,5,{ah},PNS" for i, n in enumerate(a_staff)],
            *[f"{n},Staf B{i},{B},Bidang B,Staf,pelaksana,,5,{bh},PNS" for i, n in enumerate((b1, b2, b3))],
            f"{ch},Kepala Bersih,{C},Dinas Bersih,Kepala Dinas,struktural,II.b,14,{org.head},PNS",
            f"{c1},Staf Bersih 1,{C},Dinas Bersih,Staf,pelaksana,,5,{ch},PNS",
            f"{c2},Staf Bersih 2,{C},Dinas Bersih,Staf,pelaksana,,5,{ch},PNS"]
    admin, insp, pimpinan = token(org.admin, "admin"), token(org.admin, "inspektorat"), token(org.head, "pimpinan")
    tz = ZoneInfo("Asia/Jakarta")
    now_local = datetime.now(tz)
    # Working hours that exclude now, so today's approvals count as outside working hours.
    hours = {"start": "00:00", "end": "01:00"} if now_local.hour >= 2 else {"start": "12:00", "end": "13:00"}
    lowered = {"mass_approval_count": 8, "mass_approval_minutes": 10, "out_of_hours_min_count": 6,
               "backdate_burst_count": 4, "backdate_burst_minutes": 60, "working_hours": hours,
               "streams_per_user": 2, "version": "e2e"}

    async with httpx.AsyncClient(timeout=30) as http:
        await import_org(http, services, org)
        r = await http.post(act + "/v1/org/import", content=CSV + "\n".join(rows) + "\n",
                            headers={**admin, "content-type": "text/csv"})
        assert r.status_code == 200, r.text
        assert (await http.put(sc + "/v1/inspektorat/thresholds", json=lowered, headers=insp)).status_code == 403
        r = await http.put(sc + "/v1/inspektorat/thresholds", json={**lowered, "k_bands": ["1", "0"]}, headers=admin)
        assert r.status_code == 422, r.text
        r = await http.put(sc + "/v1/inspektorat/thresholds", json=lowered, headers=admin)
        assert r.status_code == 200 and r.json()["source"] == "admin", r.text
        try:
            dash = sc + "/v1/dashboard/units/"
            month = today()[:7]

            # --- role rules (once scoring knows the units) ---------------------------------------------
            async def known():
                r = await http.get(dash + A, headers=token(ah))
                return r if r.status_code == 200 else None
            await eventually(known, timeout=60)
            assert (await http.get(dash + A, headers=token(a_staff[0]))).status_code == 403  # staff: not their unit
            assert (await http.get(dash + B, headers=token(a_staff[0]))).status_code == 403
            assert (await http.get(dash + "NO-SUCH-" + A, headers=token(a_staff[0]))).status_code == 404
            assert (await http.get(dash + B, headers=token(ah))).status_code == 403  # a sibling's unit
            assert (await http.get(dash + P, headers=token(ah))).status_code == 403  # the unit above
            assert (await http.get(dash + A, headers=token(ph))).status_code == 200  # a unit below the head's
            assert (await http.get(dash + C, headers=token(ph))).status_code == 403
            for who in (pimpinan, admin, insp):
                assert (await http.get(dash + C, headers=who)).status_code == 200
            assert (await http.get(dash + "NO-SUCH-" + A, headers=pimpinan)).status_code == 404
            assert (await http.get(sc + "/v1/dashboard/organisation", headers=token(ah))).status_code == 403
            assert (await http.get(sc + "/v1/inspektorat/flags", headers=token(ah))).status_code == 403
            assert (await http.get(sc + "/v1/inspektorat/flags", headers=pimpinan)).status_code == 403
            assert (await http.get(dash + A + "/report.xlsx", headers=token(a_staff[0]))).status_code == 403
            assert (await http.get(dash + A + "/stream", headers=token(a_staff[0]))).status_code == 403

            # --- the clean unit: ordinary work, present, approved a little, nothing reused ------------
            r = await http.post(act + "/v1/attendance", headers=token(org.admin, "absensi"), json={"records": [
                {"nip": n, "date": today(), "status": "hadir", "check_in": "07:20", "check_out": "16:05"} for n in (c1, c2)]})
            assert r.status_code == 200 and r.json()["accepted"] == 2, r.text
            clean_ids = [await post_ok(http, services, c1, type_code="SURAT-MASUK", quantity=3, start_time="09:00",
                                       end_time="10:30"),
                         await post_ok(http, services, c2, type_code="SURAT-MASUK", quantity=2, start_time="13:00",
                                       end_time="14:00"),
                         await post_ok(http, services, c1, type_code="LAPORAN", quantity=1, start_time="10:30",
                                       end_time="12:00", evidence=[("a.pdf", PDF + f"% clean {c1}\n".encode())])]

            # --- scenarios, one per anomaly kind -------------------------------------------------------
            shared = PDF + f"% shared {org.b}\n".encode()
            await post_ok(http, services, a_staff[1], type_code="LAPORAN", start_time="21:00", end_time="21:30",
                          evidence=[("bukti.pdf", shared)])
            await post_ok(http, services, b2, type_code="LAPORAN", start_time="21:00", end_time="21:30",
                          evidence=[("bukti-juga.pdf", shared)])  # duplicate_evidence
            await post_ok(http, services, b2, type_code="SURAT-MASUK", quantity=1, start_time="06:00",
                          end_time="20:00")  # time_span: longer than a working day
            r = await http.post(act + "/v1/attendance", headers=token(org.admin, "absensi"), json={"records": [
                {"nip": b2, "date": today(), "status": "cuti", "leave_type": "cuti_tahunan"}]})
            assert r.status_code == 200 and r.json()["accepted"] == 1, r.text  # work_while_absent
            # backdate_burst: the oldest date the window still allows, found by trying, then a burst there
            t0 = date.fromisoformat(today())
            edge = None
            for k in range(14, 0, -1):
                d = (t0 - timedelta(days=k)).isoformat()
                r = await post_activity(http, services, b1, type_code="SURAT-MASUK", quantity=1, date=d,
                                        start_time="08:00", end_time="08:05")
                if r.status_code == 201:
                    edge = d
                    break
                assert r.status_code == 422 and r.json()["errors"][0]["field"] == "date", r.text
            assert edge is not None
            for i in range(1, 4):
                await post_ok(http, services, b1, type_code="SURAT-MASUK", quantity=1, date=edge,
                              start_time=f"08:{10 * i:02d}", end_time=f"08:{10 * i + 5:02d}")
            # mass_approval and out_of_hours_approvals: Kabid A approves nine in a minute, outside hours
            ids = []
            for n in a_staff:
                for start, end in (("19:00", "19:05"), ("19:10", "19:15")):
                    ids.append(await post_ok(http, services, n, type_code="SURAT-MASUK", quantity=1,
                                             start_time=start, end_time=end))
            streamed = await post_ok(http, services, a_staff[0], type_code="SURAT-MASUK", quantity=1,
                                     start_time="19:20", end_time="19:25")

            async def in_inbox(who, wanted):
                items = (await http.get(appr + "/v1/inbox", params={"limit": 500}, headers=token(who))).json()
                return {t["activity_id"] for t in items} >= set(wanted)
            await eventually(lambda: in_inbox(ah, [*ids, streamed]), timeout=60)
            await eventually(lambda: in_inbox(ch, clean_ids), timeout=60)

            # --- the live stream: the approval arrives; a reconnect loses nothing; the cap -------------
            async with http.stream("GET", dash + A + "/stream", headers=token(ah), timeout=60) as stream:
                assert stream.status_code == 200 and stream.headers["content-type"].startswith("text/event-stream")
                events = sse_events(stream)
                [snapshot] = await read_until(events, lambda e: e.get("event") == "snapshot", 15)
                assert snapshot["data"]["unit"]["unit_code"] == A and snapshot["data"]["summary"]["employees"] == 5
                async with http.stream("GET", dash + A + "/stream", headers=token(ah)) as second:
                    assert second.status_code == 200
                    async with asyncio.timeout(10):
                        third = await http.get(dash + A + "/stream", headers=token(ah))
                    assert third.status_code == 429, third.text  # streams_per_user = 2
                t = time.monotonic()
                r = await http.post(appr + "/v1/approvals/bulk", headers=token(ah),
                                    json={"activity_ids": [streamed], "decision": "approve"})
                assert r.status_code == 200 and r.json()["decided"] == 1, r.text
                got = await read_until(events, lambda e: e.get("event") == "change" and e["data"]["kind"] == "decided"
                                       and e["data"]["ref"] == streamed, 15)
                delay = time.monotonic() - t
                assert delay < 10, f"approval → stream update took {delay:.1f}s"
                decided_id = int(got[-1]["id"])
                [summary] = await read_until(events, lambda e: e.get("event") == "summary", 10)
                assert summary["data"]["summary"]["activities"]["approved"] >= 1
            print(f"approval → stream update: {delay:.2f}s")
            # Reconnect after the snapshot: every change since, the decision among them (the closed
            # streams' slots are freed once the server sees the disconnect).
            deadline = time.monotonic() + 15
            while True:
                async with http.stream("GET", dash + A + "/stream", timeout=60,
                                       headers={**token(ah), "Last-Event-ID": snapshot["id"]}) as again:
                    if again.status_code == 429 and time.monotonic() < deadline:
                        await asyncio.sleep(0.5)
                        continue
                    assert again.status_code == 200
                    events = sse_events(again)
                    replay = await read_until(events, lambda e: e.get("event") == "change" and int(e["id"]) >= decided_id, 15)
                    assert all(int(e["id"]) > int(snapshot["id"]) for e in replay if e.get("event") == "change")
                    assert any(e["data"].get("ref") == streamed and e["data"]["kind"] == "decided" for e in replay
                               if e.get("event") == "change")
                    break

            r = await http.post(appr + "/v1/approvals/bulk", headers=token(ah), json={"activity_ids": ids, "decision": "approve"})
            assert r.status_code == 200 and r.json()["decided"] == len(ids), r.text
            r = await http.post(appr + "/v1/approvals/bulk", headers=token(ch),
                                json={"activity_ids": clean_ids[:2], "decision": "approve"})
            assert r.status_code == 200 and r.json()["decided"] == 2, r.text

            # --- every kind raised in the scenario units, none in the clean one -------------------------
            async def raised():
                r = await http.get(sc + "/v1/inspektorat/flags", params={"unit_code": P}, headers=insp)
                assert r.status_code == 200, r.text
                flags = r.json()
                return flags if {f["kind"] for f in flags} >= KINDS else None
            flags = {f["kind"]: f for f in await eventually(raised, timeout=60)}
            assert set(flags["duplicate_evidence"]["evidence"]["employees"]) == {a_staff[1], b2}
            assert flags["work_while_absent"]["nip"] == b2 and flags["work_while_absent"]["evidence"]["attendance_status"] == "cuti"
            assert flags["time_span"]["nip"] == b2 and flags["time_span"]["evidence"]["longer_than_working_day"][0]["minutes"] == 840
            assert flags["backdate_burst"]["nip"] == b1 and flags["backdate_burst"]["evidence"]["count"] >= 4
            assert flags["backdate_burst"]["evidence"]["reason"] in ("backdate_window", "month_cutoff")
            assert flags["mass_approval"]["nip"] == ah and flags["mass_approval"]["evidence"]["count"] >= 8
            assert flags["out_of_hours_approvals"]["nip"] == ah and flags["out_of_hours_approvals"]["unit_code"] == A
            assert all(f["state"] == "new" for f in flags.values())
            r = await http.get(sc + "/v1/inspektorat/flags", params={"unit_code": A, "kind": "mass_approval", "period": month},
                               headers=admin)
            assert [f["id"] for f in r.json()] == [flags["mass_approval"]["id"]]

            async def clean_counted():
                r = await http.get(dash + C, headers=pimpinan)
                return r.json() if r.json()["summary"]["activities"]["approved"] == 2 else None
            clean = await eventually(clean_counted, timeout=60)
            assert clean["summary"]["activities"]["logged"] == 3 and clean["summary"]["activities"]["pending"] == 1
            await asyncio.sleep(1)  # the clean unit's last events are counted: its flags would be stored with them
            r = await http.get(sc + "/v1/inspektorat/flags", params={"unit_code": C}, headers=insp)
            assert r.status_code == 200 and r.json() == [], r.json()

            # --- the review -----------------------------------------------------------------------------
            fid = flags["time_span"]["id"]
            review = sc + f"/v1/inspektorat/flags/{fid}/review"
            assert (await http.post(review, json={"state": "reviewed"}, headers=pimpinan)).status_code == 403
            r = await http.post(review, json={"state": "dismissed"}, headers=insp)
            assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason", r.text
            r = await http.post(review, json={"state": "reviewed"}, headers=insp)
            assert r.status_code == 200 and r.json()["state"] == "reviewed" and r.json()["reviewed_by"] == org.admin
            r = await http.post(review, json={"state": "dismissed", "reason": "Lembur pemilu, ada surat tugas"}, headers=admin)
            assert r.status_code == 200 and r.json()["state"] == "dismissed" and len(r.json()["history"]) == 2
            assert (await http.post(review, json={"state": "reviewed"}, headers=insp)).status_code == 409
            r = await http.get(sc + "/v1/inspektorat/flags", params={"unit_code": P, "state": "dismissed"}, headers=insp)
            assert [f["id"] for f in r.json()] == [fid]

            # --- the dashboard's figures ------------------------------------------------------------------
            async def counted():
                r = await http.get(dash + P, params={"period": month, "not_logged_days": 1, "limit": 100}, headers=token(ph))
                d = r.json()
                subs = {s["unit_code"]: s for s in d["sub_units"]}
                backlog = {b["approver_nip"]: b["pending"] for b in d["backlog"]}
                return d if subs.get(A, {}).get("activities", {}).get("approved") == 9 and backlog.get(bh, 0) >= 6 else None
            d = await eventually(counted, timeout=60)
            subs = {s["unit_code"]: s for s in d["sub_units"]}
            assert set(subs) == {A, B} and d["unit"]["head_nips"] == [ph] and d["summary"]["employees"] == 10
            assert subs[A]["rank"] == 1 and subs[A]["activities"]["approved"] == 9
            assert subs[B]["activities"]["pending"] >= 2  # b1's back-dated burst may sit in last month
            backlog = {b["approver_nip"]: b for b in d["backlog"]}
            assert backlog[bh]["pending"] >= 6 and backlog[bh]["oldest_age_hours"] >= 0
            assert ah not in backlog or backlog[ah]["pending"] == 1  # a_staff[1]'s LAPORAN is still open
            assert d["employee_ranking"][0]["unit_code"] == A and d["employee_ranking"][0]["rank"] == 1
            assert sum(b["count"] for b in d["summary"]["k_distribution"]) == 10
            day = next(x for x in d["trend"] if x["date"] == today())
            assert day["logged"] >= 10 and day["approved"] == 9
            idle = {e["nip"] for e in d["not_logged"]["employees"]}
            if any(x["working_day"] for x in d["trend"] if x["date"] <= today()):
                assert b3 in idle and a_staff[0] not in idle
            org_view = (await http.get(sc + "/v1/dashboard/organisation", headers=pimpinan)).json()
            assert org_view["unit"]["unit_code"] == "*" and org_view["summary"]["employees"] >= 13
            assert "DISKOMINFO" in {s["unit_code"] for s in org_view["sub_units"]}  # a top unit (its head has no atasan)

            # --- the reports --------------------------------------------------------------------------------
            from openpyxl import load_workbook
            r = await http.get(dash + P + "/report.xlsx", params={"period": month}, headers=token(ph))
            assert r.status_code == 200 and r.headers["content-type"].startswith(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), r.text
            wb = load_workbook(io.BytesIO(r.content))
            assert wb.sheetnames[:4] == ["Ringkasan", "Capaian Sub-unit", "Distribusi K", "Tren Harian"]
            assert {row[1] for row in wb["Capaian Sub-unit"].iter_rows(min_row=2, values_only=True)} == {A, B}
            assert all(wb[s]._charts for s in ("Capaian Sub-unit", "Distribusi K", "Tren Harian"))
            assert wb["Ringkasan"]["A1"].value.startswith("Laporan Kinerja Bulanan")
            import pypdfium2
            r = await http.get(dash + P + "/report.pdf", params={"period": month}, headers=token(ph))
            assert r.status_code == 200 and r.headers["content-type"] == "application/pdf" and r.content[:5] == b"%PDF-"
            pdf = pypdfium2.PdfDocument(r.content)
            image = pdf[0].render(scale=1.5).to_pil()
            assert image.size[0] > 800 and image.convert("L").getextrema()[0] < 128  # text and charts drawn
            assert "Laporan Kinerja Bulanan" in pdf[0].get_textpage().get_text_range()
        finally:
            r = await http.delete(sc + "/v1/inspektorat/thresholds", headers=admin)
            assert r.status_code == 200 and r.json()["source"] == "region"


async def post_ok(http, services, who, **kw) -> str:
    async def submitted():
        r = await post_activity(http, services, who, **kw)
        assert r.status_code in (201, 403, 422), r.text  # 403/422 until activity knows the employee/type
        return r if r.status_code == 201 else None
    return (await eventually(submitted, timeout=60)).json()["id"]
