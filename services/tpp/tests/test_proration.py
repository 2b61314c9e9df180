"""Days in each post (transfers, kelas changes, joiners, leavers), with the rupiah written out."""

from datetime import date

from tpp_service.domain.compute import Post, TppInputs, compute_tpp
from tpp_service.domain.proration import month_posts
from tpp_service.region import load_rule_sets

RULES = load_rule_sets(None)[0]
NOV = dict(first=date(2026, 11, 1), last=date(2026, 11, 30))


def posting(since, until=None, kelas=9, active=True, kind="PNS"):
    return {"valid_from": since, "valid_until": until, "kelas_jabatan": kelas, "employee_type": kind, "active": active}


def base(posts):
    inp = TppInputs(kelas_jabatan=posts[-1].kelas_jabatan, employee_type=posts[-1].employee_type,
                    days_in_post=sum(p.days for p in posts), days_in_month=30, workdays=21, approved_minutes=0,
                    posts=posts)
    return compute_tpp(RULES, inp)


def test_a_transfer_on_the_15th_pays_each_post_its_days():
    posts = month_posts([posting("2026-01-02", "2026-11-14", kelas=9), posting("2026-11-15", kelas=11)],
                        kelas_jabatan=11, employee_type="PNS", active=True, **NOV)
    assert posts == (Post(9, "PNS", 14), Post(11, "PNS", 16))
    r = base(posts)
    # 6,000,000 x 14/30 + 8,000,000 x 16/30 = 2,800,000 + 4,266,666.67 = Rp7,066,667 (half-up once)
    assert r.base_amount == 7_066_667
    assert "14/30" in r.breakdown[0].rule and "16/30" in r.breakdown[0].rule


def test_a_leaver_on_the_10th_is_paid_nine_days_and_a_joiner_from_the_21st_ten():
    leaver = month_posts([posting("2026-01-02", "2026-11-09"), posting("2026-11-10", active=False)],
                         kelas_jabatan=9, employee_type="PNS", active=False, **NOV)
    assert leaver == (Post(9, "PNS", 9),) and base(leaver).base_amount == 1_800_000  # 6,000,000 x 9/30
    joiner = month_posts([posting("2026-11-21")], kelas_jabatan=9, employee_type="PNS", active=True, **NOV)
    assert joiner == (Post(9, "PNS", 10),) and base(joiner).base_amount == 2_000_000  # 6,000,000 x 10/30


def test_without_a_history_the_flat_state_decides_and_equal_posts_merge():
    assert month_posts(None, kelas_jabatan=9, employee_type="PNS", active=True, **NOV) == (Post(9, "PNS", 30),)
    assert month_posts(None, kelas_jabatan=9, employee_type="PNS", active=False, **NOV) == ()
    assert month_posts([posting("2026-01-02", "2026-10-31")], kelas_jabatan=9, employee_type="PNS",
                       active=True, **NOV) == ()  # left before the month
    same = month_posts([posting("2026-01-02", "2026-11-14"), posting("2026-11-15")],  # a new atasan, same pay
                       kelas_jabatan=9, employee_type="PNS", active=True, **NOV)
    assert same == (Post(9, "PNS", 30),)
