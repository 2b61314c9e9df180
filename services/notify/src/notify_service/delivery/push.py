"""Mobile push behind the same channel interface. The provider (FCM, APNs, a vendor's gateway)
is configured later: anything with `send(nip, title, body, data)` fits `PushProvider`; until then
`LogPushProvider` logs and counts what would have been pushed."""

from __future__ import annotations

import logging
from typing import Protocol

from prometheus_client import Counter

from notify_service.delivery.dispatcher import Job, Outcome

log = logging.getLogger(__name__)

PUSH_LOGGED = Counter("kinerja_notify_push_logged_total", "Push messages the log provider stood in for")


class PushRefused(Exception):
    """The provider refused the message; `permanent` when no retry can help (e.g. no device)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class PushProvider(Protocol):
    async def send(self, nip: str, title: str, body: str, data: dict) -> None:
        """Push to the employee's devices; raise (e.g. `PushRefused`) when it did not go."""
        ...


class LogPushProvider:
    """The default: logs each push and counts it (`sent`, `kinerja_notify_push_logged_total`)."""

    def __init__(self) -> None:
        self.sent = 0

    async def send(self, nip: str, title: str, body: str, data: dict) -> None:
        self.sent += 1
        PUSH_LOGGED.inc()
        log.info("push (log provider)", extra={"nip": nip, "title": title, "data": data})


def push_payload(notification) -> dict:
    return {"title": notification.title, "body": notification.body, "kind": notification.kind,
            "data": {**(notification.data or {}), "notification_id": notification.id}}


class PushChannel:
    name = "push"
    per_target = False  # one lane: the provider

    def __init__(self, provider: PushProvider | None = None, *, timeout: float = 5.0) -> None:
        self.provider, self.timeout = provider or LogPushProvider(), timeout

    async def send(self, job: Job) -> Outcome:
        p = job.payload
        try:
            await self.provider.send(job.target, p.get("title", ""), p.get("body", ""), p.get("data", {}))
        except PushRefused as exc:
            return Outcome(False, error=f"push refused: {exc}", permanent=exc.permanent)
        return Outcome(True)

    async def close(self) -> None:
        close = getattr(self.provider, "close", None)
        if close is not None:
            await close()
