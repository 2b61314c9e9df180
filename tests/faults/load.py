"""A bounded open-loop load: requests leave on a schedule whatever the answers, each recorded
with its final status (after the client's own retries, same Idempotency-Key) and, for a 2xx, the
activity id. Every activity carries a tag in its description, so the checker can tell which
request caused which record."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx

from support import today, token

UNIT = "FAULTS"


@dataclass
class FaultOrg:
    """One approver (Kepala Bidang) and `size` staff, NIPs unique to the scenario."""
    head: str
    staff: list[str]
    admin: str

    @classmethod
    def new(cls, size: int = 12) -> "FaultOrg":
        run = f"{random.randrange(10**6):06d}"
        return cls(head=f"1975010120{run}01", staff=[f"1985033020{run}{10 + i:02d}" for i in range(size)],
                   admin=f"1999123120{run}09")

    def csv(self) -> str:
        head = "nip,name,unit_code,unit_name,position,position_kind,eselon,kelas_jabatan,supervisor_nip,employee_type\n"
        rows = [f"{self.head},Kepala Bidang,{UNIT},Bidang Uji,Kepala Bidang,struktural,III.a,11,,PNS\n"]
        rows += [f"{n},Pegawai {i},{UNIT},Bidang Uji,Pranata Komputer,fungsional,,9,{self.head},PNS\n"
                 for i, n in enumerate(self.staff)]
        return head + "".join(rows)

    @property
    def nips(self) -> set[str]:
        return {self.head, *self.staff}


@dataclass
class Request:
    kind: str  # "activity" | "decision"
    tag: str
    nip: str
    attempts: list[str] = field(default_factory=list)  # each try's status, or the transport error
    status: int | None = None  # the final answer; None = no answer (transport errors only)
    activity_id: str | None = None
    decision: str | None = None

    @property
    def acked(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class Load:
    """Issues requests against the platform and keeps every outcome."""

    def __init__(self, platform, org: FaultOrg, *, retries: int = 6, timeout: float = 10.0,
                 retry_statuses: tuple[int, ...] = (429, 502, 503, 504), retry_share: float = 1.0) -> None:
        self.platform, self.org, self.retry_share = platform, org, retry_share
        self.retries, self.timeout, self.retry_statuses = retries, timeout, retry_statuses
        self.requests: list[Request] = []
        self.samples: dict[str, str] = {}  # the first body of each non-2xx status, to tell why
        self._slot = {n: 0 for n in org.staff}
        self.http = httpx.AsyncClient(timeout=timeout, limits=httpx.Limits(max_connections=200))

    async def close(self) -> None:
        await self.http.aclose()

    def _next_span(self, nip: str) -> tuple[str, str]:
        """Minute-long slots: no two activities of one employee overlap (intake refuses that)."""
        slot = self._slot[nip]
        self._slot[nip] += 1
        start = 2 * slot
        return f"{start // 60:02d}:{start % 60:02d}", f"{(start + 1) // 60:02d}:{(start + 1) % 60:02d}"

    async def _send(self, req: Request, method: str, url: str, **kw) -> httpx.Response | None:
        """One logical request: retried on transport errors and on retryable statuses, with the
        same Idempotency-Key, until an answer or the budget is spent."""
        headers = {**kw.pop("headers"), "Idempotency-Key": req.tag}
        retries = self.retries if random.random() < self.retry_share else 0
        for attempt in range(retries + 1):
            try:
                r = await self.http.request(method, url, headers=headers, **kw)
            except httpx.TransportError as exc:
                req.attempts.append(type(exc).__name__)
                await asyncio.sleep(min(0.5 * 2 ** attempt, 4.0))
                continue
            req.attempts.append(str(r.status_code))
            req.status = r.status_code
            if r.status_code >= 300:
                self.samples.setdefault(f"{req.kind} {r.status_code}", r.text[:300])
            if r.status_code in self.retry_statuses and attempt < retries:
                await asyncio.sleep(min(float(r.headers.get("retry-after", "1")), 2.0) * random.uniform(0.5, 1.0))
                continue
            return r
        return None

    async def activity(self, nip: str | None = None) -> Request:
        nip = nip or random.choice(self.org.staff)
        req = Request("activity", f"fault-{uuid.uuid4().hex}", nip)
        self.requests.append(req)
        start, end = self._next_span(nip)
        body = {"type_code": "SURAT-MASUK", "date": today(), "start_time": start, "end_time": end,
                "quantity": 1, "description": f"Uji gangguan {req.tag}"}
        r = await self._send(req, "POST", self.platform.url("activity") + "/v1/activities",
                             json=body, headers=token(nip))
        if r is not None and req.acked:
            req.activity_id = r.json()["id"]
        return req

    async def decide(self, activity_id: str, decision: str = "approve") -> Request:
        req = Request("decision", f"fault-{uuid.uuid4().hex}", self.org.head, activity_id=activity_id,
                      decision=decision)
        self.requests.append(req)
        body = {"decision": decision} if decision == "approve" else {"decision": decision, "reason": "uji"}
        r = await self._send(req, "POST", self.platform.url("approval") + f"/v1/approvals/{activity_id}/decision",
                             json=body, headers=token(self.org.head))
        if r is not None and r.status_code == 409 and len(req.attempts) > 1:
            req.status = 409  # a retry of a decision that went through; the checker looks it up
        return req

    async def open_loop(self, count: int, rate: float, make) -> list[Request]:
        """`count` calls of `make()` started `1/rate` apart, whatever the answers; waits for all."""
        started = time.monotonic()
        tasks = []
        for i in range(count):
            delay = started + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(make()))
        return list(await asyncio.gather(*tasks))

    def counts(self, kind: str | None = None) -> dict:
        reqs = [r for r in self.requests if kind is None or r.kind == kind]
        return {"sent": len(reqs), "acknowledged": sum(r.acked for r in reqs),
                "statuses": dict(Counter(str(r.status) for r in reqs)),
                "retried": sum(len(r.attempts) > 1 for r in reqs),
                "attempt_statuses": dict(Counter(a for r in reqs for a in r.attempts)),
                "answers": {k: v for k, v in self.samples.items() if kind is None or k.startswith(kind)}}
