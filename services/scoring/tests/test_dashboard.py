"""Pure rules of the dashboards (unit tree, roles, ranking, distribution, not logged) and the
anomaly detectors, and the review of a flag."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from kinerja_contracts.calendar.v1 import WorkCalendar
from kinerja_kit.errors import InvalidField, TransitionRefused
from scoring_service.domain import anomaly as an
from scoring_service.domain import dashboard as dd
from scoring_service.region import ProfileError
from scoring_service.region.dashboard import Thresholds, load_thresholds, parse_thresholds

TZ = ZoneInfo("Asia/Jakarta")
CAL = WorkCalendar()
T = Thresholds()
E = dd.OrgEmployee

ORG = [E("wako", "SETDA", None), E("sekda", "SETDA", "wako"),
       E("kadis", "DINAS", "sekda"), E("kabid", "DINAS", "kadis"), E("staf1", "DINAS", "kabid"),
       E("kabid2", "BIDANG-A", "kadis"), E("staf2", "BIDANG-A", "kabid2"),
       E("kabid3", "BIDANG-B", "kadis"), E("staf3", "BIDANG-B", "kabid3"),
       E("gone", "BIDANG-B", "kabid3", active=False)]


def test_unit_tree_from_supervisor_chains():
    tree = dd.unit_tree(ORG)
    assert tree.parent == {"SETDA": None, "DINAS": "SETDA", "BIDANG-A": "DINAS", "BIDANG-B": "DINAS"}
    assert tree.children == {"SETDA": ["DINAS"], "DINAS": ["BIDANG-A", "BIDANG-B"]}
    assert tree.subtree("DINAS") == ["DINAS", "BIDANG-A", "BIDANG-B"]
    assert tree.heads["DINAS"] == ["kadis"] and tree.roots() == ["SETDA"]
    assert tree.ancestors("BIDANG-B") == ["DINAS", "SETDA"]


def test_unit_tree_majority_parent_and_cycle_cut():
    org = [E("a", "X", "b"), E("b", "Y", "a"), E("c", "Z", "a"), E("d", "Z", "b"), E("e", "Z", "b")]
    tree = dd.unit_tree(org)
    assert tree.parent["Z"] == "Y"  # two heads under Y, one under X
    assert None in (tree.parent["X"], tree.parent["Y"])  # the X <-> Y cycle is cut


def test_roles():
    tree = dd.unit_tree(ORG)
    assert dd.headed_units("kadis", ORG, tree) == ["DINAS"]
    assert dd.headed_units("kabid", ORG, tree) == []  # a superior inside the unit, not its head
    assert dd.headed_units("staf2", ORG, tree) == []
    alone = ORG + [E("kaban", "BADAN", "sekda"), E("kabid9", "BADAN-X", "kaban"), E("s9", "BADAN-X", "kabid9")]
    t2 = dd.unit_tree(alone)
    assert dd.headed_units("kaban", alone, t2) == ["BADAN"]  # subordinates only in the units below
    kadis = dd.visible_units("kadis", {"pegawai"}, ["DINAS"], tree)
    assert kadis == {"DINAS", "BIDANG-A", "BIDANG-B"}
    a = dd.visible_units("kabid2", {"pegawai"}, dd.headed_units("kabid2", ORG, tree), tree)
    assert dd.may_view("BIDANG-A", a) and not dd.may_view("BIDANG-B", a) and not dd.may_view("DINAS", a)
    assert dd.visible_units("staf1", {"pegawai"}, [], tree) == set()
    for role in ("pimpinan", "admin", "inspektorat"):
        assert dd.may_view("SETDA", dd.visible_units("x", {role}, [], tree))
    assert not dd.may_view("SETDA", dd.visible_units("x", {"bpkad"}, [], tree))


def test_ranking_competition_with_ties():
    r = dd.rank([("b", Decimal("0.9"), Decimal("0.9")), ("a", Decimal("0.9"), Decimal("0.9")),
                 ("c", Decimal("0.5"), Decimal("0.6")), ("d", Decimal("0.9"), Decimal("0.95"))])
    assert [(x.rank, x.key) for x in r] == [(1, "d"), (2, "a"), (2, "b"), (4, "c")]


def test_distribution_bands():
    bands = dd.distribution([Decimal(x) for x in ("0", "0.19", "0.2", "0.85", "1", "1.2")], T.k_bands)
    assert [b.count for b in bands] == [2, 1, 0, 0, 3]
    assert bands[0].label == "0–0.2"
    assert dd.mean([Decimal("0.5"), Decimal("1")]) == Decimal("0.75000") and dd.mean([]) == 0


def test_achievement_and_not_logged():
    assert dd.achievement(scoring_mode="minutes", approved_minutes=3150, approved_points=Decimal(0), workdays=21,
                          minutes_per_workday=300, target_points=Decimal(100)) == Decimal("0.50000")
    assert dd.achievement(scoring_mode="points", approved_minutes=0, approved_points=Decimal(50), workdays=21,
                          minutes_per_workday=300, target_points=Decimal(200)) == Decimal("0.25000")
    today = date(2026, 12, 11)  # a Friday
    gaps = dd.not_logged({"a": date(2026, 12, 10), "b": date(2026, 12, 7), "c": None}, today, 3, CAL,
                         date(2026, 12, 1))
    assert gaps == {"b": 4, "c": 9}


def test_backlog_age():
    hours, days = dd.age(datetime(2026, 12, 4, 2, tzinfo=timezone.utc), datetime(2026, 12, 8, 2, tzinfo=timezone.utc),
                         CAL, TZ)
    assert hours == 96.0 and days == 2  # Fri -> Tue: Mon and Tue


def entry(aid, start, end, day=date(2026, 12, 2), nip="x", submitted=None):
    h, m = map(int, start.split(":"))
    h2, m2 = map(int, end.split(":"))
    return an.Entry(aid, nip, day, h * 60 + m, h2 * 60 + m2, submitted or datetime(2026, 12, 2, 3, tzinfo=timezone.utc))


def test_duplicate_evidence():
    assert an.duplicate_evidence("s", [("1", "a", date(2026, 12, 1)), ("2", "a", date(2026, 12, 2))], "a") is None
    c = an.duplicate_evidence("s", [("1", "a", date(2026, 12, 1)), ("2", "b", date(2026, 12, 2))], "b")
    assert c.kind is an.Kind.duplicate_evidence and c.evidence["employees"] == ["a", "b"] and c.period == "2026-12"


def test_work_while_absent():
    es = [entry("1", "08:00", "10:00")]
    assert an.work_while_absent("x", date(2026, 12, 2), "hadir", es, T) is None
    assert an.work_while_absent("x", date(2026, 12, 2), "cuti", [], T) is None
    assert an.work_while_absent("x", date(2026, 12, 2), None, es, T) is None
    c = an.work_while_absent("x", date(2026, 12, 2), "tanpa_keterangan", es, T)
    assert c.subject_key == "x:2026-12-02" and c.evidence["attendance_status"] == "tanpa_keterangan"


def test_time_span_overlap_and_long():
    assert an.time_span("x", date(2026, 12, 2), [entry("1", "08:00", "10:00"), entry("2", "10:00", "11:00")], T) is None
    c = an.time_span("x", date(2026, 12, 2), [entry("1", "08:00", "10:00"), entry("2", "09:30", "11:00")], T)
    assert c.evidence["overlaps"][0]["activity_ids"] == ["1", "2"] and c.evidence["overlaps"][0]["overlap_minutes"] == 30
    c = an.time_span("x", date(2026, 12, 2), [entry("1", "06:00", "20:00")], T)
    assert c.evidence["longer_than_working_day"][0]["minutes"] == 840 and not c.evidence["overlaps"]


def test_backdate_burst_at_the_window_edge():
    t = T.model_copy(update={"backdate_burst_count": 3, "backdate_burst_minutes": 30})
    sub = datetime(2026, 12, 7, 2, tzinfo=timezone.utc)  # Monday 09:00 WIB
    edge = date(2026, 12, 2)  # Wednesday: 3 working days back, the last day the window allows
    inside = date(2026, 12, 4)
    es = [entry(str(i), f"0{8 + i}:00", f"0{8 + i}:30", day=edge, submitted=sub + timedelta(minutes=5 * i))
          for i in range(3)]
    assert an.edge_reason(es[0], t, CAL, TZ) == "backdate_window"
    assert an.edge_reason(entry("x", "08:00", "09:00", day=inside, submitted=sub), t, CAL, TZ) is None
    [c] = an.backdate_burst("x", es, t, CAL, TZ)
    assert c.evidence["reason"] == "backdate_window" and c.evidence["count"] == 3
    spread = [entry(str(i), "08:00", "08:30", day=edge, submitted=sub + timedelta(minutes=40 * i)) for i in range(3)]
    assert an.backdate_burst("x", spread, t, CAL, TZ) == []
    assert an.backdate_burst("x", es[:2], t, CAL, TZ) == []


def test_backdate_burst_before_the_month_cutoff():
    t = T.model_copy(update={"backdate_burst_count": 2, "backdate_working_days": 10})
    sub = datetime(2027, 1, 4, 2, tzinfo=timezone.utc)  # 4 Jan, cutoff of December is 5 Jan
    es = [entry(str(i), "08:00", "08:30", day=date(2026, 12, 30), submitted=sub + timedelta(minutes=i)) for i in range(2)]
    [c] = an.backdate_burst("x", es, t, CAL, TZ)
    assert c.evidence["reason"] == "month_cutoff" and c.period == "2026-12"


def test_mass_approval():
    t = T.model_copy(update={"mass_approval_count": 5, "mass_approval_minutes": 2})
    at = datetime(2026, 12, 2, 3, tzinfo=timezone.utc)
    quick = [an.DecisionFact(str(i), at + timedelta(seconds=10 * i), "approve") for i in range(5)]
    c = an.mass_approval("boss", date(2026, 12, 2), quick, t)
    assert c.evidence["count"] == 5 and c.subject_key == "boss:2026-12-02"
    slow = [an.DecisionFact(str(i), at + timedelta(minutes=i), "approve") for i in range(5)]
    assert an.mass_approval("boss", date(2026, 12, 2), slow, t) is None
    rejects = [an.DecisionFact(str(i), at, "reject") for i in range(9)]
    assert an.mass_approval("boss", date(2026, 12, 2), rejects, t) is None


def test_out_of_hours_approvals():
    t = T.model_copy(update={"out_of_hours_min_count": 3})
    night = datetime(2026, 12, 2, 15, tzinfo=timezone.utc)  # 22:00 WIB
    saturday = datetime(2026, 12, 5, 3, tzinfo=timezone.utc)  # 10:00 WIB on a Saturday
    day = datetime(2026, 12, 2, 3, tzinfo=timezone.utc)  # 10:00 WIB on a Wednesday
    assert an.outside_working_hours(night, t, CAL, TZ) and an.outside_working_hours(saturday, t, CAL, TZ)
    assert not an.outside_working_hours(day, t, CAL, TZ)
    ds = [an.DecisionFact("1", night, "approve"), an.DecisionFact("2", saturday, "approve"),
          an.DecisionFact("3", day, "approve")]
    assert an.out_of_hours_approvals("boss", "2026-12", ds, t, CAL, TZ) is None
    ds.append(an.DecisionFact("4", night + timedelta(minutes=5), "approve"))
    c = an.out_of_hours_approvals("boss", "2026-12", ds, t, CAL, TZ)
    assert c.evidence["count"] == 3 and c.subject_key == "boss:2026-12"


def test_review_transitions():
    assert an.review("new", "reviewed", None) is an.State.reviewed
    assert an.review("reviewed", "dismissed", "wajar: rapat lembur") is an.State.dismissed
    with pytest.raises(InvalidField) as e:
        an.review("new", "dismissed", " ")
    assert e.value.field == "reason"
    with pytest.raises(InvalidField):
        an.review("new", "new", None)
    with pytest.raises(TransitionRefused):
        an.review("dismissed", "reviewed", None)


def test_thresholds_validated_naming_the_field():
    t = load_thresholds(None)
    assert t.mass_approval_count == 100 and t.working_hours.start == time(7)
    with pytest.raises(ProfileError, match="k_bands"):
        parse_thresholds({"k_bands": ["0.5", "0.2"]})
    with pytest.raises(ProfileError, match="absent_statuses"):
        parse_thresholds({"absent_statuses": ["libur"]})
    with pytest.raises(ProfileError, match="working_hours"):
        parse_thresholds({"working_hours": {"start": "17:00", "end": "07:00"}})
    with pytest.raises(ProfileError, match="surprise"):
        parse_thresholds({"surprise": 1})


async def test_stream_slots_cap_per_user_and_release_once():
    from scoring_service.live import StreamSlots
    slots = StreamSlots()
    a, b = slots.take("x", 2), slots.take("x", 2)
    assert a and b and slots.take("x", 2) is None and slots.take("y", 2)
    await a.release()
    await a.release()  # the generator's finally and the response's background both release
    assert slots.open["x"] == 1 and slots.take("x", 2)


async def test_summaries_shared_by_the_streams_of_a_unit():
    import asyncio
    import time as t

    from scoring_service.api.dashboard import Summaries
    calls = []

    async def compute():
        calls.append(1)
        await asyncio.sleep(0.01)
        return {"n": len(calls)}
    s, since = Summaries(), t.monotonic()
    got = await asyncio.gather(*(s.get(("U", "2026-12"), since, compute) for _ in range(20)))
    assert len(calls) == 1 and set(got) == {'{"n": 1}'}
    later = t.monotonic()
    assert await s.get(("U", "2026-12"), later, compute) == '{"n": 2}'  # read after it: computed again
