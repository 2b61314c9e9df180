"""appraisal.finalized.v1: an employee's SKP appraisal (PermenPANRB 6/2022) once final — after the
objection window, or after the objection was decided, and after the unit's predikat distribution
passed the region's rule (key = NIP). Carries what the SIASN periodic export needs: the two
ratings, the predikat, the months appraised, the appraiser and the angka kredit factor."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import Field

from kinerja_contracts.envelope import NIP, Event


class Rating(StrEnum):
    """Hasil kerja and perilaku kerja are each rated against expectation."""
    di_atas = "di_atas"  # di atas ekspektasi
    sesuai = "sesuai"  # sesuai ekspektasi
    di_bawah = "di_bawah"  # di bawah ekspektasi


class Predikat(StrEnum):
    sangat_baik = "sangat_baik"
    baik = "baik"
    butuh_perbaikan = "butuh_perbaikan"
    kurang = "kurang"  # Kurang / Misconduct
    sangat_kurang = "sangat_kurang"


class AppraisalKind(StrEnum):
    periodic = "periodic"  # monthly (YYYY-MM) or quarterly (YYYY-Qn)
    annual = "annual"  # YYYY


class RhkRated(Event):
    rhk_id: str
    kind: str = Field(description="main (utama) or additional (tambahan)")
    title: str
    rating: Rating
    note: str | None = None


class AppraisalFinalizedV1(Event):
    appraisal_id: uuid.UUID
    skp_id: uuid.UUID
    nip: NIP
    year: int = Field(ge=2000, le=2100)
    kind: AppraisalKind
    period: str = Field(description="YYYY (annual), YYYY-MM or YYYY-Qn (periodic)")
    month_from: int = Field(ge=1, le=12, description="first month appraised (SIASN bulanMulaiPenilaian)")
    month_until: int = Field(ge=1, le=12, description="last month appraised (SIASN bulanSelesaiPenilaian)")
    unit_code: str
    position_kind: str
    results_rating: Rating = Field(description="hasil kerja")
    behaviour_rating: Rating = Field(description="perilaku kerja (BerAKHLAK)")
    predikat: Predikat = Field(description="from the region's predikat matrix (results x behaviour)")
    angka_kredit_percent: Decimal | None = Field(
        default=None, description="angka kredit factor of the predikat (PermenPANRB 1/2023), for functional "
                                  "officials (position_kind fungsional); None for others")
    rhk: list[RhkRated] = Field(default_factory=list)
    appraiser_nip: NIP
    objection: str | None = Field(default=None, description="None, or upheld / rejected: how an objection was decided")
    rule_version: str = Field(description="the region's appraisal rule set version")
    finalized_at: datetime
