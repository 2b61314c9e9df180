"""What each event tells whom, in the users' language. Pure: the texts come from the region's
templates (`notify_service/region/templates.json`), passed in.

`FIELDS` is what the code supplies to each template key (checked at start: a region's template
must use exactly these placeholders), `WORDS` the word keys the texts insert."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from kinerja_contracts.approval.v1 import ApprovalDecidedV1, ApprovalEscalatedV1, ApprovalRequestedV1
from kinerja_contracts.approval.v1 import ApprovalReminderV1
from kinerja_contracts.tpp.v1 import TppComputedV1
from notify_service.domain.templates import Templates

REQUESTED = "approval.requested"
DIGEST = "approval.digest"
LOW_ACTIVITY = "activity.reminder"

FIELDS: dict[str, frozenset[str]] = {k: frozenset(v) for k, v in {
    "approval.requested": {"type_code", "work_date", "nip"},
    "approval.digest": {"count", "since"},
    "approval.decided": {"decision", "type_code", "work_date"},
    "approval.decided.reason": {"decision", "type_code", "work_date", "reason"},
    "approval.escalated.to": {"nip", "reason"},
    "approval.escalated.from": {"nip"},
    "approval.reminder": {"type_code", "work_date", "nip", "due_date"},
    "tpp.slip_ready": {"period", "amount"},
    "tpp.revised": {"period", "amount", "revision"},
    "activity.low": {"period", "count", "cutoff"},
}.items()}
WORDS: frozenset[str] = frozenset({"decision.approve", "decision.reject", "decision.return"})


@dataclass(frozen=True)
class Message:
    recipient_nip: str
    kind: str
    title: str
    body: str
    data: dict = field(default_factory=dict)


def _message(t: Templates, recipient: str, kind: str, key: str, data: dict, **values: object) -> Message:
    title, body = t.render(key, **values)
    return Message(recipient, kind, title, body, data)


def rupiah(amount: int) -> str:
    return f"Rp{amount:,}".replace(",", ".")


def approval_requested(e: ApprovalRequestedV1, t: Templates) -> list[Message]:
    """The approver: a new task (several within a window become a digest: domain/digest.py)."""
    return [_message(t, e.approver_nip, REQUESTED, "approval.requested",
                     {"activity_id": str(e.activity_id), "task_id": str(e.task_id), "nip": e.nip},
                     type_code=e.type_code, work_date=e.work_date, nip=e.nip)]


def approval_digest(recipient_nip: str, count: int, since: str, t: Templates, data: dict) -> Message:
    """The approver: `count` tasks folded into one notification since `since` (HH:MM, local time)."""
    return _message(t, recipient_nip, DIGEST, "approval.digest", {**data, "count": count}, count=count, since=since)


def approval_decided(e: ApprovalDecidedV1, t: Templates) -> list[Message]:
    """The employee: the decision, with its reason when there is one."""
    word = t.word(f"decision.{e.decision.value}")
    data = {"activity_id": str(e.activity_id), "decision": e.decision.value}
    if e.reason:
        return [_message(t, e.nip, "approval.decided", "approval.decided.reason", data, decision=word,
                         type_code=e.type_code, work_date=e.work_date, reason=e.reason)]
    return [_message(t, e.nip, "approval.decided", "approval.decided", data, decision=word,
                     type_code=e.type_code, work_date=e.work_date)]


def approval_escalated(e: ApprovalEscalatedV1, t: Templates) -> list[Message]:
    """Both: the new approver (with the reason) and the approver who let the deadline pass."""
    data = {"activity_id": str(e.activity_id), "task_id": str(e.task_id), "nip": e.nip}
    return [
        _message(t, e.to_approver_nip, "approval.escalated", "approval.escalated.to", {**data, "role": "to"},
                 nip=e.nip, reason=e.reason),
        _message(t, e.from_approver_nip, "approval.escalated", "approval.escalated.from", {**data, "role": "from"},
                 nip=e.nip),
    ]


def approval_reminder(e: ApprovalReminderV1, t: Templates) -> list[Message]:
    """The approver, one working day before the deadline (after it, the task goes to their superior)."""
    return [_message(t, e.approver_nip, "approval.reminder", "approval.reminder",
                     {"activity_id": str(e.activity_id), "task_id": str(e.task_id), "nip": e.nip,
                      "due_at": e.due_at.isoformat()},
                     type_code=e.type_code, work_date=e.work_date, nip=e.nip, due_date=e.due_date)]


def tpp_computed(e: TppComputedV1, t: Templates) -> list[Message]:
    """The employee: revision 1 is the month's close (the slip is ready), a higher one a revision."""
    data = {"period": e.period, "revision": e.revision, "total_amount": e.total_amount}
    if e.revision <= 1:
        return [_message(t, e.nip, "tpp.computed", "tpp.slip_ready", data, period=e.period,
                         amount=rupiah(e.total_amount))]
    return [_message(t, e.nip, "tpp.revised", "tpp.revised", data, period=e.period,
                     amount=rupiah(e.total_amount), revision=e.revision)]


def low_activity(nip: str, period: str, count: int, cutoff: date, t: Templates) -> Message:
    """The employee, two working days before the month's cutoff, when little work is logged."""
    return _message(t, nip, LOW_ACTIVITY, "activity.low", {"period": period, "count": count,
                                                           "cutoff": cutoff.isoformat()},
                    period=period, count=count, cutoff=cutoff.isoformat())
