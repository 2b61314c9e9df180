"""Export files of a closed period (docs/exports.md): the BPKAD CSV and workbook, and the SIASN
periodic performance export. Pure functions of `ExportRow`s: no database, no HTTP, no clock."""

from tpp_service.exports.csv_export import HEADER as CSV_HEADER
from tpp_service.exports.csv_export import parse_nip, to_csv
from tpp_service.exports.rows import (
    ExportRow,
    OpdTotal,
    grand_total,
    latest_revision,
    opd_totals,
)
from tpp_service.exports.siasn import Penilai, SiasnMapping, to_siasn

__all__ = ["CSV_HEADER", "ExportRow", "OpdTotal", "Penilai", "SiasnMapping", "grand_total", "latest_revision",
           "opd_totals", "parse_nip", "to_csv", "to_siasn", "to_xlsx"]


def __getattr__(name: str):
    # to_xlsx needs openpyxl: imported on first use, so the CSV and SIASN exports never depend on it.
    if name == "to_xlsx":
        from tpp_service.exports.xlsx_export import to_xlsx
        return to_xlsx
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
