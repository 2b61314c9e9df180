"""The topic registry: every topic, its key, body model, partitions and cleanup policy.

Topics are created from this registry (never auto-created); the JSON Schemas in `schemas/`
and the k8s KafkaTopic resources are generated from it."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from kinerja_contracts.activity.v1 import (
    ActivityRevisedV1,
    ActivityScoredV1,
    ActivitySubmittedV1,
    ActivityWithdrawnV1,
)
from kinerja_contracts.appraisal.v1 import AppraisalFinalizedV1
from kinerja_contracts.approval.v1 import (
    ApprovalDecidedV1,
    ApprovalEscalatedV1,
    ApprovalReminderV1,
    ApprovalRequestedV1,
    ApprovalSlaMonthlyV1,
)
from kinerja_contracts.attendance.v1 import AttendanceRecordedV1
from kinerja_contracts.catalog.v1 import ActivityTypeV1
from kinerja_contracts.calendar.v1 import CalendarYearV1
from kinerja_contracts.discipline.v1 import DisciplineSanctionedV1
from kinerja_contracts.org.v1 import EmployeeV1
from kinerja_contracts.performance.v1 import PerformanceMonthlyV1
from kinerja_contracts.talent.v1 import TalentBoxAssignedV1
from kinerja_contracts.tpp.v1 import TppComputedV1, TppPeriodClosedV1


@dataclass(frozen=True)
class TopicSpec:
    name: str
    model: type[BaseModel]
    key: str
    partitions: int
    compacted: bool
    producer: str
    description: str

    @property
    def event_type(self) -> str:
        """The `event-type` header: the topic name without its version suffix."""
        return self.name.rsplit(".", 1)[0]

    @property
    def schema_version(self) -> int:
        return int(self.name.rsplit(".v", 1)[1])


def _t(name, model, key, partitions, compacted, producer, description) -> TopicSpec:
    return TopicSpec(name, model, key, partitions, compacted, producer, description)


ORG_EMPLOYEE = "org.employee.v1"
CATALOG_ACTIVITY_TYPE = "catalog.activity-type.v1"
CALENDAR_YEAR = "calendar.year.v1"
ACTIVITY_SUBMITTED = "activity.submitted.v1"
ACTIVITY_REVISED = "activity.revised.v1"
ACTIVITY_WITHDRAWN = "activity.withdrawn.v1"
ACTIVITY_SCORED = "activity.scored.v1"
ATTENDANCE_RECORDED = "attendance.recorded.v1"
APPROVAL_REQUESTED = "approval.requested.v1"
APPROVAL_DECIDED = "approval.decided.v1"
APPROVAL_ESCALATED = "approval.escalated.v1"
APPROVAL_REMINDER = "approval.reminder.v1"
APPROVAL_SLA_MONTHLY = "approval.sla-monthly.v1"
PERFORMANCE_MONTHLY = "performance.monthly.v1"
DISCIPLINE_SANCTIONED = "discipline.sanctioned.v1"
TPP_COMPUTED = "tpp.computed.v1"
TPP_PERIOD_CLOSED = "tpp.period.closed.v1"
APPRAISAL_FINALIZED = "appraisal.finalized.v1"
TALENT_BOX_ASSIGNED = "talent.box-assigned.v1"

TOPICS: dict[str, TopicSpec] = {
    t.name: t
    for t in [
        _t(ORG_EMPLOYEE, EmployeeV1, "nip", 6, True, "activity", "Latest state of each employee."),
        _t(CATALOG_ACTIVITY_TYPE, ActivityTypeV1, "version_key", 1, True, "scoring",
           "Activity catalog, every version (key code@effective_from)."),
        _t(CALENDAR_YEAR, CalendarYearV1, "year", 1, True, "activity",
           "The region calendar of one year: holidays, cuti bersama, regional exceptions (latest revision)."),
        _t(ACTIVITY_SUBMITTED, ActivitySubmittedV1, "nip", 6, False, "activity", "An activity was logged."),
        _t(ACTIVITY_REVISED, ActivityRevisedV1, "nip", 6, False, "activity", "An activity was revised (while pending, or after a return)."),
        _t(ACTIVITY_WITHDRAWN, ActivityWithdrawnV1, "nip", 6, False, "activity", "An activity was withdrawn."),
        _t(ACTIVITY_SCORED, ActivityScoredV1, "nip", 6, False, "scoring", "An activity was priced."),
        _t(ATTENDANCE_RECORDED, AttendanceRecordedV1, "nip", 6, False, "activity", "A day's attendance."),
        _t(APPROVAL_REQUESTED, ApprovalRequestedV1, "nip", 6, False, "approval", "A superior must decide."),
        _t(APPROVAL_DECIDED, ApprovalDecidedV1, "nip", 6, False, "approval", "A superior decided."),
        _t(APPROVAL_ESCALATED, ApprovalEscalatedV1, "nip", 6, False, "approval", "A task moved up the chain."),
        _t(APPROVAL_REMINDER, ApprovalReminderV1, "nip", 6, False, "approval",
           "A pending task is due in one working day: its approver is reminded (notify)."),
        _t(APPROVAL_SLA_MONTHLY, ApprovalSlaMonthlyV1, "nip", 6, False, "approval",
           "Tasks an approver let escalate in a month (key = the approver's NIP); latest version per (nip, period) "
           "wins. For the optional unvalidated_penalty TPP rule (tpp)."),
        _t(PERFORMANCE_MONTHLY, PerformanceMonthlyV1, "nip", 6, False, "scoring", "Monthly performance; latest version per (nip, period) wins."),
        _t(DISCIPLINE_SANCTIONED, DisciplineSanctionedV1, "nip", 3, False, "activity",
           "A disciplinary sanction (hukuman disiplin) with its TPP cut from the region rule set."),
        _t(TPP_COMPUTED, TppComputedV1, "nip", 6, False, "tpp", "TPP of one employee for one period (payroll)."),
        _t(TPP_PERIOD_CLOSED, TppPeriodClosedV1, "period", 1, False, "tpp", "A period was closed."),
        _t(APPRAISAL_FINALIZED, AppraisalFinalizedV1, "nip", 6, False, "scoring",
           "An SKP appraisal became final (predikat, ratings, angka kredit factor); for tpp's SIASN export."),
        _t(TALENT_BOX_ASSIGNED, TalentBoxAssignedV1, "nip", 6, False, "scoring",
           "An employee's 9-box talent box for a period; latest per (nip, period) wins. For HR and talent-management systems: Kinerja's own services do not consume it."),
    ]
}


DLQ_PARTITIONS = 1
DLQ_RETENTION_MS = 30 * 24 * 3600 * 1000
EVENT_RETENTION_MS = -1  # event topics are kept: read models are rebuilt by replaying them


def topic_config(name: str) -> tuple[TopicSpec, int, dict[str, str]]:
    """The registry entry a topic (or its DLQ) belongs to, its partitions and its topic config."""
    for s in TOPICS.values():
        if name == s.name:
            if s.compacted:
                return s, s.partitions, {"cleanup.policy": "compact"}
            return s, s.partitions, {"cleanup.policy": "delete", "retention.ms": str(EVENT_RETENTION_MS)}
        if name == dlq_topic(s.name):
            return s, DLQ_PARTITIONS, {"cleanup.policy": "delete", "retention.ms": str(DLQ_RETENTION_MS)}
    raise KeyError(name)


def dlq_topic(topic: str) -> str:
    """Dead-letter topic for records of `topic` that can never be processed."""
    return f"{topic}.dlq"


def spec(topic: str) -> TopicSpec:
    return TOPICS[topic]


def all_topic_names() -> list[str]:
    """Every topic to create: the registry's and their dead-letter topics."""
    return sorted([*TOPICS, *(dlq_topic(t) for t in TOPICS)])
