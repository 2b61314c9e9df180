"""The dashboard read model and the desk on SQLite: events recorded (twice: one effect), the
change log, flags raised with their evidence, a unit's dashboard aggregated, and the reports
(the XLSX read back with openpyxl, the PDF's first page rendered)."""

from __future__ import annotations

import io
import uuid
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

import scoring_service
from kinerja_contracts.activity.v1 import ActivitySubmittedV1
from kinerja_contracts.approval.v1 import ApprovalDecidedV1, ApprovalRequestedV1
from kinerja_contracts.attendance.v1 import AttendanceRecordedV1
from kinerja_kit.calendar import CalendarCache
from kinerja_kit.db import Database
from kinerja_kit.outbox import UnitOfWork
from scoring_service import reports
from scoring_service.application import dashboard as use
from scoring_service.persistence.tables import AnomalyFlag, DashChange, DashTask, Employee, MonthRow, ScoreRow, metadata
from scoring_service.region import load_region
from scoring_service.region.dashboard import Thresholds

TZ = ZoneInfo("Asia/Jakarta")
HEAD, A_HEAD, A1, B_HEAD, B1 = "19700101", "19800101", "19810101", "19900101", "19910101"
DAY = date(2026, 12, 2)
NOW = datetime(2026, 12, 2, 3, tzinfo=timezone.utc)


@pytest.fixture
async def db(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'scoring.db'}", metadata)
    await db.migrate(str(Path(scoring_service.__file__).parent / "migrations"))
    async with UnitOfWork(db, "scoring") as uow:
        for nip, unit, boss in [(HEAD, "DINAS", None), (A_HEAD, "DINAS-A", HEAD), (A1, "DINAS-A", A_HEAD),
                                (B_HEAD, "DINAS-B", HEAD), (B1, "DINAS-B", B_HEAD)]:
            uow.session.add(Employee(nip=nip, name=f"Pegawai {nip}", unit_code=unit, position_kind="pelaksana",
                                     kelas_jabatan=7, supervisor_nip=boss))
    yield db
    await db.dispose()


def submitted(nip, start, end, evidence=(), day=DAY, at=NOW) -> ActivitySubmittedV1:
    return ActivitySubmittedV1(activity_id=uuid.uuid4(), nip=nip, type_code="LAPORAN", work_date=day,
                               start_time=start, end_time=end, quantity=1, description="x",
                               evidence_sha256=list(evidence), submitted_at=at)


