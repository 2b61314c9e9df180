import uuid
from datetime import date, datetime, timezone
from decimal import Decimal

from kinerja_contracts.approval.v1 import ApprovalDecidedV1, Decision
from kinerja_contracts.tpp.v1 import TppComputedV1
from notify_service.domain.messages import approval_decided, tpp_computed

NOW = datetime(2026, 11, 22, tzinfo=timezone.utc)


def test_decision_tells_the_employee_with_the_reason():
    e = ApprovalDecidedV1(task_id=uuid.uuid4(), activity_id=uuid.uuid4(), nip="198503302010011002",
                          approver_nip="197501012000031001", decision=Decision.return_, reason="lampirkan bukti",
                          type_code="LAPORAN", work_date=date(2026, 11, 20), minutes=240, points=Decimal(0),
                          decided_at=NOW)
    [m] = approval_decided(e)
    assert m.recipient_nip == "198503302010011002"
    assert "dikembalikan" in m.body and "lampirkan bukti" in m.body


def test_tpp_message_formats_rupiah():
    e = TppComputedV1(nip="198503302010011002", period="2026-11", revision=1, name="Ani", unit_code="X",
                      employee_type="PNS", kelas_jabatan=9, base_amount=6_000_000, kinerja_amount=3_428_571,
                      disiplin_amount=2_256_000, deductions=0, total_amount=5_684_571,
                      productivity=Decimal("0.95238"), discipline_factor=Decimal("0.94"), rule_set="r",
                      computed_at=NOW)
    [m] = tpp_computed(e)
    assert "Rp5.684.571" in m.body


def test_reminder_tells_the_approver_the_deadline():
    from kinerja_contracts.approval.v1 import ApprovalReminderV1
    from notify_service.domain.messages import approval_reminder
    from notify_service.handlers.consumers import ROUTES
    from kinerja_contracts.topics import APPROVAL_REMINDER
    e = ApprovalReminderV1(task_id=uuid.uuid4(), activity_id=uuid.uuid4(), nip="198503302010011002",
                           approver_nip="197501012000031001", type_code="LAPORAN", work_date=date(2026, 11, 20),
                           due_at=datetime(2026, 11, 26, 2, tzinfo=timezone.utc), due_date=date(2026, 11, 26),
                           reminded_at=NOW)
    [m] = approval_reminder(e)
    assert (m.recipient_nip, m.kind) == ("197501012000031001", "approval.reminder")
    assert "2026-11-26" in m.body and "198503302010011002" in m.body
    assert ROUTES[APPROVAL_REMINDER] is approval_reminder
