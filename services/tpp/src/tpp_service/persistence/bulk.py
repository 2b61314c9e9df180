"""Bulk writes of the close: COPY into the computations and outbox tables on the transaction's
own connection (PostgreSQL), the rows exactly as the ORM insert and the kit's `emit_many` write them."""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa
from opentelemetry import propagate
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_contracts.envelope import make_headers
from kinerja_contracts.topics import spec
from kinerja_kit.outbox import UnitOfWork

OUTBOX_COLUMNS = ("topic", "key", "payload", "headers")  # id, created_at: their defaults; sent_at NULL


async def copy_rows(session: AsyncSession, table: sa.Table, columns: list[str] | tuple[str, ...],
                    records: list[tuple]) -> None:
    """COPY `records` (JSON columns as text) into `table`, inside the session's open transaction."""
    if not records:
        return
    raw = (await (await session.connection()).get_raw_connection()).driver_connection
    if not raw.is_in_transaction():  # never autocommit: the close is one transaction
        raise RuntimeError("copy_rows needs the session's transaction to be open")
    await raw.copy_records_to_table(table.name, records=records, columns=list(columns))


def outbox_records(uow: UnitOfWork, topic: str, events: list[BaseModel], event_ids: list[str],
                   occurred_at: datetime | None) -> list[tuple[str, str, str, str]]:
    """The outbox rows `uow.emit_many(topic, events, event_ids=..., occurred_at=...)` would insert
    (topic, key, payload, headers as SQLAlchemy's JSON type serialises them), for `copy_rows`."""
    topic_spec = spec(topic)
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    out = []
    for event, event_id in zip(events, event_ids, strict=True):
        if not isinstance(event, topic_spec.model):
            raise TypeError(f"{topic} carries {topic_spec.model.__name__}, not {type(event).__name__}")
        headers = make_headers(event_type=topic_spec.event_type, schema_version=topic_spec.schema_version,
                               producer=uow.producer, correlation_id=uow.correlation_id, event_id=event_id,
                               occurred_at=occurred_at)
        headers.update(carrier)
        out.append((topic, str(getattr(event, topic_spec.key)), event.model_dump_json(), json.dumps(headers)))
    return out
