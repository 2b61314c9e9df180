"""Who approves (DOMAIN.md, Approval; issue 9). Pure rules; the walk over the org data is in
application/routing.py.

- The superior is the employee's atasan langsung **as of the work date** (personnel history).
- Acting and vacancy are read **as of today** (who can decide now): an active Plh (holder away)
  or Plt decides for the official; a vacant post (holder inactive) without one passes it up.
- A missing superior goes to the unit head (the unit's highest official above the employee) and,
  failing that, to the next level of the region's chain held by anyone (named levels such as
  Sekda, Wawako, Wako), never to nobody while someone is above."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class ChainLevel:
    level: str
    eselon: str | None = None  # the roman part: "IV" matches IV.a and IV.b
    position: str | None = None  # a named post, e.g. "Sekretaris Daerah"

    def matches(self, position: str, eselon: str | None) -> bool:
        if self.position is not None:
            return position.strip().casefold() == self.position.casefold()
        return bool(eselon) and eselon.split(".")[0].strip().upper() == self.eselon


def rank(chain: list[ChainLevel], position: str, eselon: str | None) -> int:
    """The index of the employee's level in the chain (named posts first), -1 for staff."""
    for i, level in enumerate(chain):
        if level.position is not None and level.matches(position, eselon):
            return i
    for i, level in enumerate(chain):
        if level.eselon is not None and level.matches(position, eselon):
            return i
    return -1


@dataclass(frozen=True)
class ActingView:
    nip: str
    kind: str  # Plt | Plh
    valid_from: date
    valid_until: date


def acting_on(assignments: list[ActingView], day: date) -> ActingView | None:
    """The Plh (the holder is away) or else Plt in force on `day`; the latest start wins."""
    live = [a for a in assignments if a.valid_from <= day <= a.valid_until]
    live.sort(key=lambda a: (a.kind == "Plh", a.valid_from))
    return live[-1] if live else None


@dataclass(frozen=True)
class Route:
    assignee: str | None
    reason: str
