"""What each event tells whom (domain/messages.py), rendered from the packaged templates, and the
templates a region can replace: refused at start when they do not fit the code, naming the key."""

import json
import uuid
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from kinerja_contracts.approval.v1 import ApprovalDecidedV1, ApprovalEscalatedV1, ApprovalRequestedV1, Decision
from kinerja_contracts.approval.v1 import ApprovalReminderV1
from kinerja_contracts.tpp.v1 import TppComputedV1
from kinerja_contracts.topics import APPROVAL_REMINDER, TPP_COMPUTED
from notify_service.domain import messages
from notify_service.domain.messages import (FIELDS, approval_decided, approval_digest, approval_escalated,
                                            approval_reminder, approval_requested, low_activity, tpp_computed)
from notify_service.domain.templates import TemplateError
from notify_service.handlers.consumers import ROUTES
from notify_service.region import PACKAGED, load_templates

NOW = datetime(2026, 11, 22, tzinfo=timezone.utc)
STAFF, HEAD, KADIS = "198503302010011002", "197501012000031001", "196801011990031001"
T = load_templates(None)


def decided(decision: Decision, reason: str | None) -> ApprovalDecidedV1:
    return ApprovalDecidedV1(task_id=uuid.uuid4(), activity_id=uuid.uuid4(), nip=STAFF, approver_nip=HEAD,
                             decision=decision, reason=reason, type_code="LAPORAN", work_date=date(2026, 11, 20),
                             minutes=240, points=Decimal(0), decided_at=NOW)


def slip(revision: int) -> TppComputedV1:
    return TppComputedV1(nip=STAFF, period="2026-11", revision=revision, name="Ani", unit_code="X",
                         employee_type="PNS", kelas_jabatan=9, base_amount=6_000_000, kinerja_amount=3_428_571,
                         disiplin_amount=2_256_000, deductions=0, total_amount=5_684_571,
                         productivity=Decimal("0.95238"), discipline_factor=Decimal("0.94"), rule_set="r",
                         computed_at=NOW)


def test_a_new_task_tells_the_superior():
    e = ApprovalRequestedV1(task_id=uuid.uuid4(), activity_id=uuid.uuid4(), nip=STAFF, approver_nip=HEAD,
                            type_code="LAPORAN", work_date=date(2026, 11, 20), minutes=240, points=Decimal(0),
                            requested_at=NOW)
    [m] = approval_requested(e, T)
    assert (m.recipient_nip, m.kind) == (HEAD, "approval.requested")
    assert m.body == f"Aktivitas LAPORAN tanggal 2026-11-20 dari NIP {STAFF} menunggu keputusan Anda."
    assert m.data == {"activity_id": str(e.activity_id), "task_id": str(e.task_id), "nip": STAFF}


def test_decision_tells_the_employee_with_the_reason():
    [m] = approval_decided(decided(Decision.return_, "lampirkan bukti"), T)
    assert m.recipient_nip == STAFF
    assert m.title == "Aktivitas dikembalikan untuk perbaikan"
    assert "dikembalikan" in m.body and m.body.endswith("Alasan: lampirkan bukti")
    [plain] = approval_decided(decided(Decision.approve, None), T)
    assert plain.body == "Aktivitas LAPORAN tanggal 2026-11-20 disetujui." and "Alasan" not in plain.body


def test_an_escalation_tells_both_approvers():
    e = ApprovalEscalatedV1(task_id=uuid.uuid4(), activity_id=uuid.uuid4(), nip=STAFF, from_approver_nip=HEAD,
                            to_approver_nip=KADIS, escalated_at=NOW, reason="melewati batas 3 hari kerja")
    to, frm = approval_escalated(e, T)
    assert (to.recipient_nip, frm.recipient_nip) == (KADIS, HEAD)
    assert "melewati batas 3 hari kerja" in to.body and STAFF in frm.body
    assert {to.kind, frm.kind} == {"approval.escalated"} and (to.data["role"], frm.data["role"]) == ("to", "from")


def test_reminder_tells_the_approver_the_deadline():
    e = ApprovalReminderV1(task_id=uuid.uuid4(), activity_id=uuid.uuid4(), nip=STAFF, approver_nip=HEAD,
                           type_code="LAPORAN", work_date=date(2026, 11, 20),
                           due_at=datetime(2026, 11, 26, 2, tzinfo=timezone.utc), due_date=date(2026, 11, 26),
                           reminded_at=NOW)
    [m] = approval_reminder(e, T)
    assert (m.recipient_nip, m.kind) == (HEAD, "approval.reminder")
    assert "2026-11-26" in m.body and STAFF in m.body
    assert ROUTES[APPROVAL_REMINDER] is approval_reminder


