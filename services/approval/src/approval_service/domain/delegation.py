"""A superior's delegation of their approvals to a peer for a range of days (DOMAIN.md, Approval:
"only the current assignee, or an active delegate, decides"). Pure: no I/O.

    create ──▶ active on every day from `valid_from` to `until` (both included) ──▶ over by itself
       │                                   │
       └────────────── revoke ─────────────┘──▶ revoked (never active again)

A delegation is not transitive: a delegate decides the delegator's own tasks only, never tasks
someone else delegated to the delegator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from kinerja_kit.errors import InvalidField, NotPermitted, TransitionRefused

MAX_DAYS = 90  # the longest delegation, both ends included


@dataclass
class Delegation:
    id: str
    delegator_nip: str  # whose approvals
    delegate_nip: str  # who decides them meanwhile
    valid_from: date
    until: date
    created_by: str
    created_at: datetime
    revoked_at: datetime | None = None
    revoked_by: str | None = None

    @classmethod
    def create(cls, *, id: str, delegator_nip: str, delegate_nip: str, valid_from: date, until: date,
               created_by: str, now: datetime, today: date, max_days: int = MAX_DAYS) -> "Delegation":
        """A new delegation; refused naming the field: to oneself, ending before it starts, longer
        than `max_days`, or already over on `today` (the region's date)."""
        if delegate_nip == delegator_nip:
            raise InvalidField("delegate_nip", "nobody delegates to themself")
        if until < valid_from:
            raise InvalidField("until", f"{until} is before from ({valid_from})")
        if (until - valid_from).days + 1 > max_days:
            raise InvalidField("until", f"a delegation lasts at most {max_days} days "
                                        f"(until {valid_from + timedelta(days=max_days - 1)} at the latest)")
        if until < today:
            raise InvalidField("until", f"{until} is already over (today is {today})")
        return cls(id=id, delegator_nip=delegator_nip, delegate_nip=delegate_nip, valid_from=valid_from,
                   until=until, created_by=created_by, created_at=now)

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def active_on(self, day: date) -> bool:
        """In force on `day`: inside the range and not revoked (it ends by itself after `until`)."""
        return not self.revoked and self.valid_from <= day <= self.until

    def lets(self, delegate_nip: str, decide_for: str | None, day: date) -> bool:
        """Does this delegation let `delegate_nip` decide for `decide_for` on `day`?"""
        return (decide_for is not None and self.delegator_nip == decide_for
                and self.delegate_nip == delegate_nip and self.active_on(day))

    def revoke(self, *, by_nip: str, is_admin: bool, now: datetime) -> None:
        """The delegator (or an admin) ends it now; revoking twice is refused."""
        if by_nip != self.delegator_nip and not is_admin:
            raise NotPermitted("only the delegator or an admin revokes a delegation")
        if self.revoked:
            raise TransitionRefused("delegation", "revoked", "revoke")
        self.revoked_at, self.revoked_by = now, by_nip
