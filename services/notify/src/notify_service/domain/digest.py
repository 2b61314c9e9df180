"""When a superior gets many approval tasks at once, one digest instead of a message each. Pure.

The rule, per recipient (a sliding window of `window`, by the time notify stores the notification):
- the first `threshold` tasks within the window are individual notifications;
- the next one opens a digest: one notification saying how many tasks came in the window (the
  individual ones included) and since when; its window runs `window` from that moment;
- every task while the digest is open folds into it: the count goes up and the digest notification
  is replaced by one with a new id (so an open stream and `Last-Event-ID` see it as new; its
  `data.digest_id` stays the same, for a client that shows each digest once);
- after the digest's window the count starts again: at most `threshold` individual notifications
  and one digest per window, however many tasks arrive.
Off for a recipient whose `digest` preference is off, and for everyone with a threshold of 0."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import Enum


class Action(str, Enum):
    individual = "individual"  # a notification of its own
    open = "open"  # opens a digest (counting the recent individual ones)
    fold = "fold"  # goes into the open digest


@dataclass(frozen=True)
class DigestRule:
    threshold: int = 5
    window: timedelta = timedelta(minutes=30)

    @property
    def enabled(self) -> bool:
        return self.threshold > 0 and self.window > timedelta(0)

    def decide(self, *, recent_individual: int, digest_open: bool, wanted: bool = True) -> Action:
        """`recent_individual`: the recipient's individual task notifications within the last `window`;
        `digest_open`: a digest of the recipient's whose window has not ended; `wanted`: their preference."""
        if not (wanted and self.enabled):
            return Action.individual
        if digest_open:
            return Action.fold
        return Action.open if recent_individual >= self.threshold else Action.individual