def test_the_months_close_says_the_slip_is_ready_and_a_revision_says_so():
    [ready] = tpp_computed(slip(1), T)
    assert (ready.kind, ready.title) == ("tpp.computed", "Slip TPP 2026-11 siap")
    assert "Rp5.684.571" in ready.body
    assert ready.data == {"period": "2026-11", "revision": 1, "total_amount": 5_684_571}
    [revised] = tpp_computed(slip(2), T)
    assert (revised.kind, revised.title) == ("tpp.revised", "Slip TPP 2026-11 direvisi")
    assert "revisi ke-2" in revised.body and "Rp5.684.571" in revised.body
    assert ROUTES[TPP_COMPUTED] is tpp_computed


def test_the_digest_and_the_low_activity_reminder():
    d = approval_digest(HEAD, 12, "09:30", T, {"digest_id": 3})
    assert (d.kind, d.title) == ("approval.digest", "12 aktivitas menunggu persetujuan Anda")
    assert "sejak pukul 09:30" in d.body and d.data == {"digest_id": 3, "count": 12}
    low = low_activity(STAFF, "2026-11", 3, date(2026, 11, 30), T)
    assert (low.recipient_nip, low.kind) == (STAFF, "activity.reminder")
    assert "3 aktivitas" in low.body and "2026-11-30" in low.body


# --- the templates a region replaces -------------------------------------------------------------

def write(tmp_path, raw) -> str:
    (tmp_path / "notify_templates.json").write_text(json.dumps(raw), encoding="utf-8")
    return str(tmp_path)


def test_the_packaged_templates_cover_every_key_with_exactly_its_placeholders():
    raw = json.loads(PACKAGED.read_text(encoding="utf-8"))
    assert set(raw["templates"]) == set(FIELDS)
    assert set(raw["words"]) == messages.WORDS


def test_a_region_replaces_some_templates(tmp_path):
    t = load_templates(write(tmp_path, {"templates": {"approval.requested": {
        "title": "Tugas baru", "body": "NIP ${nip}: $type_code ($work_date) perlu diputuskan."}},
        "words": {"decision.reject": "tidak disetujui"}}))
    e = ApprovalRequestedV1(task_id=uuid.uuid4(), activity_id=uuid.uuid4(), nip=STAFF, approver_nip=HEAD,
                            type_code="RAPAT", work_date=date(2026, 11, 20), minutes=60, points=Decimal(0),
                            requested_at=NOW)
    [m] = approval_requested(e, t)
    assert (m.title, m.body) == ("Tugas baru", f"NIP {STAFF}: RAPAT (2026-11-20) perlu diputuskan.")
    [r] = approval_decided(decided(Decision.reject, "tidak sesuai"), t)
    assert r.title == "Aktivitas tidak disetujui"  # the packaged template, the region's word
    [ready] = tpp_computed(slip(1), t)
    assert ready.title == "Slip TPP 2026-11 siap"  # not replaced


@pytest.mark.parametrize("raw, named", [
    ({"templates": {"approval.decided.reason": {"title": "Aktivitas $decision",
                                                "body": "Aktivitas $type_code tanggal $work_date $decision."}}},
     "approval.decided.reason"),  # drops $reason
    ({"templates": {"tpp.revised": {"title": "Slip $period", "body": "Revisi $revision: $amount oleh $operator"}}},
     "tpp.revised"),  # names one the code does not supply
    ({"templates": {"approval.digest": {"title": "$count tugas", "body": "sejak $since, $"}}},
     "approval.digest"),  # a lone $
    ({"templates": {"approval.requestd": {"title": "x", "body": "y"}}}, "approval.requestd"),  # a typo
    ({"templates": {"activity.low": {"title": "Pengingat $period"}}}, "activity.low"),  # no body
    ({"words": {"decision.maybe": "mungkin"}}, "decision.maybe"),
])
def test_a_template_that_does_not_fit_is_refused_naming_its_key(tmp_path, raw, named):
    with pytest.raises(TemplateError) as e:
        load_templates(write(tmp_path, raw))
    assert named in str(e.value) and "notify_templates.json" in str(e.value)


def test_a_template_set_missing_a_key_is_refused():
    from notify_service.domain.templates import parse_templates
    raw = json.loads(PACKAGED.read_text(encoding="utf-8"))
    del raw["templates"]["tpp.slip_ready"]
    with pytest.raises(TemplateError, match=r"tpp\.slip_ready.*missing"):
        parse_templates(raw, FIELDS, messages.WORDS)


def test_the_service_refuses_to_start_with_a_bad_template(tmp_path, monkeypatch):
    from notify_service.main import create_app, load_settings
    write(tmp_path, {"templates": {"approval.reminder": {"title": "Pengingat", "body": "Segera putuskan."}}})
    with pytest.raises(TemplateError, match=r"approval\.reminder.*\$due_date"):
        create_app(load_settings(region_config_dir=str(tmp_path), database_url=f"sqlite:///{tmp_path}/n.db"))
