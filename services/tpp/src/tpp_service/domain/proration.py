"""Days in each post within a month, from the personnel history (DOMAIN.md: TPP prorated by days
in each post; joiners and leavers paid their days). Pure."""

from __future__ import annotations

from datetime import date

from tpp_service.domain.compute import Post


def month_posts(history: list[dict] | None, *, kelas_jabatan: int, employee_type: str, active: bool,
                first: date, last: date, in_service_from: date | None = None,
                in_service_until: date | None = None) -> tuple[Post, ...]:
    """The month's posts with their days. Without a history: the whole month when active, nothing
    when not. A history's postings count where they overlap the month and are active; the days
    before the first posting are not paid (a joiner), nor those after a posting with active=false
    (a leaver). `in_service_from` / `in_service_until` (both inclusive: the first and the last paid day,
    e.g. TMT CPNS and the day before a pension or a dismissal takes effect) clip either case, so an end
    date in the personnel data stops pay without a history entry. Acting (Plt / Plh) assignments are not
    postings: an acting official is paid for their own post."""
    if in_service_from is not None:
        first = max(first, in_service_from)
    if in_service_until is not None:
        last = min(last, in_service_until)
    if first > last:
        return ()
    if not history:
        return (Post(kelas_jabatan, employee_type, (last - first).days + 1),) if active else ()
    posts: list[Post] = []
    for p in history:
        start = max(date.fromisoformat(p["valid_from"]), first)
        end = min(date.fromisoformat(p["valid_until"]) if p.get("valid_until") else last, last)
        if p.get("active", True) and start <= end:
            days = (end - start).days + 1
            if posts and (posts[-1].kelas_jabatan, posts[-1].employee_type) == (p["kelas_jabatan"], p["employee_type"]):
                posts[-1] = Post(p["kelas_jabatan"], p["employee_type"], posts[-1].days + days)  # same pay, one line
            else:
                posts.append(Post(p["kelas_jabatan"], p["employee_type"], days))
    return tuple(posts)
