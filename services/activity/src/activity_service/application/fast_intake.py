"""Submitting a JSON activity on PostgreSQL without the ORM (issue 6): the same guard rails
(domain `Activity.submit`), the same row lock, Idempotency-Key answers and outbox row as
`activities.submit` under `once`, in four round trips. The answer is JSON bytes, the bytes the
ORM path would have answered."""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import asyncpg
import pydantic_core
from opentelemetry import propagate

from activity_service.domain.activity import Activity, IntakeContext, check_intake
from activity_service.persistence import fast_intake as sql
from activity_service.persistence.reference import ReferenceCache
from kinerja_contracts.activity.v1 import ActivitySubmittedV1
from kinerja_contracts.envelope import make_headers
from kinerja_contracts.topics import ACTIVITY_SUBMITTED, spec
from kinerja_kit.errors import Conflict, DomainError, InvalidField, NotPermitted

SUBMITTED = spec(ACTIVITY_SUBMITTED)
# SQLSTATE classes of a database gone or full (as kinerja_kit.db.INFRASTRUCTURE_SQLSTATES).
_UNAVAILABLE = ("08", "53", "57P")


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    replayed: bool = False


class NotAnEmployee(Exception):
    """No employee row: the ORM path answers (it owns that refusal and its key handling)."""


def _unavailable(exc: BaseException) -> bool:
    if isinstance(exc, (asyncpg.InterfaceError, asyncpg.exceptions.InternalClientError, OSError, TimeoutError)):
        return True
    code = getattr(exc, "sqlstate", None)
    return isinstance(exc, asyncpg.PostgresError) and isinstance(code, str) and code.startswith(_UNAVAILABLE)


def _answer_body(activity: Activity) -> bytes:
    """ActivityOut's JSON, field for field."""
    return pydantic_core.to_json({
        "id": activity.id, "nip": activity.nip, "type_code": activity.type_code, "date": activity.work_date,
        "start_time": activity.start_time, "end_time": activity.end_time, "quantity": activity.quantity,
        "description": activity.description, "status": activity.status.value, "minutes": None, "points": None,
        "decision_reason": None, "revision": 0, "rhk_id": activity.rhk_id, "evidence": [],
        "created_at": activity.created_at, "updated_at": activity.updated_at})


async def submit_json(pool: sql.IntakePool, sessions, reference: ReferenceCache, *, producer: str, nip: str,
                      type_code: str, work_date: date, start_time: time, end_time: time, quantity: int,
                      description: str, rhk_id: str | None, today: date, backdate_working_days: int,
                      key: str | None, fingerprint: str | None, keep_keys: timedelta) -> Answer:
    """Raise a DomainError (nothing written), NotAnEmployee, or ConnectionError (database away)."""
    try:
        return await _submit(pool, sessions, reference, producer=producer, nip=nip, type_code=type_code,
                             work_date=work_date, start_time=start_time, end_time=end_time, quantity=quantity,
                             description=description, rhk_id=rhk_id, today=today,
                             backdate_working_days=backdate_working_days, key=key, fingerprint=fingerprint,
                             keep_keys=keep_keys)
    except asyncpg.UniqueViolationError:
        if key is None:
            raise
        # A twin with the same key committed first (its answer is this request's answer).
        return await _replay_or(pool, nip, key, fingerprint, None)
    except DomainError as exc:
        if key is None:
            raise
        # Refused — or refused because a concurrent twin with this key just did it.
        return await _replay_or(pool, nip, key, fingerprint, exc)
    except Exception as exc:
        if _unavailable(exc):
            raise ConnectionError(f"database unavailable: {exc!r}") from exc
        raise


async def _replay_or(pool: sql.IntakePool, nip: str, key: str, fingerprint: str | None,
                     refusal: DomainError | None) -> Answer:
    try:
        async with (await pool.get()).acquire(timeout=pool.acquire_timeout) as conn:
            stored = await sql.stored_answer(conn, nip, key)
    except Exception as exc:
        if _unavailable(exc):
            raise ConnectionError(f"database unavailable: {exc!r}") from exc
        raise
    if stored is None or stored.fingerprint != fingerprint:
        if refusal is not None:
            raise refusal
        raise Conflict("a concurrent request with this Idempotency-Key failed; retry", field="Idempotency-Key")
    return Answer(stored.status, stored.body.encode(), replayed=True)


async def _submit(pool: sql.IntakePool, sessions, reference: ReferenceCache, *, producer: str, nip: str,
                  type_code: str, work_date: date, start_time: time, end_time: time, quantity: int,
                  description: str, rhk_id: str | None, today: date, backdate_working_days: int,
                  key: str | None, fingerprint: str | None, keep_keys: timedelta) -> Answer:
    async with sessions() as session:  # only touches the database when the reference view is stale
        type_info = await reference.type_info(session, type_code, work_date)
        period_closed = await reference.is_closed(session, work_date)
        calendar = await reference.work_calendar(session)
    async with (await pool.get()).acquire(timeout=pool.acquire_timeout) as conn:
        async with conn.transaction():
            employee = await sql.lock_employee(conn, nip, key)
            if employee is None:
                raise NotAnEmployee(nip)
            if employee.key_fingerprint is not None:
                if employee.key_fingerprint != fingerprint:
                    raise InvalidField("Idempotency-Key", "already used for a different request")
                return Answer(employee.key_status, employee.key_body.encode(), replayed=True)
            if not employee.active:
                raise NotPermitted("caller is not an active employee in the organisation data")
            ctx = IntakeContext(type_info=type_info, position_kind=employee.position_kind, today=today,
                                backdate_working_days=backdate_working_days, period_closed=period_closed,
                                calendar=calendar)
            now = datetime.now(timezone.utc)
            activity = Activity.submit(ctx, id=str(uuid.uuid4()), nip=nip, type_code=type_code, work_date=work_date,
                                       start_time=start_time, end_time=end_time, quantity=quantity,
                                       description=description, now=now, rhk_id=rhk_id)  # every rule but overlap
            event = ActivitySubmittedV1(
                activity_id=uuid.UUID(activity.id), nip=nip, type_code=type_code, work_date=work_date,
                start_time=start_time, end_time=end_time, quantity=quantity, description=description,
                submitted_at=now, evidence_sha256=[], rhk_id=rhk_id)
            headers = make_headers(event_type=SUBMITTED.event_type, schema_version=SUBMITTED.schema_version,
                                   producer=producer)
            propagate.inject(headers)  # W3C traceparent of the request, as UnitOfWork.emit does
            body = _answer_body(activity)
            outcome = await sql.insert_activity(
                conn, id=activity.id, nip=nip, type_code=type_code, work_date=work_date, start_time=start_time,
                end_time=end_time, quantity=quantity, description=description, rhk_id=rhk_id, now=now,
                topic=ACTIVITY_SUBMITTED, payload=event.model_dump_json(), headers=json.dumps(headers), key=key,
                fingerprint=fingerprint, body=body.decode())
            # The overlap rule, on the spans read after the lock (the statement inserted only without one).
            check_intake(IntakeContext(**{**ctx.__dict__, "taken_spans": outcome.taken_spans}),
                         work_date, start_time, end_time)
            if not outcome.inserted:
                raise Conflict("overlaps another activity", field="start_time")
            if key is not None and random.random() < 0.001:  # now and then, forget keys past their time
                await sql.forget_keys_before(conn, now - keep_keys)
    return Answer(201, body)
