"""The appraisal use cases on SQLite (the embedded default): SKP agreed, a linked activity counted
once however often its event comes, a set refused by the distribution rule, then made final with
its events in the outbox (the unit's own predikat choosing the rule)."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, time, timezone
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

import scoring_service
from kinerja_contracts.activity.v1 import ActivitySubmittedV1
from kinerja_contracts.appraisal.v1 import AppraisalKind, Rating
from kinerja_kit.db import Database
from kinerja_kit.errors import InvalidField
from kinerja_kit.outbox import UnitOfWork
from scoring_service.application import appraisal as use
from scoring_service.application import talent
from scoring_service.domain.appraisal import BERAKHLAK, RhkPlan
from scoring_service.persistence import appraisal as store
from scoring_service.persistence.tables import Employee, ScoreRow, metadata
from scoring_service.region.appraisal import load_rules

RULES = load_rules(None)
HEAD, X, Y = "197501012000031001", "198503302010011002", "199002022015031003"
NOW = datetime(2026, 12, 2, 3, tzinfo=timezone.utc)


@pytest.fixture
async def db(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'scoring.db'}", metadata)
    await db.migrate(str(Path(scoring_service.__file__).parent / "migrations"))
    async with UnitOfWork(db, "scoring") as uow:
        for nip, kind, boss in [(HEAD, "struktural", None), (X, "fungsional", HEAD), (Y, "pelaksana", HEAD)]:
            uow.session.add(Employee(nip=nip, name=nip, unit_code="U1", position_kind=kind, kelas_jabatan=9,
                                     supervisor_nip=boss))
    yield db
    await db.dispose()


def rated(skp_rhk, results: Rating, behaviour: Rating) -> use.AppraisalInput:
    return use.AppraisalInput(kind=AppraisalKind.annual, period="2026", results_rating=results,
                              behaviour_rating=behaviour, behaviour={a: behaviour for a in BERAKHLAK},
                              rhk_ratings=[{"rhk_id": r.id, "rating": results, "note": "n"} for r in skp_rhk])


async def test_skp_to_final_appraisals(db):
    plan = [RhkPlan("main", "Layanan", [{"name": "surat", "target": "10", "unit": "surat"}])]
    skps = {}
    async with UnitOfWork(db, "scoring") as uow:
        for nip in (X, Y):
            skps[nip] = (await use.propose_skp(uow, nip=nip, year=2026, rhk=plan, now=NOW)).id
            await use.agree_skp(uow, skp_id=skps[nip], caller=HEAD, now=NOW)
        with pytest.raises(InvalidField):
            await use.propose_skp(uow, nip=HEAD, year=2026, now=NOW, rhk=[RhkPlan("main", "x", [], "nope")])
        rhk_x = await store.rhk_of(uow.session, skps[X])
    event = ActivitySubmittedV1(activity_id=uuid.uuid4(), nip=X, type_code="SURAT-MASUK", work_date=date(2026, 12, 1),
                                start_time=time(8), end_time=time(9), quantity=1, description="d",
                                submitted_at=NOW, rhk_id=rhk_x[0].id)
    for _ in range(2):  # a redelivered event links once
        async with UnitOfWork(db, "scoring") as uow:
            await use.link_activity(uow, event)
    async with UnitOfWork(db, "scoring") as uow:
        uow.session.add(ScoreRow(activity_id=str(event.activity_id), nip=X, work_date=date(2026, 12, 1),
                                 type_code="SURAT-MASUK", quantity=1, minutes=10, points=Decimal(0), status="approved",
                                 scored_at=NOW))
    async with db.sessions() as session:
        work = await store.approved_work_of(session, [rhk_x[0].id])
    assert use.progress(work) == {rhk_x[0].id: [{"period": "2026-12", "approved_activities": 1,
                                                 "approved_minutes": 10, "approved_points": Decimal(0)}]}

    async with UnitOfWork(db, "scoring") as uow:
        ax = await use.issue(uow, RULES, skp_id=skps[X], caller=HEAD, body=rated(rhk_x, Rating.sesuai, Rating.sesuai),
                             now=NOW)
        rhk_y = await store.rhk_of(uow.session, skps[Y])
        ay = await use.issue(uow, RULES, skp_id=skps[Y], caller=HEAD, body=rated(rhk_y, Rating.sesuai, Rating.sesuai),
                             now=NOW)
        assert ax.angka_kredit_percent == Decimal(100) and ay.angka_kredit_percent is None
        await use.accept(uow, skp_id=ax.skp_id, appraisal_id=ax.id, caller=X, now=NOW)
        await use.object_(uow, skp_id=skps[Y], appraisal_id=ay.id, caller=Y, reason="r", now=NOW)
    with pytest.raises(use.SetNotReady):
        async with UnitOfWork(db, "scoring") as uow:
            await use.finalize_unit(uow, RULES, unit_code="U1", period="2026", now=NOW)
    async with UnitOfWork(db, "scoring") as uow:  # upheld, behaviour di atas: still Baik
        row = await use.decide_objection(uow, RULES, skp_id=skps[Y], appraisal_id=ay.id, caller="1" * 18,
                                         is_admin=True, upheld=True, note="n", results=None, behaviour=Rating.di_atas)
        assert (row.predikat, row.status, row.objection_outcome) == ("baik", "decided", "upheld")
    with pytest.raises(use.DistributionBroken) as refused:  # two Baik of two, none below expectation
        async with UnitOfWork(db, "scoring") as uow:
            await use.finalize_unit(uow, RULES, unit_code="U1", period="2026", now=NOW)
    assert refused.value.view.counts["baik"] == 2 and len(refused.value.view.violations) == 2
    async with UnitOfWork(db, "scoring") as uow:  # a unit rated Sangat Baik may give them
        await store.set_unit_predikat(uow.session, {"unit_code": "U1", "period": "2026", "predikat": "sangat_baik",
                                                    "set_by": "1" * 18, "updated_at": NOW})
    async with UnitOfWork(db, "scoring") as uow:
        await store.save_potentials(uow.session, [{"nip": X, "assessed_on": date(2026, 11, 1), "potential": "tinggi",
                                                   "imported_by": HEAD, "imported_at": NOW}])
        view = await use.finalize_unit(uow, RULES, unit_code="U1", period="2026", now=NOW)
    assert (view.finalized, view.ok) == (2, True)
    async with db.engine.connect() as conn:
        rows = (await conn.execute(sa.select(db.outbox.c.topic, db.outbox.c.payload))).all()
    topics = [t for t, _ in rows]
    assert topics.count("appraisal.finalized.v1") == 2 and topics.count("talent.box-assigned.v1") == 1
    box = json.loads(next(p for t, p in rows if t == "talent.box-assigned.v1"))
    assert (box["nip"], box["box"], box["succession_pool"]) == (X, 8, True)  # sesuai x tinggi
    async with db.sessions() as session:
        placed = await talent.place(session, RULES, await store.unit_employees(session, "U1"), "2026")
    assert {p.employee.nip: (p.box, p.performance.source) for p in placed} == {
        HEAD: (None, "productivity"), X: (8, "predikat"), Y: (None, "predikat")}
