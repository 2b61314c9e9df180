"""The notify service's tables."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from kinerja_kit.db import BigId, service_base

Base, metadata = service_base()  # includes the kit's outbox and inbox tables


class Notification(Base, table=True):
    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_recipient", "recipient_nip", "id"),)
    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    recipient_nip: str = Field(max_length=18)
    kind: str = Field(max_length=40)
    title: str = Field(max_length=200)
    body: str = Field(sa_type=sa.Text)
    data: dict = Field(default_factory=dict, sa_type=sa.JSON)
    source_event_id: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    read_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))

