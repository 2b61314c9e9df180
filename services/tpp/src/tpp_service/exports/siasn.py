"""The periodic performance export for BKN's SIASN (docs/exports.md, "SIASN"). Pure.

What SIASN accepts. BKN publishes no open schema for it; the shape below is the request body of
SIASN's web service `POST /apisiasn/1.0/kinerjaperiodik/save` ("riwayat kinerja periodik"), as
written in public client libraries of that API:

- black-coffee04/ws-siasn-php: src/Services/KinerjaPeriodikService.php (the endpoint, a JSON
  body), examples/kinerja-periodik.php (the fields), and its reference tables
  src/Data/Referensi/periodik, perilakuDanKinerja, kuadranNilai, koefisien (.json.gz);
- kanekescom/laravel-siasn-simpeg-api: README, "Kinerja" (the same fields with their types).

Body fields: pnsDinilaiId (the employee's SIASN id, not the NIP), tahun, tahunMulaiPenilaian,
tahunSelesaiPenilaian, bulanMulaiPenilaian, bulanSelesaiPenilaian (integers), periodikId
("1" bulanan, "2" triwulan), hasilKinerjaNilai and perilakuKerjaNilai (1 di atas, 2 sesuai,
3 di bawah ekspektasi), kuadranKinerjaNilai (1 Sangat Baik, 2 Baik, 3 Butuh Perbaikan, 4 Kurang,
5 Sangat Kurang), koefisienId (angka kredit coefficient of a functional position), the appraiser
penilaiNipNrp, penilaiNama, penilaiJabatanNama, penilaiUnorNama, penilaiGolongan (a golonganPns
reference id) and statusPenilai ("ASN" / "NON ASN"); optional `id` (update) and `path`
(uploaded documents), which this export leaves out. The rating scale, the predikat and its
quadrant are those of PermenPANRB 6/2022 (Pengelolaan Kinerja Pegawai ASN); the koefisien (angka
kredit per predikat of a functional position) is PermenPANRB 1/2023 with Peraturan BKN 3/2023.
BKN's own e-Kinerja app (SE BKN 11/2023), integrated with SIASN, is the other way in; neither
regulation nor BKN publishes a file format for a region's own system, so this is the closest
documented shape, not an official schema.

So the file is JSON (the service takes JSON), one record per ASN employee, each with the exact
`payload` to POST plus our own fields beside it (NIP, name, unit, K, where the predikat came from,
which payload fields are still empty). The region fills what the TPP system cannot know, through
`SiasnMapping`: the SIASN id of each NIP (SIASN's data-utama by NIP returns it), the appraiser,
the koefisien of a functional position. A record whose `missing` list is empty is ready to send.
Non-ASN employees are not in SIASN and are listed under `skipped`.

The predikat. From the appraisal when the row has one (`ExportRow.predikat`, with its two ratings
if known). Otherwise derived from K, clearly marked `"predikat_source": "derived_from_k"`, with
this mapping (our design, no regulation maps TPP productivity to a rating; each threshold is a
`SiasnMapping` setting):

    hasil kerja   = di atas   if hasil_di_atas_from is set and K >= it  (default: never; K is capped at 1)
                    sesuai    if K >= hasil_sesuai_from                 (default 0.76, the lower bound of
                                                                         "baik" on the PP 46/2011 score scale)
                    di bawah  otherwise
    perilaku kerja = perilaku_default (default sesuai: the TPP system measures attendance, not BerAKHLAK)
    predikat       = the PermenPANRB 6/2022 matrix of the two ratings

With the defaults that is K >= 0.76 -> Baik, K < 0.76 -> Butuh Perbaikan.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from tpp_service.exports.rows import ExportRow, check_period, sorted_rows

FORMAT = "kinerja.siasn.kinerjaperiodik.v1"
ENDPOINT = "POST /apisiasn/1.0/kinerjaperiodik/save"
SIASN_EMPLOYEE_TYPES = frozenset({"PNS", "CPNS", "PPPK", "PPPK_PW"})

# SIASN reference tables (ids as SIASN sends them; names as in its tables, spelling included).
PERIODIK = {"1": "bulanan", "2": "triwulan"}
PERILAKU_DAN_KINERJA = {1: "DIATAS ESPEKTASI", 2: "SESUAI ESPEKTASI", 3: "DIBAWAH ESPEKTASI"}
KUADRAN_NILAI = {1: "SANGAT BAIK", 2: "BAIK", 3: "BUTUH PERBAIKAN", 4: "KURANG", 5: "SANGAT KURANG"}
PERIODIK_BULANAN = "1"

RATING_CODE = {"di_atas": 1, "sesuai": 2, "di_bawah": 3}
SANGAT_BAIK, BAIK, BUTUH_PERBAIKAN, KURANG, SANGAT_KURANG = (
    "Sangat Baik", "Baik", "Butuh Perbaikan", "Kurang", "Sangat Kurang")
KUADRAN_CODE = {SANGAT_BAIK: 1, BAIK: 2, BUTUH_PERBAIKAN: 3, KURANG: 4, SANGAT_KURANG: 5}

# PermenPANRB 6/2022: predikat from (hasil kerja, perilaku kerja). "Kurang/Misconduct" is SIASN's KURANG.
PREDIKAT_MATRIX = {
    ("di_atas", "di_atas"): SANGAT_BAIK, ("di_atas", "sesuai"): BAIK, ("di_atas", "di_bawah"): KURANG,
    ("sesuai", "di_atas"): BAIK, ("sesuai", "sesuai"): BAIK, ("sesuai", "di_bawah"): KURANG,
    ("di_bawah", "di_atas"): BUTUH_PERBAIKAN, ("di_bawah", "sesuai"): BUTUH_PERBAIKAN,
    ("di_bawah", "di_bawah"): SANGAT_KURANG,
}
# When an appraisal gives only its predikat: the cell sent as its two ratings (unique for Sangat Baik
# and Sangat Kurang; for the others the middle cell, marked "ratings_source": "canonical_for_predikat").
CANONICAL_RATINGS = {SANGAT_BAIK: ("di_atas", "di_atas"), BAIK: ("sesuai", "sesuai"),
                     BUTUH_PERBAIKAN: ("di_bawah", "sesuai"), KURANG: ("sesuai", "di_bawah"),
                     SANGAT_KURANG: ("di_bawah", "di_bawah")}
_PREDIKAT_ALIASES = {"sangat baik": SANGAT_BAIK, "baik": BAIK, "butuh perbaikan": BUTUH_PERBAIKAN,
                     "kurang": KURANG, "misconduct": KURANG, "kurang/misconduct": KURANG,
                     "kurang / misconduct": KURANG, "sangat kurang": SANGAT_KURANG}


def normalize_predikat(value: str) -> str:
    key = " ".join(value.replace("_", " ").replace("-", " ").split()).lower()
    if key not in _PREDIKAT_ALIASES:
        raise ValueError(f"unknown predikat {value!r}: expected one of {sorted(KUADRAN_CODE)}")
    return _PREDIKAT_ALIASES[key]


@dataclass(frozen=True)
class Penilai:
    """The appraiser (pejabat penilai kinerja) of an employee, as SIASN wants it."""
    nip_nrp: str
    nama: str
    jabatan_nama: str
    unor_nama: str
    golongan_id: str  # SIASN golonganPns reference id
    status: str = "ASN"  # "ASN" or "NON ASN"


@dataclass(frozen=True)
class SiasnMapping:
    """What a region fills in: SIASN ids and appraisers per NIP, and the K -> rating thresholds."""
    pns_ids: Mapping[str, str] = field(default_factory=dict)  # NIP -> pnsDinilaiId
    penilai: Mapping[str, Penilai] = field(default_factory=dict)  # NIP of the appraised -> appraiser
    koefisien_ids: Mapping[str, str] = field(default_factory=dict)  # NIP -> koefisienId (functional positions)
    hasil_sesuai_from: Decimal = Decimal("0.76")
    hasil_di_atas_from: Decimal | None = None
    perilaku_default: str = "sesuai"

    def __post_init__(self) -> None:
        if self.perilaku_default not in RATING_CODE:
            raise ValueError(f"perilaku_default must be one of {sorted(RATING_CODE)}")
        if not isinstance(self.hasil_sesuai_from, Decimal) or not (
                self.hasil_di_atas_from is None or isinstance(self.hasil_di_atas_from, Decimal)):
            raise ValueError("K thresholds must be Decimal")
        if self.hasil_di_atas_from is not None and self.hasil_di_atas_from < self.hasil_sesuai_from:
            raise ValueError("hasil_di_atas_from must not be below hasil_sesuai_from")


def hasil_from_k(k: Decimal, mapping: SiasnMapping) -> str:
    if mapping.hasil_di_atas_from is not None and k >= mapping.hasil_di_atas_from:
        return "di_atas"
    return "sesuai" if k >= mapping.hasil_sesuai_from else "di_bawah"


def assess(row: ExportRow, mapping: SiasnMapping) -> tuple[str, str, str, str, str]:
    """(predikat, hasil, perilaku, predikat_source, ratings_source) of one row."""
    if row.predikat is None:
        if row.hasil_kerja is not None or row.perilaku_kerja is not None:
            raise ValueError(f"{row.nip}: ratings without a predikat")
        hasil, perilaku = hasil_from_k(row.productivity, mapping), mapping.perilaku_default
        return PREDIKAT_MATRIX[(hasil, perilaku)], hasil, perilaku, "derived_from_k", "derived_from_k"
    predikat = normalize_predikat(row.predikat)
    if row.hasil_kerja is not None and row.perilaku_kerja is not None:
        if PREDIKAT_MATRIX[(row.hasil_kerja, row.perilaku_kerja)] != predikat:
            raise ValueError(f"{row.nip}: predikat {predikat} does not match hasil {row.hasil_kerja} "
                             f"x perilaku {row.perilaku_kerja} (PermenPANRB 6/2022)")
        return predikat, row.hasil_kerja, row.perilaku_kerja, "appraisal", "appraisal"
    if row.hasil_kerja is not None or row.perilaku_kerja is not None:
        raise ValueError(f"{row.nip}: give both ratings or neither")
    hasil, perilaku = CANONICAL_RATINGS[predikat]
    return predikat, hasil, perilaku, "appraisal", "canonical_for_predikat"


def _record(row: ExportRow, year: int, month: int, mapping: SiasnMapping) -> dict:
    predikat, hasil, perilaku, predikat_source, ratings_source = assess(row, mapping)
    penilai = mapping.penilai.get(row.nip)
    payload = {
        "bulanMulaiPenilaian": month,
        "bulanSelesaiPenilaian": month,
        "hasilKinerjaNilai": RATING_CODE[hasil],
        "koefisienId": mapping.koefisien_ids.get(row.nip),
        "kuadranKinerjaNilai": KUADRAN_CODE[predikat],
        "penilaiGolongan": penilai.golongan_id if penilai else None,
        "penilaiJabatanNama": penilai.jabatan_nama if penilai else None,
        "penilaiNama": penilai.nama if penilai else None,
        "penilaiNipNrp": penilai.nip_nrp if penilai else None,
        "penilaiUnorNama": penilai.unor_nama if penilai else None,
        "perilakuKerjaNilai": RATING_CODE[perilaku],
        "periodikId": PERIODIK_BULANAN,
        "pnsDinilaiId": mapping.pns_ids.get(row.nip),
        "statusPenilai": penilai.status if penilai else None,
        "tahun": year,
        "tahunMulaiPenilaian": year,
        "tahunSelesaiPenilaian": year,
    }
    optional = {"koefisienId"}  # only for a functional position with angka kredit
    return {
        "nip": row.nip,
        "nama": row.name,
        "unit_code": row.unit_code,
        "unit_name": row.unit_name,
        "employee_type": row.employee_type,
        "revision": row.revision,
        "productivity": f"{row.productivity:f}",
        "predikat": predikat,
        "predikat_source": predikat_source,
        "ratings_source": ratings_source,
        "missing": [k for k, v in payload.items() if v is None and k not in optional],
        "payload": payload,
    }


def _dumps(value, indent: int | None = None) -> str:
    return json.dumps(value, ensure_ascii=False, indent=indent, separators=(", ", ": ") if indent is None else None)


def to_siasn(rows: Iterable[ExportRow], period: str, *, mapping: SiasnMapping | None = None) -> bytes:
    """The SIASN export of a period as UTF-8 JSON; the same input gives the same bytes. Each record
    is one line (a province's 440,000 records stay a few hundred bytes each, never a tree of dicts)."""
    check_period(period)
    mapping = mapping or SiasnMapping()
    year, month = int(period[:4]), int(period[5:])
    records: list[str] = []
    skipped: list[str] = []
    ready = 0
    for r in sorted_rows(rows, period):
        if r.employee_type in SIASN_EMPLOYEE_TYPES:
            rec = _record(r, year, month, mapping)
            ready += not rec["missing"]
            records.append(_dumps(rec))
        else:
            skipped.append(_dumps({"nip": r.nip, "nama": r.name, "unit_code": r.unit_code,
                                   "employee_type": r.employee_type,
                                   "reason": "not an ASN (PNS/CPNS/PPPK): no SIASN record"}))
    head = {
        "format": FORMAT,
        "period": period,
        "target": {"system": "SIASN (BKN)", "endpoint": ENDPOINT, "body": "each record's payload, as JSON"},
        "references": {
            "periodikId": PERIODIK,
            "hasilKinerjaNilai/perilakuKerjaNilai": {str(k): v for k, v in PERILAKU_DAN_KINERJA.items()},
            "kuadranKinerjaNilai": {str(k): v for k, v in KUADRAN_NILAI.items()},
        },
        "predikat_from_k": {
            "hasil_sesuai_from": f"{mapping.hasil_sesuai_from:f}",
            "hasil_di_atas_from": None if mapping.hasil_di_atas_from is None else f"{mapping.hasil_di_atas_from:f}",
            "perilaku_default": mapping.perilaku_default,
        },
        "counts": {"records": len(records), "ready": ready, "skipped": len(skipped)},
    }
    parts = ["{\n"]
    for key, value in head.items():
        parts.append(f"  {_dumps(key)}: " + _dumps(value, indent=2).replace("\n", "\n  ") + ",\n")
    for key, items, last in (("records", records, False), ("skipped", skipped, True)):
        body = ",\n".join("    " + x for x in items)
        parts.append(f'  "{key}": [' + (f"\n{body}\n  ]" if items else "]") + ("\n" if last else ",\n"))
    parts.append("}\n")
    return "".join(parts).encode("utf-8")
