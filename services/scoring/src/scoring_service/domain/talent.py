"""The 9-box talent grid (PermenPANRB 3/2020; DOMAIN.md). Pure.

performance (rows) x potential (columns), boxes 1-9; 7, 8, 9 are the succession pool.
Performance comes from a final predikat of the period, else from K (the mean of the period's
monthly K), both mappings being region data."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from kinerja_contracts.appraisal.v1 import Predikat, Rating
from kinerja_contracts.talent.v1 import Potential

NINE_BOX: dict[Rating, dict[Potential, int]] = {
    Rating.di_atas: {Potential.rendah: 4, Potential.menengah: 7, Potential.tinggi: 9},
    Rating.sesuai: {Potential.rendah: 2, Potential.menengah: 5, Potential.tinggi: 8},
    Rating.di_bawah: {Potential.rendah: 1, Potential.menengah: 3, Potential.tinggi: 6},
}
SUCCESSION_POOL = frozenset({7, 8, 9})


def box(performance: Rating, potential: Potential) -> int:
    return NINE_BOX[Rating(performance)][Potential(potential)]


def in_succession_pool(b: int) -> bool:
    return b in SUCCESSION_POOL


@dataclass(frozen=True)
class Performance:
    level: Rating
    source: str  # predikat | productivity
    predikat: Predikat | None = None
    productivity: Decimal | None = None


def from_predikat(p: Predikat, mapping: dict[Predikat, Rating]) -> Performance:
    return Performance(mapping[Predikat(p)], "predikat", predikat=Predikat(p))


def from_productivity(k: Decimal, thresholds: list[tuple[Decimal, Rating]]) -> Performance:
    """The first threshold (highest first) that K reaches."""
    for at_least, level in thresholds:
        if k >= at_least:
            return Performance(level, "productivity", productivity=k)
    return Performance(thresholds[-1][1], "productivity", productivity=k)


def mean_k(ks: list[Decimal]) -> Decimal:
    """Mean K of the period's months with a record, 5 decimals (0 without any)."""
    if not ks:
        return Decimal(0)
    return (sum(ks, Decimal(0)) / len(ks)).quantize(Decimal("0.00001"), ROUND_HALF_UP)
