"""A per-user limit on writes (token bucket): a burst is allowed, then `per_minute` on average;
past it the request answers 429 with Retry-After and changes nothing. Per process: with
KINERJA_HTTP_WORKERS=n a user may get up to n times the rate."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from kinerja_kit.auth import CurrentPrincipal, Principal


class TokenBuckets:
    def __init__(self, per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.clock = per_minute / 60.0, burst, clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    def take(self, key: str) -> float:
        """0 when allowed (one token taken), else the seconds until a token is there."""
        now = self.clock()
        tokens, at = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.rate)
        if tokens >= 1:
            self._buckets[key] = (tokens - 1, now)
            if len(self._buckets) > 100_000:  # forget full buckets of idle users
                self._buckets = {k: v for k, v in self._buckets.items()
                                 if v[0] + (now - v[1]) * self.rate < self.burst}
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1 - tokens) / self.rate if self.rate > 0 else math.inf


async def write_limit(request: Request, principal: CurrentPrincipal) -> Principal:
    """Dependency for write routes: the caller's bucket (app.state.write_limits) must hold a token."""
    wait = request.app.state.write_limits.take(principal.nip)
    if wait:
        raise HTTPException(429, detail="too many writes; slow down",
                            headers={"Retry-After": str(max(1, math.ceil(wait)))})
    return principal


WriteLimited = Annotated[Principal, Depends(write_limit)]
