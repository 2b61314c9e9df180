"""discipline.sanctioned.v1: a hukuman disiplin that cuts TPP for a dated range (key = NIP)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from pydantic import Field

from kinerja_contracts.envelope import NIP, Event


class DisciplineSanctionedV1(Event):
    sanction_id: uuid.UUID
    nip: NIP
    level: str = Field(description="a level code of the region's discipline rule set (e.g. ringan, sedang, "
                                   "pemberhentian_banding, absence_pp94 in the packaged defaults)")
    cut_percent: Decimal = Field(ge=0, le=100)
    effective_from: date
    effective_until: date
    regulation: str
    decided_at: datetime
    sk_number: str | None = Field(default=None, description="the decree (SK) number; absent from older records")
