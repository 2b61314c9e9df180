"""The tamper-evident audit trail: each entry's hash covers the previous one. Pure."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone

GENESIS = "0" * 64


def chain_hash(prev_hash: str, entry: dict) -> str:
    """SHA-256 over the previous hash and the entry's canonical JSON."""
    canonical = json.dumps(entry, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


@dataclass(frozen=True)
class StoredEntry:
    id: int
    task_id: str
    activity_id: str
    actor_nip: str
    action: str
    reason: str | None
    at: datetime
    prev_hash: str
    hash: str
    on_behalf_of: str | None = None  # a delegate's decision: the assignee they decided for

    def canonical(self) -> dict:
        at = self.at if self.at.tzinfo else self.at.replace(tzinfo=timezone.utc)  # SQLite drops the zone
        return canonical_entry(task_id=self.task_id, activity_id=self.activity_id, actor_nip=self.actor_nip,
                               action=self.action, reason=self.reason, at=at.isoformat(),
                               on_behalf_of=self.on_behalf_of)


def canonical_entry(*, on_behalf_of: str | None = None, **fields) -> dict:
    """The fields an entry's hash covers. Fields added after the first entries were written
    (`on_behalf_of`) are covered only when set, so entries written before them still verify."""
    return {**fields, "on_behalf_of": on_behalf_of} if on_behalf_of is not None else fields


@dataclass
class ChainCheck:
    """Walks the chain in id order; `first_broken` is the first entry whose hash or link fails."""
    ok: bool = True
    entries: int = 0
    first_broken: int | None = None
    _prev: str = GENESIS

    def feed(self, entry: StoredEntry) -> None:
        self.entries += 1
        if not self.ok:
            return
        if entry.prev_hash != self._prev or chain_hash(self._prev, entry.canonical()) != entry.hash:
            self.ok, self.first_broken = False, entry.id
        self._prev = entry.hash
