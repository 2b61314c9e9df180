"""The lean intake path's SQL on PostgreSQL (asyncpg directly, prepared statements, no ORM):
per JSON submission BEGIN, one statement that locks the employee row (the same row lock as the
ORM path's, so both serialise one employee's overlap checks) and reads the Idempotency-Key's
stored answer, one statement that reads the taken spans and inserts the activity, its outbox row
and its idempotency answer unless a span overlaps, and COMMIT. The insert is a statement after
the lock, so its snapshot sees every activity committed before the lock was granted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

import asyncpg

from activity_service.domain.activity import OCCUPYING

OCCUPYING_VALUES = sorted(s.value for s in OCCUPYING)

LOCK_EMPLOYEE = """
SELECT e.active, e.position_kind,
       k.fingerprint AS key_fingerprint, k.status AS key_status, k.body::text AS key_body
FROM employees e LEFT JOIN idempotency_keys k ON k.nip = e.nip AND k.key = $2
WHERE e.nip = $1
FOR UPDATE OF e
"""

STORED_KEY = "SELECT fingerprint, status, body::text AS body FROM idempotency_keys WHERE nip = $1 AND key = $2"

# $1 id, $2 nip, $3 type_code, $4 work_date, $5 start, $6 end, $7 quantity, $8 description,
# $9 rhk_id, $10 now, $11 occupying statuses, $12 topic, $13 outbox payload, $14 outbox headers,
# $15 idempotency key (NULL: none), $16 fingerprint, $17 response body.
INSERT_ACTIVITY = """
WITH taken AS (
    SELECT start_time, end_time FROM activities
    WHERE nip = $2 AND work_date = $4 AND status = ANY($11::text[])
), ins AS (
    INSERT INTO activities (id, nip, type_code, work_date, start_time, end_time, quantity, description,
                            status, revision, rhk_id, created_at, updated_at)
    SELECT $1, $2, $3, $4, $5, $6, $7, $8, 'submitted', 0, $9, $10, $10
    WHERE NOT EXISTS (SELECT 1 FROM taken WHERE start_time < $6::time AND $5::time < end_time)
    RETURNING id
), ob AS (
    INSERT INTO outbox (topic, key, payload, headers)
    SELECT $12, $2, $13, $14::json FROM ins
    RETURNING id
), idem AS (
    INSERT INTO idempotency_keys (nip, key, fingerprint, status, body, created_at)
    SELECT $2, $15::varchar, $16::varchar, 201, $17::json, $10 FROM ins WHERE $15::varchar IS NOT NULL
    RETURNING key
)
SELECT (SELECT count(*) FROM ins) AS inserted, (SELECT count(*) FROM ob) AS queued,
       (SELECT count(*) FROM idem) AS remembered,
       coalesce((SELECT array_agg(start_time ORDER BY start_time, end_time) FROM taken), '{}') AS starts,
       coalesce((SELECT array_agg(end_time ORDER BY start_time, end_time) FROM taken), '{}') AS ends
"""

FORGET_KEYS = "DELETE FROM idempotency_keys WHERE created_at < $1"


@dataclass(frozen=True)
class LockedEmployee:
    active: bool
    position_kind: str
    key_fingerprint: str | None
    key_status: int | None
    key_body: str | None  # the stored response as JSON text


@dataclass(frozen=True)
class StoredAnswer:
    fingerprint: str
    status: int
    body: str


@dataclass(frozen=True)
class InsertOutcome:
    inserted: bool
    taken_spans: list[tuple[time, time]]  # the employee's occupied spans that day, before this one


async def lock_employee(conn: asyncpg.Connection, nip: str, key: str | None) -> LockedEmployee | None:
    row = await conn.fetchrow(LOCK_EMPLOYEE, nip, key)
    return LockedEmployee(*row) if row else None


async def stored_answer(conn: asyncpg.Connection, nip: str, key: str) -> StoredAnswer | None:
    row = await conn.fetchrow(STORED_KEY, nip, key)
    return StoredAnswer(*row) if row else None


async def insert_activity(conn: asyncpg.Connection, *, id: str, nip: str, type_code: str, work_date: date,
                          start_time: time, end_time: time, quantity: int, description: str, rhk_id: str | None,
                          now: datetime, topic: str, payload: str, headers: str, key: str | None,
                          fingerprint: str | None, body: str) -> InsertOutcome:
    row = await conn.fetchrow(INSERT_ACTIVITY, id, nip, type_code, work_date, start_time, end_time, quantity,
                              description, rhk_id, now, OCCUPYING_VALUES, topic, payload, headers, key,
                              fingerprint, body)
    return InsertOutcome(inserted=row["inserted"] == 1, taken_spans=list(zip(row["starts"], row["ends"])))


async def forget_keys_before(conn: asyncpg.Connection, cutoff: datetime) -> None:
    await conn.execute(FORGET_KEYS, cutoff)


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Our statements change no session state; asyncpg still rolls back a leaked transaction (the
    default reset would cost a round trip per request)."""


class IntakePool:
    """A small asyncpg pool of the intake path's own, opened at first use."""

    def __init__(self, sqlalchemy_url: str, *, max_size: int = 10, acquire_timeout: float = 30.0) -> None:
        self.dsn = "postgresql://" + sqlalchemy_url.split("://", 1)[1]
        self.max_size, self.acquire_timeout = max_size, acquire_timeout  # past the timeout: 503
        self._pool: asyncpg.Pool | None = None

    async def get(self) -> asyncpg.Pool:
        if self._pool is None:
            pool = await asyncpg.create_pool(self.dsn, min_size=1, max_size=self.max_size,
                                             max_inactive_connection_lifetime=300, reset=_keep_session)
            if self._pool is None:
                self._pool = pool
            else:  # a concurrent first request opened one too
                await pool.close()
        return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()
