"""Queries and writes of SKP, appraisals, unit predikat and talent potential."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_contracts.appraisal.v1 import AppraisalKind, Predikat, Rating
from kinerja_kit.persistence import upsert, values_of
from scoring_service.domain.appraisal import Appraisal, AppraisalStatus
from scoring_service.domain.score import ScoreStatus
from scoring_service.persistence.tables import (
    ActivityRhkRow, AppraisalRow, Employee, MonthRow, PotentialRow, RhkRow, ScoreRow, SkpRow, UnitPredikatRow,
)

_DOMAIN_FIELDS = ("id", "skp_id", "nip", "kind", "period", "unit_code", "appraiser_nip", "results_rating",
                  "behaviour_rating", "predikat", "status", "issued_at", "objection_deadline", "objection_reason",
                  "objected_at", "objection_outcome", "objection_note", "decided_by", "finalized_at")


async def skp_of(session: AsyncSession, nip: str, year: int) -> SkpRow | None:
    return (await session.scalars(sa.select(SkpRow).where(SkpRow.nip == nip, SkpRow.year == year))).first()


async def get_skp(session: AsyncSession, skp_id: str, *, lock: bool = False) -> SkpRow | None:
    stmt = sa.select(SkpRow).where(SkpRow.id == skp_id).execution_options(populate_existing=True)
    return (await session.scalars(stmt.with_for_update() if lock else stmt)).first()


async def rhk_of(session: AsyncSession, skp_id: str) -> list[RhkRow]:
    return list((await session.scalars(sa.select(RhkRow).where(RhkRow.skp_id == skp_id).order_by(RhkRow.position))).all())


async def add_skp(session: AsyncSession, skp: SkpRow, rhk: list[RhkRow]) -> None:
    session.add(skp)
    session.add_all(rhk)
    await session.flush()


async def link_activity(session: AsyncSession, activity_id: str, rhk_id: str | None) -> None:
    """Remember (or, for a revision without it, forget) the RHK an activity serves."""
    if rhk_id is None:
        await session.execute(sa.delete(ActivityRhkRow).where(ActivityRhkRow.activity_id == activity_id))
        return
    await upsert(session, ActivityRhkRow, {"activity_id": activity_id, "rhk_id": rhk_id})


async def approved_work_of(session: AsyncSession, rhk_ids: list[str]) -> list[tuple[str, date, int, Decimal]]:
    """(rhk_id, work_date, minutes, points) of every approved activity linked to one of the RHK."""
    if not rhk_ids:
        return []
    rows = await session.execute(
        sa.select(ActivityRhkRow.rhk_id, ScoreRow.work_date, ScoreRow.minutes, ScoreRow.points)
        .join(ScoreRow, ScoreRow.activity_id == ActivityRhkRow.activity_id)
        .where(ActivityRhkRow.rhk_id.in_(rhk_ids), ScoreRow.status == ScoreStatus.APPROVED.value))
    return [tuple(r) for r in rows]


def _aware(v):
    """SQLite gives timestamps back without their zone: they were stored in UTC."""
    return v.replace(tzinfo=timezone.utc) if isinstance(v, datetime) and v.tzinfo is None else v


def to_appraisal(row: AppraisalRow) -> Appraisal:
    data = {f: _aware(getattr(row, f)) for f in _DOMAIN_FIELDS}
    return Appraisal(**data | {"kind": AppraisalKind(row.kind), "results_rating": Rating(row.results_rating),
                               "behaviour_rating": Rating(row.behaviour_rating), "predikat": Predikat(row.predikat),
                               "status": AppraisalStatus(row.status)})


def apply(row: AppraisalRow, a: Appraisal) -> None:
    for f, v in values_of(a).items():
        if f in _DOMAIN_FIELDS:
            setattr(row, f, v)


async def get_appraisal(session: AsyncSession, appraisal_id: str, *, lock: bool = False) -> AppraisalRow | None:
    stmt = sa.select(AppraisalRow).where(AppraisalRow.id == appraisal_id).execution_options(populate_existing=True)
    return (await session.scalars(stmt.with_for_update() if lock else stmt)).first()


async def appraisals_of(session: AsyncSession, skp_id: str) -> list[AppraisalRow]:
    return list((await session.scalars(
        sa.select(AppraisalRow).where(AppraisalRow.skp_id == skp_id).order_by(AppraisalRow.issued_at))).all())


async def appraisal_for(session: AsyncSession, skp_id: str, period: str) -> AppraisalRow | None:
    return (await session.scalars(sa.select(AppraisalRow).where(AppraisalRow.skp_id == skp_id,
                                                                 AppraisalRow.period == period))).first()


async def unit_set(session: AsyncSession, unit_code: str, period: str, *, lock: bool = False) -> list[AppraisalRow]:
    stmt = (sa.select(AppraisalRow).where(AppraisalRow.unit_code == unit_code, AppraisalRow.period == period)
            .order_by(AppraisalRow.nip).execution_options(populate_existing=True))
    return list((await session.scalars(stmt.with_for_update() if lock else stmt)).all())


async def unit_predikat(session: AsyncSession, unit_code: str, period: str) -> UnitPredikatRow | None:
    return await session.get(UnitPredikatRow, (unit_code, period))


async def set_unit_predikat(session: AsyncSession, values: dict) -> None:
    await upsert(session, UnitPredikatRow, values)


async def save_potentials(session: AsyncSession, rows: list[dict]) -> None:
    if rows:
        await upsert(session, PotentialRow, rows)


async def potentials(session: AsyncSession, nips: list[str], on_or_before: date) -> dict[str, PotentialRow]:
    """Each employee's latest assessment on or before the day."""
    rows = await session.scalars(sa.select(PotentialRow).where(PotentialRow.nip.in_(nips),
                                                               PotentialRow.assessed_on <= on_or_before)
                                 .order_by(PotentialRow.nip, PotentialRow.assessed_on))
    return {r.nip: r for r in rows}  # the last (latest) one wins


async def unit_employees(session: AsyncSession, unit_code: str) -> list[Employee]:
    return list((await session.scalars(sa.select(Employee).where(Employee.unit_code == unit_code, Employee.active)
                                       .order_by(Employee.nip))).all())


async def employees(session: AsyncSession, nips: list[str]) -> dict[str, Employee]:
    return {e.nip: e for e in await session.scalars(sa.select(Employee).where(Employee.nip.in_(nips)))}


async def final_predikat(session: AsyncSession, nips: list[str], period: str) -> dict[str, Predikat]:
    rows = await session.execute(sa.select(AppraisalRow.nip, AppraisalRow.predikat).where(
        AppraisalRow.nip.in_(nips), AppraisalRow.period == period, AppraisalRow.status == AppraisalStatus.FINAL.value))
    return {nip: Predikat(p) for nip, p in rows}


async def monthly_k(session: AsyncSession, nips: list[str], periods: list[str]) -> dict[str, list[Decimal]]:
    """K (after the caps and the blend) of each month with a record."""
    out: dict[str, list[Decimal]] = {}
    rows = await session.execute(sa.select(MonthRow.nip, MonthRow.blended_productivity).where(
        MonthRow.nip.in_(nips), MonthRow.period.in_(periods)))
    for nip, k in rows:
        out.setdefault(nip, []).append(Decimal(k or 0))
    return out
