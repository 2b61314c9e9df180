"""A user's notification preferences: channels, quiet hours, digest. Pure.

Nobody without a stored row has preferences: `Preferences.defaults(nip)` is what applies then
(in-app only, no quiet hours, digest on). In-app notifications are always stored; quiet hours and
the channel switches are for the outside channels (email, push), which wait until `next_allowed`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from kinerja_kit.errors import InvalidField


@dataclass(frozen=True)
class Preferences:
    nip: str
    email: str | None = None
    email_enabled: bool = False
    push_enabled: bool = False
    quiet_start: time | None = None  # quiet hours [start, end) in the region's local time; may wrap midnight
    quiet_end: time | None = None
    digest: bool = True

    @classmethod
    def defaults(cls, nip: str) -> "Preferences":
        return cls(nip)

    @property
    def has_quiet_hours(self) -> bool:
        return self.quiet_start is not None and self.quiet_end is not None and self.quiet_start != self.quiet_end

    def in_quiet_hours(self, local_time: time) -> bool:
        """True when `local_time` (the region's wall clock) falls in [quiet_start, quiet_end); a range
        whose end is before its start runs over midnight (22:00–06:00)."""
        if not self.has_quiet_hours:
            return False
        t = local_time.replace(tzinfo=None)
        start, end = self.quiet_start, self.quiet_end
        if start < end:
            return start <= t < end
        return t >= start or t < end

    def next_allowed(self, local_dt: datetime) -> datetime:
        """The first instant at or after `local_dt` outside the quiet hours (`local_dt` itself when it is
        outside; else the end of the quiet range, on the same day or the next). Keeps `local_dt`'s tzinfo."""
        if not self.in_quiet_hours(local_dt.timetz()):
            return local_dt
        end = local_dt.replace(hour=self.quiet_end.hour, minute=self.quiet_end.minute, second=0, microsecond=0)
        if end <= local_dt:  # the range wrapped midnight and we are before it: it ends tomorrow
            end += timedelta(days=1)
        return end


def parse_hhmm(value: str, field: str) -> time:
    """'HH:MM' (24-hour) or InvalidField naming `field`."""
    try:
        hh, mm = value.split(":")
        if len(hh) != 2 or len(mm) != 2:
            raise ValueError
        return time(int(hh), int(mm))
    except ValueError:
        raise InvalidField(field, f"{value!r} is not a time HH:MM") from None


def format_hhmm(value: time) -> str:
    return value.strftime("%H:%M")
