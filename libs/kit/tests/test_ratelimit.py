"""The per-user write limit: a burst, then the rate; 429 with Retry-After past it."""

from fastapi import FastAPI
from fastapi.testclient import TestClient

from kinerja_kit import http
from kinerja_kit.auth import TokenVerifier
from kinerja_kit.ratelimit import TokenBuckets, WriteLimited
from kinerja_kit.settings import ServiceSettings
from kinerja_kit.tokens import mint


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_the_rate_per_user():
    clock = Clock()
    b = TokenBuckets(per_minute=60, burst=3, clock=clock)
    assert [b.take("ani") for _ in range(3)] == [0, 0, 0]
    assert b.take("ani") == 1.0  # one token a second: a second to wait
    assert b.take("budi") == 0, "each user has their own bucket"
    clock.now = 0.5
    assert b.take("ani") == 0.5
    clock.now = 1.0
    assert b.take("ani") == 0
    clock.now = 100.0
    assert [b.take("ani") for _ in range(4)][-1] > 0, "idle time refills up to the burst, not beyond"


def test_past_the_limit_a_write_answers_429_with_retry_after():
    settings = ServiceSettings(jwt_secret="x" * 32)
    app = FastAPI()
    http.install(app, [])
    app.state.token_verifier = TokenVerifier(settings)
    app.state.write_limits = TokenBuckets(per_minute=6, burst=2)
    writes = []

    @app.post("/w")
    async def w(principal: WriteLimited):
        writes.append(principal.nip)
        return {"ok": True}

    client = TestClient(app)
    auth = {"Authorization": f"Bearer {mint('198503302010011002', ['pegawai'], settings=settings)}"}
    codes = [client.post("/w", headers=auth).status_code for _ in range(3)]
    assert codes == [200, 200, 429] and len(writes) == 2, "the refused write did not run"
    r = client.post("/w", headers=auth)
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert r.headers["content-type"] == "application/problem+json"
