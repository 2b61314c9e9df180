"""The TPP close on the real broker and PostgreSQL: killed halfway it publishes nothing and the
re-run publishes each record once, with ids and times fixed by the cutoff (the same bytes on
every run); an input that arrives during the close is in this revision or pending for the next,
never lost; a sanction into the closed month becomes revision 2 through the recompute, with its
reason and the difference per component; the manifest carries control totals per OPD."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
from datetime import date, datetime, timezone

import httpx
import openpyxl
import pytest
from aiokafka import AIOKafkaProducer

from kinerja_contracts.envelope import make_headers
from kinerja_contracts.performance.v1 import PerformanceMonthlyV1
from kinerja_contracts.topics import TPP_COMPUTED, TPP_PERIOD_CLOSED
from support import eventually, import_org, read_topic, today, token

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]
NAMESPACE = uuid.UUID("6b1f7c5e-2d4a-4c1e-9a57-5f0b7e1d2c3a")  # tpp's record ids: uuid5(period/nip/revision)


def three_months_ago() -> str:
    d = date.fromisoformat(today())
    y, m = (d.year, d.month - 3) if d.month > 3 else (d.year - 1, d.month + 9)
    return f"{y:04d}-{m:02d}"


async def _restart_tpp(services, hold: float | None) -> None:
    services.kill("tpp")
    services.start(only="tpp", env={"KINERJA_TPP_FAULT_CLOSE_HOLD_SECONDS": str(hold)} if hold else None)
    await services.wait_ready(only="tpp")


async def _performance(bootstrap: str, nip: str, period: str, minutes: int) -> None:
    ev = PerformanceMonthlyV1(nip=nip, period=period, scoring_mode="minutes", approved_minutes=minutes,
                              approved_points=0, approved_activities=3, workdays=21, target_minutes=6300,
                              productivity="0.5", version=1, computed_at=datetime.now(timezone.utc))
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        headers = make_headers(event_type="performance.monthly", schema_version=1, producer="scoring")
        await producer.send_and_wait("performance.monthly.v1", ev.model_dump_json().encode(), key=nip.encode(),
                                     headers=[(k, v.encode()) for k, v in headers.items()])
    finally:
        await producer.stop()


async def test_a_killed_close_reruns_to_the_same_records_and_late_inputs_become_revisions(
        services, org, kafka_bootstrap):
    period = three_months_ago()
    admin = token(org.admin, "admin")
    e1, e2 = ("1986070720" + org.b[10:16] + t for t in ("51", "52"))
    unit = ("nip,name,unit_code,unit_name,position,position_kind,eselon,kelas_jabatan,supervisor_nip,employee_type\n"
            f"{e1},Eka,INSPEKTORAT,Inspektorat,Auditor,fungsional,,9,{org.head},PNS\n"
            f"{e2},Fajar,INSPEKTORAT,Inspektorat,Auditor,fungsional,,9,{org.head},PNS\n")
    tpp = services.url("tpp")
    mine = lambda r: json.loads(r.value)["period"] == period  # noqa: E731
    async with httpx.AsyncClient(timeout=60) as http:
        await import_org(http, services, org)
        r = await http.post(services.url("activity") + "/v1/org/import", content=unit,
                            headers={**admin, "content-type": "text/csv"})
        assert r.status_code == 200, r.text
        await eventually(lambda: _preview(http, tpp, period, e2), timeout=60)

        # 1. Killed while the close holds its transaction: nothing is published, the cutoff stays.
        await _restart_tpp(services, hold=30)
        close = asyncio.create_task(http.post(f"{tpp}/v1/periods/{period}/close", headers=admin))

        async def cut_off():
            r = await http.get(f"{tpp}/v1/periods/{period}", headers=admin)
            return r.json() if r.status_code == 200 and r.json()["status"] == "cutoff" else None
        cutoff_at = (await eventually(cut_off))["cutoff_at"]
        await asyncio.sleep(2)  # inside the hold, the records computed and queued, not committed
        services.kill("tpp")
        with pytest.raises(httpx.TransportError):
            await close
        assert await read_topic(kafka_bootstrap, TPP_COMPUTED, mine, timeout=5, expect=10**9) == []

        # 2. The re-run, while a performance record for e1 arrives: in revision 1 or pending.
        await _restart_tpp(services, hold=4)
        assert (await http.get(f"{tpp}/v1/periods/{period}", headers=admin)).json()["cutoff_at"] == cutoff_at
        close = asyncio.create_task(http.post(f"{tpp}/v1/periods/{period}/close", headers=admin))
        await asyncio.sleep(1.5)
        await _performance(kafka_bootstrap, e1, period, 3150)
        r = await close
        assert r.status_code == 200 and r.json()["status"] == "closed", r.text
        records = await read_topic(kafka_bootstrap, TPP_COMPUTED, mine, timeout=10, expect=r.json()["employee_count"])
        by_nip = {}
        for rec in records:
            body, headers = json.loads(rec.value), {k: v.decode() for k, v in rec.headers}
            assert body["nip"] not in by_nip, "a record published twice"
            by_nip[body["nip"]] = body
            assert headers["event-id"] == str(uuid.uuid5(NAMESPACE, f"tpp.computed/{period}/{body['nip']}/1"))
            assert body["computed_at"].replace("Z", "+00:00") == cutoff_at.replace("Z", "+00:00")
            assert body["net_amount"] == body["total_amount"] - body["bpjs_amount"] - body["pph21_amount"]
        assert len(by_nip) == r.json()["employee_count"] and {e1, e2} <= set(by_nip)

        [manifest] = await read_topic(kafka_bootstrap, TPP_PERIOD_CLOSED, mine, timeout=10)
        m = json.loads(manifest.value)
        assert m["revision"] == 1 and sum(t["total_amount"] for t in m["opd_totals"]) == m["total_amount"]
        [insp] = [t for t in m["opd_totals"] if t["unit_code"] == "INSPEKTORAT"]
        assert insp["total_amount"] == sum(by_nip[n]["total_amount"] for n in by_nip
                                           if by_nip[n]["unit_code"] == "INSPEKTORAT")

        async def e1_settled():  # the record is either paid in revision 1 or waiting for the next
            p = (await http.get(f"{tpp}/v1/periods/{period}", headers=admin)).json()
            pending = {x["nip"]: x["reason"] for x in p["pending_revisions"]}
            return pending if by_nip[e1]["kinerja_amount"] > 0 or e1 in pending else None
        await eventually(e1_settled, timeout=30)

        # 3. A sanction into the closed month waits for the recompute, then is revision 2.
        await _restart_tpp(services, hold=None)
        r = await http.post(services.url("activity") + "/v1/discipline/sanctions", headers=admin, json={
            "sk_number": f"800/{org.b[10:16]}/INSP/2026", "nip": e2, "level": "ringan",
            "start_date": f"{period}-01", "months": 1})
        assert r.status_code in (200, 201), r.text

        async def e2_pending():
            p = (await http.get(f"{tpp}/v1/periods/{period}", headers=admin)).json()
            return next((x for x in p["pending_revisions"] if x["nip"] == e2), None)
        assert "hukuman disiplin" in (await eventually(e2_pending, timeout=30))["reason"]
        assert (await http.get(f"{tpp}/v1/tpp/{period}/{e2}", headers=token(e2))).json()["revision"] == 1  # not silent

        assert (await http.post(f"{tpp}/v1/periods/{period}/recompute", headers=token(e2))).status_code == 403
        r = await http.post(f"{tpp}/v1/periods/{period}/recompute", headers=admin)
        assert r.status_code == 200, r.text
        [rev] = [x for x in r.json()["revised"] if x["nip"] == e2]
        assert rev["revision"] == 2 and "hukuman disiplin" in rev["reason"]
        changes = {c["component"]: c for c in rev["changes"]}
        assert int(changes["deductions"]["difference"]) == rev["deductions"] > 0
        assert int(changes["total_amount"]["difference"]) == -rev["deductions"]
        s = (await http.get(f"{tpp}/v1/tpp/{period}/{e2}", headers=token(e2))).json()
        assert [x["revision"] for x in s["revisions"]] == [1, 2] and s["total_amount"] == rev["total_amount"]
        p = (await http.get(f"{tpp}/v1/periods/{period}", headers=admin)).json()
        assert all(x["nip"] != e2 for x in p["pending_revisions"]) and p["revision"] >= 2
        assert sum(t["total_amount"] for t in p["opd_totals"]) == p["total_amount"]

        # 4. BPKAD's files, read back: one row per employee (the slip in force), totals per OPD.
        bpkad = token("1975050520" + org.b[10:16] + "59", "bpkad")
        assert (await http.get(f"{tpp}/v1/periods/{period}/export.csv", headers=token(e1))).status_code == 403
        r = await http.get(f"{tpp}/v1/periods/{period}/export.csv", headers=bpkad)
        assert r.status_code == 200 and r.content.startswith(b"\xef\xbb\xbf"), r.text[:200]
        rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
        staff = [x for x in rows if x["row_type"] == "pegawai"]
        assert len(staff) == p["employee_count"]
        [e2_row] = [x for x in staff if x["nip"] == f'="{e2}"']
        assert int(e2_row["gross_amount"]) == rev["total_amount"] and int(e2_row["revision"]) == 2
        [insp_row] = [x for x in rows if x["row_type"] == "total_opd" and x["unit_code"] == "INSPEKTORAT"]
        assert int(insp_row["gross_amount"]) == sum(int(x["gross_amount"]) for x in staff
                                                    if x["unit_code"] == "INSPEKTORAT")
        [grand] = [x for x in rows if x["row_type"] == "total"]
        assert int(grand["gross_amount"]) == p["total_amount"]
        r = await http.get(f"{tpp}/v1/periods/{period}/export.xlsx", headers=bpkad)
        assert r.status_code == 200, r.text[:200]
        book = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True)
        assert book.sheetnames == ["Pegawai", "Per OPD", "Rekap"]
        assert sum(1 for _ in book["Pegawai"].iter_rows(min_row=2)) == p["employee_count"]
        r = await http.get(f"{tpp}/v1/periods/{period}/siasn", headers=bpkad)
        assert r.status_code == 200 and e2 in r.text
        siasn = r.json()["records"]
        assert {x["predikat_source"] for x in siasn if x["nip"] == e2} == {"derived_from_k"}  # no appraisal
        # test_appraisal_talent finalised annual appraisals of this year: their predikat is exported.
        if period[:4] == today()[:4]:
            assert any(x["predikat_source"] == "appraisal" for x in siasn), "no final appraisal reached tpp"
        assert (await http.get(f"{tpp}/v1/periods/2020-01/export.csv", headers=bpkad)).status_code == 409


async def _preview(http, tpp, period, nip):
    r = await http.get(f"{tpp}/v1/tpp/{period}/{nip}", headers=token(nip))
    return r.status_code == 200
