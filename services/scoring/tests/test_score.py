"""A score's state machine and the month it counts into."""

import json
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from kinerja_kit.errors import TransitionRefused
from scoring_service.domain.score import Decision, Month, Score, ScoreStatus
from scoring_service.domain.scoring import Price
from scoring_service.region import load_region

NOW = datetime(2026, 11, 20, 3, tzinfo=timezone.utc)
NIP = "198503302010011002"


def score(status: ScoreStatus = ScoreStatus.SCORED, minutes: int = 240) -> Score:
    s = Score.priced(activity_id="a1", nip=NIP, work_date=date(2026, 11, 20), type_code="LAPORAN", quantity=2,
                     price=Price(minutes, Decimal(0)), now=NOW)
    s.status = status
    return s


def test_priced_is_scored():
    s = score()
    assert (s.status, s.minutes, s.period) == (ScoreStatus.SCORED, 240, "2026-11")


@pytest.mark.parametrize("status", [ScoreStatus.SCORED, ScoreStatus.RETURNED, ScoreStatus.REJECTED,
                                    ScoreStatus.WITHDRAWN])
def test_a_revision_is_priced_again(status):
    s = score(status)
    s.rescore(work_date=date(2026, 11, 19), type_code="RAPAT", quantity=1, price=Price(60, Decimal(0)), now=NOW)
    assert (s.status, s.minutes, s.type_code, s.period) == (ScoreStatus.SCORED, 60, "RAPAT", "2026-11")


def test_approved_work_is_never_repriced():
    s = score(ScoreStatus.APPROVED)
    with pytest.raises(TransitionRefused):
        s.rescore(work_date=date(2026, 11, 19), type_code="RAPAT", quantity=1, price=Price(60, Decimal(0)), now=NOW)
    assert s.minutes == 240


@pytest.mark.parametrize("decision, outcome, counts", [(Decision.approve, ScoreStatus.APPROVED, True),
                                                       (Decision.reject, ScoreStatus.REJECTED, False),
                                                       (Decision.return_, ScoreStatus.RETURNED, False)])
def test_a_decision_sets_the_status_and_only_an_approval_counts(decision, outcome, counts):
    s = score()
    assert s.decide(decision) is counts and s.status == outcome


@pytest.mark.parametrize("decision", list(Decision))
def test_approved_work_counts_once(decision):
    s = score(ScoreStatus.APPROVED)
    assert s.decide(decision) is False and s.status == ScoreStatus.APPROVED


@pytest.mark.parametrize("status", [ScoreStatus.SCORED, ScoreStatus.RETURNED, ScoreStatus.REJECTED])
def test_withdrawal(status):
    s = score(status)
    assert s.withdraw() is True and s.status == ScoreStatus.WITHDRAWN


def test_approved_work_stays_counted_after_a_withdrawal():
    s = score(ScoreStatus.APPROVED)
    assert s.withdraw() is False and s.status == ScoreStatus.APPROVED


def test_month_counts_minutes_within_the_days_cap_and_every_point():
    m = Month(nip=NIP, period="2026-11")
    s = score(minutes=240)
    s.points = Decimal("1.5")
    s.decide(Decision.approve)
    m.count(s, approved_before_that_day=300, daily_cap_minutes=450)
    assert (m.approved_minutes, m.approved_points, m.approved_activities, m.version) == (150, Decimal("1.5"), 1, 0)
    m.touch()
    assert m.version == 1


@pytest.mark.parametrize("status", [ScoreStatus.SCORED, ScoreStatus.REJECTED, ScoreStatus.RETURNED,
                                    ScoreStatus.WITHDRAWN])
def test_only_approved_work_of_this_month_and_employee_is_counted(status):
    with pytest.raises(TransitionRefused):
        Month(nip=NIP, period="2026-11").count(score(status), approved_before_that_day=0, daily_cap_minutes=450)
    approved = score(ScoreStatus.APPROVED)
    with pytest.raises(TransitionRefused):
        Month(nip=NIP, period="2026-10").count(approved, approved_before_that_day=0, daily_cap_minutes=450)
    with pytest.raises(TransitionRefused):
        Month(nip="199001012020011003", period="2026-11").count(approved, approved_before_that_day=0,
                                                                 daily_cap_minutes=450)


def test_region_numbers_are_exact_decimals(tmp_path):
    raw = {"scoring_mode": "points", "daily_cap_minutes": 450, "minutes_per_workday": 300, "target_points": 0.1,
           "effective_from": "2026-01-01",
           "types": [{"code": "P", "name": "p", "unit": "points", "points": 0.1}]}
    (tmp_path / "catalog.json").write_text(json.dumps(raw))
    region = load_region(str(tmp_path))
    assert region.target_points == Decimal("0.1") and region.types[0].points == Decimal("0.1")
    assert load_region(None).scoring_mode == "minutes"  # the packaged default


def test_a_revision_made_before_the_recorded_decision_is_stale():
    s = score(ScoreStatus.SCORED)
    decided = datetime(2026, 12, 2, 10, 0, tzinfo=timezone.utc)
    s.decide(Decision.reject, decided)
    assert s.is_stale(datetime(2026, 12, 2, 9, 59, tzinfo=timezone.utc))  # crossed on the way: the reject stands
    assert not s.is_stale(datetime(2026, 12, 2, 10, 5, tzinfo=timezone.utc))  # revised after the decision
    assert not score(ScoreStatus.SCORED).is_stale(decided)  # never decided


def test_an_approval_counts_what_the_superior_approved_and_a_stale_revision_keeps_it():
    s = score(ScoreStatus.SCORED, minutes=30)
    at = datetime(2026, 12, 2, 10, 0, tzinfo=timezone.utc)
    assert s.decide(Decision.approve, at, minutes=10, points=Decimal(0)) is True
    assert (s.status, s.minutes) == (ScoreStatus.APPROVED, 10)  # the decision's figures
    s.take_stale_revision(work_date=s.work_date, type_code=s.type_code, quantity=3, price=Price(30, Decimal(0)))
    assert (s.status, s.minutes, s.quantity) == (ScoreStatus.APPROVED, 10, 3)
    r = score(ScoreStatus.SCORED, minutes=10)
    r.decide(Decision.reject, at)
    r.take_stale_revision(work_date=r.work_date, type_code=r.type_code, quantity=3, price=Price(30, Decimal(0)))
    assert (r.status, r.minutes, r.quantity) == (ScoreStatus.REJECTED, 30, 3)
