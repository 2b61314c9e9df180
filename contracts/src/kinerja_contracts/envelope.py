"""Header convention carried by every Kafka record (see DESIGN.md, Topics and messages)."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

EVENT_ID = "event-id"
EVENT_TYPE = "event-type"
SCHEMA_VERSION = "schema-version"
OCCURRED_AT = "occurred-at"
PRODUCER = "producer"
CORRELATION_ID = "correlation-id"
TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"

# Headers a dead-lettered record carries in addition to its original ones.
DLQ_ERROR_CLASS = "dlq-error-class"
DLQ_ERROR_MESSAGE = "dlq-error-message"
DLQ_ORIGINAL_TOPIC = "dlq-original-topic"
DLQ_ORIGINAL_PARTITION = "dlq-original-partition"
DLQ_ORIGINAL_OFFSET = "dlq-original-offset"
DLQ_CONSUMER_GROUP = "dlq-consumer-group"

NIP = Annotated[str, StringConstraints(pattern=r"^[0-9]{8,18}$")]
"""NIP: 18 digits for PNS; PPPK and non-ASN registration numbers may be shorter."""

PERIOD = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]
"""A month, YYYY-MM."""


class Event(BaseModel):
    """Base of every event body. Unknown fields are ignored so that added optional fields
    (the only allowed change within one topic version) never break an older consumer."""

    model_config = ConfigDict(extra="ignore", frozen=True)


def make_headers(
    *,
    event_type: str,
    schema_version: int,
    producer: str,
    event_id: str | None = None,
    occurred_at: datetime | None = None,
    correlation_id: str | None = None,
) -> dict[str, str]:
    """The standard headers of one new event (trace headers are added by the publisher)."""
    eid = event_id or str(uuid.uuid4())
    return {
        EVENT_ID: eid,
        EVENT_TYPE: event_type,
        SCHEMA_VERSION: str(schema_version),
        OCCURRED_AT: (occurred_at or datetime.now(timezone.utc)).isoformat(),
        PRODUCER: producer,
        CORRELATION_ID: correlation_id or eid,
    }
