"""The BPKAD CSV of a closed period (docs/exports.md). Pure: rows in, bytes out, deterministic.

Format: RFC 4180 (comma, CRLF, fields quoted only when needed), UTF-8 with a byte-order mark so
Excel reads names like "Ni Luh Putu Ayu" or "Siti Aminah" right instead of guessing a code
page. One row per employee sorted by unit_code then NIP (`row_type` "pegawai"), then one control
total per OPD ("total_opd", sorted by unit_code) and the grand total ("total"). The header names
below are a contract with BPKAD: new columns may be appended, none is renamed or moved.

NIP: a spreadsheet turns an 18-digit NIP into a number, shows 1.98001E+17 and, worse, keeps only
15 significant digits (198001012005011001 becomes 198001012005011000), so the file would pay the
wrong person after a round trip. Quoting does not help (Excel drops the quotes before guessing
the type). The cell is therefore written as `="198001012005011001"`: Excel, LibreOffice and
Google Sheets evaluate it to the text 198001012005011001 and keep every digit. A program reads
the NIP with `parse_nip` (strip the leading `="` and the trailing `"`). The other choices were
worse: an apostrophe is shown literally in a CSV, a leading tab or zero-width character stays
invisible in the data, the spaced print form "19800101 200501 1 001" is not the NIP's value.

Only our own NIP cell starts with "=": a text field (name, unit) that begins with = + - @ or a
control character is prefixed with an apostrophe so a spreadsheet never runs it as a formula
(CSV injection).

Rupiah are plain integers without separators; K and D are decimals with a dot. A spreadsheet with
Indonesian regional settings (list separator ";", decimal comma) opens the CSV through
Data > From Text/CSV with delimiter comma; the XLSX export is the file meant for people.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from decimal import Decimal

from tpp_service.exports.rows import (
    ExportRow,
    OpdTotal,
    check_period,
    grand_total,
    latest_revision,
    opd_totals,
    sorted_rows,
)

HEADER = (
    "row_type",  # pegawai | total_opd | total
    "period",  # YYYY-MM
    "revision",  # the employee's revision; on a total row the highest revision it covers
    "unit_code",
    "unit_name",
    "nip",  # ="<digits>" (see the module docstring); empty on total rows
    "name",
    "employee_type",
    "kelas_jabatan",
    "predikat",
    "productivity",  # K, 5 decimals
    "discipline_factor",  # D, 5 decimals
    "employees",  # 1 on an employee row; the number of employees on a total row
    "base_amount",
    "kinerja_amount",
    "disiplin_amount",
    "deductions",
    "gross_amount",  # = tpp.computed.v1 total_amount
    "bpjs_amount",
    "pph21_amount",  # withheld from the employee
    "pph21_borne_amount",  # borne by the region's budget (not withheld)
    "net_amount",
)
ROW_EMPLOYEE = "pegawai"
ROW_OPD_TOTAL = "total_opd"
ROW_GRAND_TOTAL = "total"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_NIP_CELL = re.compile(r'^="([0-9]{8,18})"$')


def nip_cell(nip: str) -> str:
    return f'="{nip}"'


def parse_nip(cell: str) -> str:
    """The NIP of a `nip` cell as written by `to_csv` (also accepts the bare digits)."""
    m = _NIP_CELL.match(cell)
    if m:
        return m.group(1)
    if cell.isdigit():
        return cell
    raise ValueError(f"not a NIP cell: {cell!r}")


def safe_text(value: str) -> str:
    """Text that a spreadsheet shows as text, never runs as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _factor(x: Decimal) -> str:
    return f"{x.quantize(Decimal('0.00001')):f}"


def _employee(r: ExportRow) -> list[str]:
    return [ROW_EMPLOYEE, r.period, str(r.revision), safe_text(r.unit_code), safe_text(r.unit_name),
            nip_cell(r.nip), safe_text(r.name), safe_text(r.employee_type), str(r.kelas_jabatan),
            safe_text(r.predikat or ""), _factor(r.productivity), _factor(r.discipline_factor), "1",
            str(r.base_amount), str(r.kinerja_amount), str(r.disiplin_amount), str(r.deductions),
            str(r.total_amount), str(r.bpjs_amount), str(r.pph21_amount), str(r.pph21_borne_amount),
            str(r.net_amount)]


def _total(kind: str, period: str, revision: int, t: OpdTotal) -> list[str]:
    return [kind, period, str(revision), safe_text(t.unit_code), safe_text(t.unit_name), "", "", "", "", "", "",
            "", str(t.employees), str(t.base), str(t.kinerja), str(t.disiplin), str(t.deductions), str(t.gross),
            str(t.bpjs), str(t.pph21), str(t.pph21_borne), str(t.net)]


def to_csv(rows: Iterable[ExportRow], period: str) -> bytes:
    check_period(period)
    rows = sorted_rows(rows, period)
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(HEADER)
    for r in rows:
        w.writerow(_employee(r))
    revision_of: dict[str, int] = {}
    for r in rows:
        revision_of[r.unit_code] = max(revision_of.get(r.unit_code, 0), r.revision)
    for t in opd_totals(rows):
        w.writerow(_total(ROW_OPD_TOTAL, period, revision_of[t.unit_code], t))
    w.writerow(_total(ROW_GRAND_TOTAL, period, latest_revision(rows), grand_total(rows)))
    return buf.getvalue().encode("utf-8-sig")
