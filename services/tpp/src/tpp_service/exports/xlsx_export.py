"""The BPKAD workbook of a closed period (docs/exports.md). Pure: rows in, bytes out.

Three sheets:

- "Pegawai": one row per employee (unit_code, then NIP), the CSV's column names as header, the
  header frozen and an autofilter over the table. NIP is a text cell (format "@"), so no digit is
  lost; rupiah are integer cells with the format `#,##0` (shown with the reader's thousands
  separator: 6.000.000 in Indonesian settings); K and D are numbers shown with 5 decimals.
- "Per OPD": the control total of each OPD as values (not SUM formulas: openpyxl cannot store a
  formula's cached result, so a program reading the file back would see no number), then the
  grand total row.
- "Rekap": period, revision, generated_at and the grand totals, one label and value a row.

Deterministic: the same rows, period and generated_at give the same bytes. The workbook's
created/modified properties are generated_at, and every zip entry is stamped with generated_at
instead of the time of writing.

openpyxl's write-only mode streams each sheet through a temporary file, so memory does not grow
with the cells; its cost is time (openpyxl writes cell by cell in Python, docs/exports.md).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from datetime import UTC, datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.xml.functions import tostring

from tpp_service.exports.rows import (
    ExportRow,
    OpdTotal,
    check_period,
    grand_total,
    latest_revision,
    opd_totals,
    sorted_rows,
)

SHEET_EMPLOYEES = "Pegawai"
SHEET_OPD = "Per OPD"
SHEET_SUMMARY = "Rekap"
RUPIAH_FORMAT = "#,##0"
FACTOR_FORMAT = "0.00000"
TEXT_FORMAT = "@"

EMPLOYEE_HEADER = ("period", "revision", "unit_code", "unit_name", "nip", "name", "employee_type", "kelas_jabatan",
                   "predikat", "productivity", "discipline_factor", "base_amount", "kinerja_amount",
                   "disiplin_amount", "deductions", "gross_amount", "bpjs_amount", "pph21_amount", "pph21_borne_amount",
                   "net_amount")
OPD_HEADER = ("unit_code", "unit_name", "employees", "base_amount", "kinerja_amount", "disiplin_amount", "deductions",
              "gross_amount", "bpjs_amount", "pph21_amount", "pph21_borne_amount", "net_amount")
_TEXT_COLUMNS = {"period", "unit_code", "unit_name", "nip", "name", "employee_type", "predikat"}
_FACTOR_COLUMNS = {"productivity", "discipline_factor"}
_RUPIAH_COLUMNS = {"base_amount", "kinerja_amount", "disiplin_amount", "deductions", "gross_amount", "bpjs_amount",
                   "pph21_amount", "pph21_borne_amount", "net_amount"}
_WIDTHS = {"unit_name": 36, "name": 32, "nip": 21, "unit_code": 14}
_BOLD = Font(bold=True)


def _utc_naive(when: datetime) -> datetime:
    """Excel has no time zones: an aware datetime is converted to UTC; a naive one is taken as UTC."""
    if not isinstance(when, datetime):
        raise TypeError(f"generated_at must be a datetime, got {when!r}")
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when.replace(microsecond=0)


def _text(value) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", "" if value is None else str(value))


def _cell(ws, header: str, value, bold: bool = False):
    """A value as openpyxl should write it: text stays text (a text that starts with "=" is not a
    formula), rupiah and factors get their number format. Plain values need no cell object."""
    if header in _TEXT_COLUMNS or isinstance(value, str):
        value = _text(value)
        if not (bold or header == "nip" or value.startswith("=")):
            return value
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        if header == "nip":
            cell.number_format = TEXT_FORMAT
    else:
        fmt = RUPIAH_FORMAT if header in _RUPIAH_COLUMNS else FACTOR_FORMAT if header in _FACTOR_COLUMNS else None
        if fmt is None and not bold:
            return value
        cell = WriteOnlyCell(ws, value=value)
        if fmt:
            cell.number_format = fmt
    if bold:
        cell.font = _BOLD
    return cell


def _line(ws, header: tuple[str, ...], values: tuple, bold: bool = False) -> list:
    return [_cell(ws, name, value, bold) for name, value in zip(header, values, strict=True)]


def _header(ws, header: tuple[str, ...]) -> list:
    for col, name in enumerate(header, start=1):
        ws.column_dimensions[get_column_letter(col)].width = _WIDTHS.get(name, max(12, len(name) + 2))
    cells = []
    for name in header:
        cell = WriteOnlyCell(ws, value=name)
        cell.font = _BOLD
        cells.append(cell)
    return cells


def _employee_values(r: ExportRow) -> tuple:
    return (r.period, r.revision, r.unit_code, r.unit_name, r.nip, r.name, r.employee_type, r.kelas_jabatan,
            r.predikat or "", r.productivity, r.discipline_factor, r.base_amount, r.kinerja_amount,
            r.disiplin_amount, r.deductions, r.total_amount, r.bpjs_amount, r.pph21_amount, r.pph21_borne_amount,
            r.net_amount)


def _total_values(t: OpdTotal) -> tuple:
    return (t.unit_code, t.unit_name, t.employees, t.base, t.kinerja, t.disiplin, t.deductions, t.gross, t.bpjs,
            t.pph21, t.pph21_borne, t.net)


def _deterministic_zip(data: bytes, when: datetime, core_xml: bytes) -> bytes:
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = core_xml if info.filename == "docProps/core.xml" else src.read(info)
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 3
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, body)
    return out.getvalue()


def to_xlsx(rows: Iterable[ExportRow], period: str, *, generated_at: datetime, revision: int | None = None) -> bytes:
    """The workbook as bytes. `revision` on the Rekap sheet defaults to the highest revision of the
    rows (a correction re-issues only the employees it touches)."""
    check_period(period)
    rows = sorted_rows(rows, period)
    when = _utc_naive(generated_at)
    totals = opd_totals(rows)
    total = grand_total(rows)
    revision = latest_revision(rows) if revision is None else revision

    wb = Workbook(write_only=True)  # streams rows: memory stays flat for a province of 440,000
    ws = wb.create_sheet(SHEET_EMPLOYEES)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(EMPLOYEE_HEADER))}{len(rows) + 1}"
    ws.append(_header(ws, EMPLOYEE_HEADER))
    for r in rows:
        ws.append(_line(ws, EMPLOYEE_HEADER, _employee_values(r)))

    wo = wb.create_sheet(SHEET_OPD)
    wo.freeze_panes = "A2"
    wo.append(_header(wo, OPD_HEADER))
    for t in totals:
        wo.append(_line(wo, OPD_HEADER, _total_values(t)))
    wo.append(_line(wo, OPD_HEADER, _total_values(total), bold=True))

    wr = wb.create_sheet(SHEET_SUMMARY)
    wr.column_dimensions["A"].width = 22
    wr.column_dimensions["B"].width = 24
    summary = [("period", period), ("revision", revision),
               ("generated_at", when.isoformat() + "Z"),
               ("employees", total.employees), ("opd_count", len(totals)),
               ("base_amount", total.base), ("kinerja_amount", total.kinerja), ("disiplin_amount", total.disiplin),
               ("deductions", total.deductions), ("gross_amount", total.gross), ("bpjs_amount", total.bpjs),
               ("pph21_amount", total.pph21), ("pph21_borne_amount", total.pph21_borne), ("net_amount", total.net)]
    for label, value in summary:
        wr.append([_cell(wr, "label", label, bold=True), _cell(wr, label, value)])

    wb.properties.creator = "Kinerja TPP"
    wb.properties.lastModifiedBy = "Kinerja TPP"
    wb.properties.title = f"TPP {period}"
    wb.properties.created = when
    buf = io.BytesIO()
    wb.save(buf)  # openpyxl stamps `modified` with the clock here; the core part is rewritten below
    wb.properties.modified = when
    return _deterministic_zip(buf.getvalue(), when, tostring(wb.properties.to_tree()))

