"""What each event tells whom, in the users' language. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field

from kinerja_contracts.approval.v1 import ApprovalDecidedV1, Decision, ApprovalEscalatedV1, ApprovalRequestedV1
from kinerja_contracts.approval.v1 import ApprovalReminderV1
from kinerja_contracts.tpp.v1 import TppComputedV1

DECISION_WORDS = {Decision.approve: "disetujui", Decision.reject: "ditolak",
                  Decision.return_: "dikembalikan untuk perbaikan"}


@dataclass(frozen=True)
class Message:
    recipient_nip: str
    kind: str
    title: str
    body: str
    data: dict = field(default_factory=dict)


def approval_requested(e: ApprovalRequestedV1) -> list[Message]:
    return [Message(e.approver_nip, "approval.requested", "Aktivitas menunggu persetujuan",
                    f"Aktivitas {e.type_code} tanggal {e.work_date} dari NIP {e.nip} menunggu keputusan Anda.",
                    {"activity_id": str(e.activity_id), "task_id": str(e.task_id), "nip": e.nip})]


def approval_decided(e: ApprovalDecidedV1) -> list[Message]:
    word = DECISION_WORDS[e.decision]
    body = f"Aktivitas {e.type_code} tanggal {e.work_date} {word}."
    if e.reason:
        body += f" Alasan: {e.reason}"
    return [Message(e.nip, "approval.decided", f"Aktivitas {word}", body,
                    {"activity_id": str(e.activity_id), "decision": e.decision.value})]


def approval_escalated(e: ApprovalEscalatedV1) -> list[Message]:
    data = {"activity_id": str(e.activity_id), "task_id": str(e.task_id)}
    return [
        Message(e.to_approver_nip, "approval.escalated", "Eskalasi persetujuan",
                f"Aktivitas NIP {e.nip} dieskalasi kepada Anda: {e.reason}", data),
        Message(e.from_approver_nip, "approval.escalated", "Persetujuan terlambat",
                f"Aktivitas NIP {e.nip} dieskalasi ke atasan Anda karena melewati batas waktu.", data),
    ]


def approval_reminder(e: ApprovalReminderV1) -> list[Message]:
    """The approver, one working day before the deadline (after it, the task goes to their superior)."""
    return [Message(e.approver_nip, "approval.reminder", "Pengingat: batas waktu persetujuan",
                    f"Aktivitas {e.type_code} tanggal {e.work_date} dari NIP {e.nip} menunggu keputusan Anda "
                    f"paling lambat {e.due_date}; setelah itu dieskalasi ke atasan Anda.",
                    {"activity_id": str(e.activity_id), "task_id": str(e.task_id), "nip": e.nip,
                     "due_at": e.due_at.isoformat()})]


def tpp_computed(e: TppComputedV1) -> list[Message]:
    amount = f"Rp{e.total_amount:,}".replace(",", ".")
    return [Message(e.nip, "tpp.computed", f"TPP {e.period} telah dihitung",
                    f"TPP bruto Anda untuk {e.period} (revisi {e.revision}): {amount}.",
                    {"period": e.period, "revision": e.revision, "total_amount": e.total_amount})]
