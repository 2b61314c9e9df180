"""Idempotency-Key on the service's writes (offline-first phones retry on flaky connections): a
retry with the same key and request gets the first answer again and changes nothing; the same key
with another request is refused (422 naming `Idempotency-Key`). Keys are per user."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any

from fastapi import Header

from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError

from activity_service.persistence import repository as repo
from kinerja_kit.errors import DomainError
from kinerja_kit.http import FieldError
from kinerja_kit.outbox import UnitOfWork

IdempotencyKeyHeader = Annotated[str | None, Header(alias="Idempotency-Key", description=(
    "a key of the client's choosing (e.g. a UUID) per write: a retry with the same key and request "
    "answers the first response again; kept at least 7 days, per user"))]
KEEP = timedelta(days=8)  # at least the promised 7 days
MAX_KEY = 200


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method} {path} {canonical}".encode()).hexdigest()


def check_key(key: str | None) -> None:
    if key is not None and (not key.strip() or len(key) > MAX_KEY or not key.isprintable()):
        raise FieldError("Idempotency-Key", f"1 to {MAX_KEY} printable characters")


async def once(runtime, *, nip: str, key: str | None, fp: str, status: int,
               write: Callable[[UnitOfWork], Awaitable[BaseModel]]) -> BaseModel | JSONResponse:
    """Run `write` in a unit of work, remembering its answer under `key` in the same transaction."""
    if key is None:
        async with runtime.uow() as uow:
            return await write(uow)
    check_key(key)
    for attempt in (1, 2):
        try:
            async with runtime.uow() as uow:
                stored = await repo.remembered(uow.session, nip, key)
                if stored is not None:
                    if stored.fingerprint != fp:
                        raise FieldError("Idempotency-Key", "already used for a different request")
                    return JSONResponse(stored.body, status_code=stored.status, headers={"Idempotent-Replayed": "true"})
                out = await write(uow)
                now = datetime.now(timezone.utc)
                await repo.remember(uow.session, nip, key, fp, status, out.model_dump(mode="json"), now)
                if random.random() < 0.001:  # now and then, forget keys past their time
                    await repo.forget_keys_before(uow.session, now - KEEP)
            return out
        except IntegrityError:
            if attempt == 2:
                raise
            # A twin with the same key committed first: this write rolled back; answer as it did.
        except DomainError:
            # Refused — or refused because a concurrent twin with this key just did it (e.g. the twin's
            # activity now takes the time span): then the twin's answer is this request's answer.
            async with runtime.db.sessions() as session:
                stored = await repo.remembered(session, nip, key)
            if stored is None or stored.fingerprint != fp:
                raise
            return JSONResponse(stored.body, status_code=stored.status, headers={"Idempotent-Replayed": "true"})
    raise AssertionError("unreachable")
