"""HTTP request and response models (separate from the Kafka contracts)."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class ActivityCreate(BaseModel):
    """Body of POST /v1/activities. Unknown fields (status, points, nip, …) are rejected."""

    model_config = ConfigDict(extra="forbid", populate_by_name=False)

    type_code: str = Field(min_length=1, max_length=40)
    work_date: date = Field(alias="date")
    start_time: time
    end_time: time
    quantity: int = Field(ge=1, le=1000)
    description: str = Field(min_length=1, max_length=2000)


class ActivityOut(BaseModel):
    id: str
    nip: str
    type_code: str
    date: date
    start_time: time
    end_time: time
    quantity: int
    description: str
    status: str
    minutes: int | None = None
    points: Decimal | None = None
    decision_reason: str | None = None
    created_at: datetime
    updated_at: datetime


class ImportRowError(BaseModel):
    row: int
    field: str
    message: str


class ImportResultOut(BaseModel):
    imported: int
    errors: list[ImportRowError]