async def test_events_flags_dashboard_and_reports(db):
    thresholds = use.ThresholdsStore(Thresholds(mass_approval_count=3, mass_approval_minutes=5,
                                                out_of_hours_min_count=2))
    desk = use.Desk(thresholds, CalendarCache(metadata), TZ, use.TreeCache())
    sha = "ab" * 32
    a = submitted(A1, time(8), time(10), [sha])
    b = submitted(B1, time(8), time(9), [sha])
    long = submitted(A1, time(6), time(20))
    events = [a, b, long] + [submitted(B1, time(10 + i), time(10 + i, 30)) for i in range(3)]
    for e in events:
        for _ in range(2):  # the same event twice: one effect
            async with UnitOfWork(db, "scoring") as uow:
                await use.on_activity(uow, e, 0, desk)
                uow.session.add(ScoreRow(activity_id=str(e.activity_id), nip=e.nip, work_date=e.work_date,
                                         type_code="LAPORAN", quantity=1, minutes=60, points=Decimal(0),
                                         status="scored", scored_at=NOW)) if _ == 0 else None
    async with UnitOfWork(db, "scoring") as uow:
        await use.on_attendance(uow, AttendanceRecordedV1(nip=A1, work_date=DAY, status="cuti", leave_type="tahunan",
                                                          recorded_at=NOW), desk)
        from scoring_service.persistence.tables import AttendanceDay
        uow.session.add(AttendanceDay(nip=A1, work_date=DAY, status="cuti"))
    async with UnitOfWork(db, "scoring") as uow:
        await use.on_attendance(uow, AttendanceRecordedV1(nip=A1, work_date=DAY, status="cuti", leave_type="tahunan",
                                                          recorded_at=NOW), desk)
    night = datetime(2026, 12, 2, 15, tzinfo=timezone.utc)  # 22:00 WIB
    for i, e in enumerate(events[3:]):
        task = uuid.uuid4()
        async with UnitOfWork(db, "scoring") as uow:
            await use.on_requested(uow, ApprovalRequestedV1(task_id=task, activity_id=e.activity_id, nip=B1,
                                                            approver_nip=B_HEAD, type_code="LAPORAN", work_date=DAY,
                                                            minutes=60, points=0, requested_at=NOW))
        async with UnitOfWork(db, "scoring") as uow:
            await use.on_decided(uow, ApprovalDecidedV1(task_id=task, activity_id=e.activity_id, nip=B1,
                                                        approver_nip=B_HEAD, decision="approve", type_code="LAPORAN",
                                                        work_date=DAY, minutes=60, points=0,
                                                        decided_at=night + timedelta(seconds=i)), desk)
            await uow.session.execute(sa.update(ScoreRow).where(ScoreRow.activity_id == str(e.activity_id))
                                      .values(status="approved"))
    async with UnitOfWork(db, "scoring") as uow:  # one still open: the backlog
        await use.on_requested(uow, ApprovalRequestedV1(task_id=uuid.uuid4(), activity_id=a.activity_id, nip=A1,
                                                        approver_nip=A_HEAD, type_code="LAPORAN", work_date=DAY,
                                                        minutes=60, points=0, requested_at=NOW))
        uow.session.add(MonthRow(nip=B1, period="2026-12", approved_minutes=180, approved_points=0,
                                 approved_activities=3, version=1, productivity=Decimal("0.5"),
                                 blended_productivity=Decimal("0.5"), updated_at=NOW))

    async with db.sessions() as s:
        flags = {(f.kind, f.nip): f for f in (await s.scalars(sa.select(AnomalyFlag))).all()}
        changes = (await s.scalars(sa.select(DashChange).order_by(DashChange.id))).all()
        assert (await s.scalar(sa.select(sa.func.count()).select_from(DashTask))) == 4
    assert set(flags) == {("duplicate_evidence", B1), ("time_span", A1), ("work_while_absent", A1),
                          ("mass_approval", B_HEAD), ("out_of_hours_approvals", B_HEAD)}
    assert flags[("duplicate_evidence", B1)].evidence["employees"] == [A1, B1]
    assert flags[("duplicate_evidence", B1)].unit_code == "DINAS-B"
    assert flags[("mass_approval", B_HEAD)].evidence["count"] == 3
    assert [c.id for c in changes] == sorted(c.id for c in changes) and {c.unit_code for c in changes} == {"DINAS-A", "DINAS-B"}

    region = load_region(None)
    async with db.sessions() as s:
        tree = await desk.trees.get(s)
        cal = await desk.calendar.get(s)
        d = await use.build(s, unit="DINAS", tree=tree, names={"DINAS": "Dinas"}, period="2026-12", region=region,
                            cal=cal, t=await thresholds.get(s), tz=TZ)
    assert d["summary"]["employees"] == 5 and d["summary"]["activities"]["logged"] == 6
    assert d["summary"]["activities"]["approved"] == 3 and d["summary"]["activities"]["pending"] == 3
    assert [u["unit_code"] for u in d["sub_units"]] == ["DINAS-B", "DINAS-A"]  # B ranks first by K
    assert d["employee_ranking"][0]["nip"] == B1 and d["employee_ranking"][0]["rank"] == 1
    assert d["backlog"] == [{**d["backlog"][0], "approver_nip": A_HEAD, "pending": 1}]
    assert sum(x["logged"] for x in d["trend"]) == 6 and len(d["trend"]) == 31
    assert sum(b["count"] for b in d["summary"]["k_distribution"]) == 5

    from openpyxl import load_workbook
    wb = load_workbook(io.BytesIO(reports.xlsx(d)))
    assert wb.sheetnames[:4] == ["Ringkasan", "Capaian Sub-unit", "Distribusi K", "Tren Harian"]
    assert wb["Capaian Sub-unit"]._charts and wb["Distribusi K"]._charts and wb["Tren Harian"]._charts
    import pypdfium2
    pdf = pypdfium2.PdfDocument(reports.pdf(d))
    page = pdf[0].render(scale=1).to_pil()
    assert page.size[0] > 500 and len(pdf) >= 1
    assert "Laporan Kinerja" in pdf[0].get_textpage().get_text_range()
