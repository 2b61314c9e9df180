"""Approval rules (DOMAIN.md, Approval). Pure functions."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

from kinerja_kit.http import FieldError

PENDING = "pending"
UNASSIGNED = "unassigned"  # no atasan langsung in the org data (the top of the chain)
DECIDED_STATUS = {"approve": "approved", "reject": "rejected", "return": "returned"}


class Forbidden(Exception):
    pass


class Conflict(Exception):
    pass


def check_decision(*, decision: str, reason: str | None, actor_nip: str, owner_nip: str,
                   assignee_nip: str | None, status: str) -> None:
    """Raise FieldError (422), Forbidden (403) or Conflict (409); return when the decision stands."""
    if actor_nip == owner_nip:
        raise Forbidden("nobody decides their own activity")
    if actor_nip != assignee_nip:
        raise Forbidden("only the assigned superior decides this activity")
    if decision in ("reject", "return") and not (reason and reason.strip()):
        raise FieldError("reason", f"required to {decision}")
    if status != PENDING:
        raise Conflict(f"task is already {status}")


def add_working_days(start: datetime, days: int) -> datetime:
    """`start` plus `days` working days (Mon–Fri)."""
    d = start
    while days > 0:
        d += timedelta(days=1)
        if d.weekday() < 5:
            days -= 1
    return d


def chain_hash(prev_hash: str, entry: dict) -> str:
    """SHA-256 over the previous hash and the entry's canonical JSON."""
    canonical = json.dumps(entry, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()
