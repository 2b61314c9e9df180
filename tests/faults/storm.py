"""The month-end storm: vegeta (compiled, the Python loader cannot reach the rate) sends activities
open loop at a fixed rate, each with its own Idempotency-Key and a real token; then a share of
them is sent again by the client with the same key. Every final status is recorded."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import random
import shutil
import subprocess
from collections import Counter
from pathlib import Path

from faults.load import Load, Request
from support import ROOT, today, token

VEGETA_VERSION = "v12.13.0"


def vegeta() -> str:
    """$VEGETA, the one `make bench` installed, or install it into the suite's run dir."""
    own = ROOT / ".run" / "faults" / "tools" / "bin" / "vegeta"
    for candidate in (os.environ.get("VEGETA"), ROOT / ".run" / "tools" / "bin" / "vegeta", own):
        if candidate and Path(candidate).exists():
            return str(candidate)
    go = shutil.which("go")
    if go is None:
        raise RuntimeError("vegeta not found and Go is missing to install it (or set VEGETA)")
    own.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([go, "install", f"github.com/tsenart/vegeta/v12@{VEGETA_VERSION}"], check=True,
                   env={**os.environ, "GOBIN": str(own.parent)}, timeout=600)
    return str(own)


def _targets(load: Load, count: int) -> tuple[bytes, dict[str, Request], dict[str, bytes]]:
    """One vegeta JSON target per request, spread over the staff; the tag rides in the URL's
    fragment (never sent), so each result names its request."""
    url = load.platform.url("activity") + "/v1/activities"
    tokens = {nip: token(nip)["Authorization"] for nip in load.org.staff}
    lines, by_tag, bodies = [], {}, {}
    for i in range(count):
        nip = load.org.staff[i % len(load.org.staff)]
        req = Request("activity", f"fault-{random.randbytes(16).hex()}", nip)
        start, end = load._next_span(nip)
        body = {"type_code": "SURAT-MASUK", "date": today(), "start_time": start, "end_time": end,
                "quantity": 1, "description": f"Uji gangguan {req.tag}"}
        by_tag[req.tag], bodies[req.tag] = req, json.dumps(body).encode()
        lines.append(json.dumps({"method": "POST", "url": f"{url}#{req.tag}",
                                 "body": base64.b64encode(bodies[req.tag]).decode(),
                                 "header": {"Authorization": [tokens[nip]], "Content-Type": ["application/json"],
                                            "Idempotency-Key": [req.tag]}}))
    return ("\n".join(lines) + "\n").encode(), by_tag, bodies


def _attack(target_lines: bytes, rate: int, duration: float) -> list[dict]:
    tool = vegeta()
    out = subprocess.run([tool, "attack", "-format=json", f"-rate={rate}/s", f"-duration={duration}s",
                          "-workers=64", "-max-workers=2000", "-timeout=15s", "-keepalive=true"],
                         input=target_lines, capture_output=True, check=True, timeout=duration + 120)
    enc = subprocess.run([tool, "encode", "--to", "json"], input=out.stdout, capture_output=True, check=True)
    return [json.loads(line) for line in enc.stdout.decode().splitlines() if line.strip()]


async def storm(load: Load, notes: dict, *, rate: int, duration: float, retry_share: float) -> None:
    """The burst, then the client retries; fills `load.requests` and `notes["storm"]`."""
    target_lines, by_tag, bodies = _targets(load, int(rate * duration))
    results = await asyncio.to_thread(_attack, target_lines, rate, duration)
    first = Counter()
    for res in results:
        req = by_tag[res["url"].rsplit("#", 1)[1]]
        if res["code"] == 0:
            req.attempts.append(res["error"][:80] or "no answer")
            first["timeout/error"] += 1
            continue
        req.attempts.append(str(res["code"]))
        req.status = res["code"]
        first[str(res["code"])] += 1
        if req.acked:
            req.activity_id = json.loads(base64.b64decode(res["body"]))["id"]
        else:
            body = base64.b64decode(res["body"])[:300].decode(errors="replace")
            load.samples.setdefault(f"activity {res['code']}", body)
    sent = [r for r in by_tag.values() if r.attempts]
    load.requests.extend(sent)
    ts = sorted(res["timestamp"] for res in results)
    notes["storm"] = {"rate": rate, "duration_s": duration, "sent": len(sent), "first_answers": dict(first),
                      "first_span": [ts[0], ts[-1]] if ts else None}

    retried = random.sample(sent, int(len(sent) * retry_share))
    notes["storm"]["retried_after_2xx"] = sum(r.acked for r in retried)  # replays: the first answer again
    changed = []

    async def again(req: Request) -> None:
        url = load.platform.url("activity") + "/v1/activities"
        before = req.activity_id
        r = None
        for _ in range(3):  # a transport error is retried; an answer is final
            try:
                r = await load.http.post(url, content=bodies[req.tag], headers={
                    **token(req.nip), "Idempotency-Key": req.tag, "Content-Type": "application/json"})
                break
            except Exception as exc:  # noqa: BLE001 (recorded as the attempt's outcome)
                req.attempts.append(type(exc).__name__)
        if r is None:
            return
        req.attempts.append(str(r.status_code))
        if 200 <= r.status_code < 300:
            req.status, req.activity_id = r.status_code, r.json()["id"]
            if before and before != req.activity_id:
                changed.append(req.tag)
        elif not req.acked:  # a refused retry of an acknowledged write keeps the first answer
            req.status = r.status_code
    pending = iter(retried)
    await load.open_loop(len(retried), min(rate, 200), lambda: again(next(pending)))
    notes["storm"]["retried"] = len(retried)
    notes["storm"]["retry_answers"] = dict(Counter(r.attempts[-1] for r in retried))
    notes["storm"]["replay_changed_id"] = changed

