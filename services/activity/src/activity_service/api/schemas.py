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


class ActivityPatch(BaseModel):
    """Body of PATCH /v1/activities/{id}: the fields to change (at least one). Server-owned
    fields (status, points, nip, revision, …) are rejected."""

    model_config = ConfigDict(extra="forbid", populate_by_name=False)

    type_code: str | None = Field(default=None, min_length=1, max_length=40)
    work_date: date | None = Field(default=None, alias="date")
    start_time: time | None = None
    end_time: time | None = None
    quantity: int | None = Field(default=None, ge=1, le=1000)
    description: str | None = Field(default=None, min_length=1, max_length=2000)


class WithdrawIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(default=None, max_length=2000)


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
    revision: int = 0
    created_at: datetime
    updated_at: datetime


class ImportRowError(BaseModel):
    row: int
    field: str
    message: str


class ImportResultOut(BaseModel):
    imported: int
    errors: list[ImportRowError]
