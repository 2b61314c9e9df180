"""Export files read back the way their consumers read them: the CSV with the csv module, the
workbook with openpyxl, the SIASN file with json. Totals, NIPs and types must survive."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import openpyxl
import pytest
from tpp_service.exports import (
    CSV_HEADER,
    ExportRow,
    OpdTotal,
    Penilai,
    SiasnMapping,
    grand_total,
    opd_totals,
    parse_nip,
    to_csv,
    to_siasn,
    to_xlsx,
)

PERIOD = "2025-03"
GENERATED_AT = datetime(2025, 4, 2, 8, 30, 0, tzinfo=UTC)
AMOUNTS = ("base_amount", "kinerja_amount", "disiplin_amount", "deductions", "gross_amount", "bpjs_amount",
           "pph21_amount", "pph21_borne_amount", "net_amount")
TOTAL_OF = {"base_amount": "base", "kinerja_amount": "kinerja", "disiplin_amount": "disiplin",
            "deductions": "deductions", "gross_amount": "gross", "bpjs_amount": "bpjs", "pph21_amount": "pph21",
            "pph21_borne_amount": "pph21_borne", "net_amount": "net"}
ROW_OF = {**{a: a for a in AMOUNTS}, "gross_amount": "total_amount"}


def row(nip: str, unit_code: str, *, name: str = "Pegawai", unit_name: str | None = None, kinerja: int = 3_428_571,
        disiplin: int = 2_256_000, deductions: int = 0, bpjs: int = 56_846, pph21: int = 0, base: int = 6_000_000,
        k: str = "0.95238", d: str = "0.94000", employee_type: str = "PNS", revision: int = 1, **kw) -> ExportRow:
    gross = kinerja + disiplin - deductions
    return ExportRow(period=PERIOD, revision=revision, nip=nip, name=name, unit_code=unit_code,
                     unit_name=unit_name or f"Dinas {unit_code}", employee_type=employee_type, kelas_jabatan=9,
                     base_amount=base, kinerja_amount=kinerja, disiplin_amount=disiplin, deductions=deductions,
                     total_amount=gross, bpjs_amount=bpjs, pph21_amount=pph21, net_amount=gross - bpjs - pph21,
                     productivity=Decimal(k), discipline_factor=Decimal(d), **kw)


ROWS = [
    # deliberately out of order: files sort by unit_code, then NIP
    row("199203152019032011", "4.01.02", name="Ni Luh Putu Ayu Sukmawati", unit_name="Badan Keuangan Daerah",
        kinerja=2_100_000, disiplin=1_600_000, deductions=740_000, pph21=148_000, revision=2, predikat="Baik"),
    row("198001012005011001", "1.02.01", name="Dr. Andréas Simanjuntak, M.Kes.", unit_name="Dinas Kesehatan",
        predikat="Sangat Baik"),
    row("198512312010012003", "1.02.01", name="Siti Nur'aini", unit_name="Dinas Kesehatan", k="0.50000",
        kinerja=1_800_000, disiplin=2_400_000, d="1.00000", pph21_borne_amount=105_000),
    row("197001012000031002", "4.01.02", name="=HYPERLINK(\"http://x\")", unit_name="Badan Keuangan Daerah",
        k="1.00000", kinerja=3_600_000, disiplin=2_400_000, d="1.00000", pph21=300_000),
    row("3571020304850001", "1.02.01", name="Budi Santoso (TKK)", unit_name="Dinas Kesehatan",
        employee_type="NON_ASN", kinerja=0, disiplin=0, base=0, bpjs=0, k="0.00000", d="0.00000"),
    row("0012345678", "2.07.01", name="Wayan Sudarsana", unit_name="Kecamatan Ubud", employee_type="PPPK",
        kinerja=1_234_567, disiplin=765_433, bpjs=20_000, k="0.75999"),
]


def read_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


# --- rows -----------------------------------------------------------------------------------------

def test_opd_totals_are_sums_sorted_by_unit_code():
    totals = opd_totals(ROWS)
    assert [t.unit_code for t in totals] == ["1.02.01", "2.07.01", "4.01.02"]
    for t in totals:
        mine = [r for r in ROWS if r.unit_code == t.unit_code]
        assert t.employees == len(mine)
        for col, field in TOTAL_OF.items():
            assert getattr(t, field) == sum(getattr(r, ROW_OF[col]) for r in mine)
    g = grand_total(ROWS)
    assert g.employees == len(ROWS)
    assert g.gross == sum(r.total_amount for r in ROWS) == sum(t.gross for t in totals)
    assert g.net == sum(r.net_amount for r in ROWS) == g.gross - g.bpjs - g.pph21
    assert opd_totals([]) == [] and grand_total([]).employees == 0


@pytest.mark.parametrize(("change", "error", "message"), [
    ({"kinerja_amount": 3_428_571.0}, TypeError, "int"),
    ({"bpjs_amount": True}, TypeError, "int"),
    ({"productivity": 0.95238}, TypeError, "Decimal"),
    ({"revision": "1"}, TypeError, "revision"),
    ({"base_amount": -1}, ValueError, "negative"),
    ({"total_amount": 1}, ValueError, "total_amount"),
    ({"net_amount": 1}, ValueError, "net_amount"),
    ({"nip": "1.98001E+17"}, ValueError, "nip"),
    ({"period": "2025-3"}, ValueError, "YYYY-MM"),
    ({"revision": 0}, ValueError, "revision"),
    ({"hasil_kerja": "bagus"}, ValueError, "hasil_kerja"),
])
def test_export_row_refuses_what_does_not_add_up(change, error, message):
    with pytest.raises(error, match=message):
        replace(ROWS[1], **change)


def test_one_row_per_employee_of_the_period():
    with pytest.raises(ValueError, match="more than one row"):
        to_csv([*ROWS, replace(ROWS[0], revision=3)], PERIOD)
    with pytest.raises(ValueError, match="period 2025-02"):
        to_csv([replace(ROWS[0], period="2025-02")], PERIOD)


# --- CSV ------------------------------------------------------------------------------------------

def test_csv_has_bom_stable_header_and_file_order():
    data = to_csv(ROWS, PERIOD)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0] == ",".join(CSV_HEADER)
    assert CSV_HEADER == (
        "row_type", "period", "revision", "unit_code", "unit_name", "nip", "name", "employee_type", "kelas_jabatan",
        "predikat", "productivity", "discipline_factor", "employees", "base_amount", "kinerja_amount",
        "disiplin_amount", "deductions", "gross_amount", "bpjs_amount", "pph21_amount", "pph21_borne_amount",
        "net_amount")
    assert "\r\n" in text and "Dr. Andréas Simanjuntak, M.Kes." in text
    recs = read_csv(data)
    kinds = [r["row_type"] for r in recs]
    assert kinds == ["pegawai"] * 6 + ["total_opd"] * 3 + ["total"]
    people = recs[:6]
    assert [(r["unit_code"], parse_nip(r["nip"])) for r in people] == sorted((r.unit_code, r.nip) for r in ROWS)
    assert to_csv(list(reversed(ROWS)), PERIOD) == data  # order of input does not matter


def test_csv_nip_stays_text_with_every_digit():
    people = [r for r in read_csv(to_csv(ROWS, PERIOD)) if r["row_type"] == "pegawai"]
    by_nip = {parse_nip(r["nip"]): r for r in people}
    assert set(by_nip) == {r.nip for r in ROWS}
    cell = next(r["nip"] for r in people if "Andréas" in r["name"])
    assert cell == '="198001012005011001"'  # a spreadsheet evaluates it to the text, never 1.98001E+17
    assert len(parse_nip(cell)) == 18
    assert parse_nip(next(r["nip"] for r in people if r["employee_type"] == "PPPK")) == "0012345678"  # leading zeros
    assert "E+" not in "".join(r["nip"] for r in people)


def test_csv_totals_equal_the_sum_of_rows():
    recs = read_csv(to_csv(ROWS, PERIOD))
    people = [r for r in recs if r["row_type"] == "pegawai"]
    for r in recs:
        for col in (*AMOUNTS, "employees"):
            assert re.fullmatch(r"[0-9]+", r[col]), (col, r[col])  # whole rupiah, no separator, no decimal point
    opd = [r for r in recs if r["row_type"] == "total_opd"]
    assert [r["unit_code"] for r in opd] == ["1.02.01", "2.07.01", "4.01.02"]
    for t in opd:
        mine = [p for p in people if p["unit_code"] == t["unit_code"]]
        assert int(t["employees"]) == len(mine)
        for col in AMOUNTS:
            assert int(t[col]) == sum(int(p[col]) for p in mine), (t["unit_code"], col)
        assert t["nip"] == "" and t["unit_name"] == mine[0]["unit_name"]
    (g,) = [r for r in recs if r["row_type"] == "total"]
    for col in AMOUNTS:
        assert int(g[col]) == sum(int(p[col]) for p in people) == sum(int(t[col]) for t in opd)
    assert int(g["gross_amount"]) == sum(r.total_amount for r in ROWS)
    assert int(g["net_amount"]) == int(g["gross_amount"]) - int(g["bpjs_amount"]) - int(g["pph21_amount"])
    assert g["revision"] == "2" and next(t for t in opd if t["unit_code"] == "1.02.01")["revision"] == "1"


def test_csv_values_of_one_employee():
    recs = read_csv(to_csv(ROWS, PERIOD))
    r = next(x for x in recs if x["nip"] == '="199203152019032011"')
    assert (r["period"], r["revision"], r["predikat"], r["productivity"], r["discipline_factor"]) == \
        ("2025-03", "2", "Baik", "0.95238", "0.94000")
    assert (r["kinerja_amount"], r["disiplin_amount"], r["deductions"], r["gross_amount"]) == \
        ("2100000", "1600000", "740000", "2960000")
    assert (r["bpjs_amount"], r["pph21_amount"], r["net_amount"]) == ("56846", "148000", "2755154")


def test_csv_text_never_runs_as_a_formula():
    recs = read_csv(to_csv(ROWS, PERIOD))
    evil = next(r for r in recs if r["name"].startswith("'"))
    assert evil["name"] == "'=HYPERLINK(\"http://x\")"
    starts = [r[c][:1] for r in recs for c in ("name", "unit_name", "unit_code") if r[c]]
    assert "=" not in starts and "+" not in starts and "@" not in starts


def test_csv_of_no_rows_is_header_and_a_zero_total():
    recs = read_csv(to_csv([], PERIOD))
    assert [r["row_type"] for r in recs] == ["total"]
    assert recs[0]["employees"] == "0" and recs[0]["net_amount"] == "0"


# --- XLSX -----------------------------------------------------------------------------------------

def load(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def test_xlsx_sheets_header_nip_and_formats():
    wb = load(to_xlsx(ROWS, PERIOD, generated_at=GENERATED_AT))
    assert wb.sheetnames == ["Pegawai", "Per OPD", "Rekap"]
    ws = wb["Pegawai"]
    header = [c.value for c in ws[1]]
    assert header == [c for c in CSV_HEADER if c not in ("row_type", "employees")]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:T{len(ROWS) + 1}"
    col = {name: i for i, name in enumerate(header)}
    body = list(ws.iter_rows(min_row=2))
    assert len(body) == len(ROWS)
    assert [(r[col["unit_code"]].value, r[col["nip"]].value) for r in body] == sorted((r.unit_code, r.nip) for r in ROWS)
    for r in body:
        nip = r[col["nip"]]
        assert isinstance(nip.value, str) and nip.data_type == "s" and nip.number_format == "@"
        for name in AMOUNTS:
            cell = r[col[name]]
            assert type(cell.value) is int, (name, cell.value)
            assert cell.number_format == "#,##0"
        assert r[col["productivity"]].number_format == "0.00000"
    andreas = next(r for r in body if r[col["nip"]].value == "198001012005011001")
    assert len(andreas[col["nip"]].value) == 18 and andreas[col["name"]].value == "Dr. Andréas Simanjuntak, M.Kes."
    assert Decimal(str(andreas[col["productivity"]].value)) == Decimal("0.95238")
    evil = next(r for r in body if r[col["nip"]].value == "197001012000031002")
    assert evil[col["name"]].data_type == "s" and evil[col["name"]].value == "=HYPERLINK(\"http://x\")"


def test_xlsx_per_opd_totals_equal_the_sum_of_rows():
    wb = load(to_xlsx(ROWS, PERIOD, generated_at=GENERATED_AT))
    ws = wb["Pegawai"]
    header = [c.value for c in ws[1]]
    people = [dict(zip(header, (c.value for c in r), strict=True)) for r in ws.iter_rows(min_row=2)]
    wo = wb["Per OPD"]
    oh = [c.value for c in wo[1]]
    assert oh == ["unit_code", "unit_name", "employees", *AMOUNTS]
    assert wo.freeze_panes == "A2"
    lines = [dict(zip(oh, (c.value for c in r), strict=True)) for r in wo.iter_rows(min_row=2)]
    *opd, total = lines
    assert [o["unit_code"] for o in opd] == ["1.02.01", "2.07.01", "4.01.02"]
    for o in opd:
        mine = [p for p in people if p["unit_code"] == o["unit_code"]]
        assert o["employees"] == len(mine)
        for name in AMOUNTS:
            assert type(o[name]) is int and o[name] == sum(p[name] for p in mine)
    assert total["unit_name"] == "TOTAL" and total["employees"] == len(ROWS)
    for name in AMOUNTS:
        assert total[name] == sum(p[name] for p in people) == sum(o[name] for o in opd)
    assert [OpdTotal(**{"unit_code": o["unit_code"] or "", "unit_name": o["unit_name"], "employees": o["employees"],
                        **{TOTAL_OF[n]: o[n] for n in AMOUNTS}}) for o in opd] == opd_totals(ROWS)


def test_xlsx_rekap():
    wb = load(to_xlsx(ROWS, PERIOD, generated_at=GENERATED_AT))
    rekap = {r[0].value: r[1].value for r in wb["Rekap"].iter_rows()}
    g = grand_total(ROWS)
    assert rekap["period"] == PERIOD and rekap["revision"] == 2
    assert rekap["generated_at"] == "2025-04-02T08:30:00Z"
    assert rekap["employees"] == 6 and rekap["opd_count"] == 3
    assert (rekap["gross_amount"], rekap["bpjs_amount"], rekap["pph21_amount"], rekap["net_amount"]) == \
        (g.gross, g.bpjs, g.pph21, g.net)
    assert all(type(rekap[n]) is int for n in AMOUNTS)
    assert load(to_xlsx(ROWS, PERIOD, generated_at=GENERATED_AT, revision=5))["Rekap"]["B2"].value == 5


def test_xlsx_bytes_are_deterministic():
    a = to_xlsx(ROWS, PERIOD, generated_at=GENERATED_AT)
    assert to_xlsx(list(reversed(ROWS)), PERIOD, generated_at=GENERATED_AT) == a
    # the same instant in Jakarta time is the same file
    assert to_xlsx(ROWS, PERIOD, generated_at=GENERATED_AT.astimezone(timezone(timedelta(hours=7)))) == a
    assert to_xlsx(ROWS, PERIOD, generated_at=GENERATED_AT + timedelta(seconds=1)) != a
    props = load(a).properties
    assert props.created == props.modified == datetime(2025, 4, 2, 8, 30, 0)
    with zipfile.ZipFile(io.BytesIO(a)) as z:
        assert {i.date_time for i in z.infolist()} == {(2025, 4, 2, 8, 30, 0)}
        assert z.testzip() is None


def test_xlsx_of_no_rows_opens():
    wb = load(to_xlsx([], PERIOD, generated_at=GENERATED_AT))
    assert wb["Pegawai"].max_row == 1
    assert (wb["Per OPD"]["B2"].value, wb["Per OPD"]["C2"].value, wb["Per OPD"]["L2"].value) == ("TOTAL", 0, 0)
    assert wb["Rekap"]["B2"].value == 0  # no rows, no revision


# --- SIASN ----------------------------------------------------------------------------------------

PAYLOAD_FIELDS = {"bulanMulaiPenilaian", "bulanSelesaiPenilaian", "hasilKinerjaNilai", "koefisienId",
                  "kuadranKinerjaNilai", "penilaiGolongan", "penilaiJabatanNama", "penilaiNama", "penilaiNipNrp",
                  "penilaiUnorNama", "perilakuKerjaNilai", "periodikId", "pnsDinilaiId", "statusPenilai", "tahun",
                  "tahunMulaiPenilaian", "tahunSelesaiPenilaian"}


def siasn(rows=ROWS, **kw) -> dict:
    return json.loads(to_siasn(rows, PERIOD, **kw).decode("utf-8"))


def test_siasn_shape_and_periodic_fields():
    doc = siasn()
    assert doc["format"] == "kinerja.siasn.kinerjaperiodik.v1" and doc["period"] == PERIOD
    assert doc["target"]["endpoint"] == "POST /apisiasn/1.0/kinerjaperiodik/save"
    assert doc["references"]["kuadranKinerjaNilai"]["1"] == "SANGAT BAIK"
    recs = doc["records"]
    assert [(r["unit_code"], r["nip"]) for r in recs] == sorted((r.unit_code, r.nip) for r in ROWS
                                                                if r.employee_type != "NON_ASN")
    for r in recs:
        p = r["payload"]
        assert set(p) == PAYLOAD_FIELDS
        assert (p["tahun"], p["tahunMulaiPenilaian"], p["tahunSelesaiPenilaian"]) == (2025, 2025, 2025)
        assert (p["bulanMulaiPenilaian"], p["bulanSelesaiPenilaian"], p["periodikId"]) == (3, 3, "1")
        assert p["hasilKinerjaNilai"] in (1, 2, 3) and p["perilakuKerjaNilai"] in (1, 2, 3)
        assert p["kuadranKinerjaNilai"] in (1, 2, 3, 4, 5)
        assert isinstance(r["nip"], str) and r["nip"] == next(x.nip for x in ROWS if x.nip == r["nip"])
        assert "pnsDinilaiId" in r["missing"] and "koefisienId" not in r["missing"]  # nothing mapped yet
    assert doc["counts"] == {"records": 5, "ready": 0, "skipped": 1}
    assert doc["skipped"][0]["nip"] == "3571020304850001" and doc["skipped"][0]["employee_type"] == "NON_ASN"


def test_siasn_predikat_from_appraisal_or_from_k():
    recs = {r["nip"]: r for r in siasn()["records"]}
    sb = recs["198001012005011001"]  # appraisal: Sangat Baik
    assert (sb["predikat"], sb["predikat_source"], sb["ratings_source"]) == \
        ("Sangat Baik", "appraisal", "canonical_for_predikat")  # predikat only: its unique cell
    assert (sb["payload"]["hasilKinerjaNilai"], sb["payload"]["perilakuKerjaNilai"],
            sb["payload"]["kuadranKinerjaNilai"]) == (1, 1, 1)
    low = recs["198512312010012003"]  # no appraisal, K = 0.5
    assert (low["predikat"], low["predikat_source"]) == ("Butuh Perbaikan", "derived_from_k")
    assert (low["payload"]["hasilKinerjaNilai"], low["payload"]["perilakuKerjaNilai"],
            low["payload"]["kuadranKinerjaNilai"]) == (3, 2, 3)
    full = recs["197001012000031002"]  # K = 1: meets the target, "sesuai" (K cannot show "di atas")
    assert (full["predikat"], full["payload"]["hasilKinerjaNilai"], full["payload"]["kuadranKinerjaNilai"]) == \
        ("Baik", 2, 2)
    edge = recs["0012345678"]  # K = 0.75999, just below the 0.76 threshold
    assert edge["predikat"] == "Butuh Perbaikan" and edge["productivity"] == "0.75999"


def test_siasn_ratings_of_the_appraisal_win_and_must_match_the_matrix():
    r = replace(ROWS[2], predikat="Kurang/Misconduct", hasil_kerja="di_atas", perilaku_kerja="di_bawah")
    (rec,) = siasn([r])["records"]
    assert (rec["predikat"], rec["ratings_source"]) == ("Kurang", "appraisal")
    assert (rec["payload"]["hasilKinerjaNilai"], rec["payload"]["perilakuKerjaNilai"],
            rec["payload"]["kuadranKinerjaNilai"]) == (1, 3, 4)
    with pytest.raises(ValueError, match="does not match"):
        to_siasn([replace(r, predikat="Baik")], PERIOD)
    with pytest.raises(ValueError, match="unknown predikat"):
        to_siasn([replace(ROWS[2], predikat="Cukup")], PERIOD)


def test_siasn_mapping_fills_the_payload():
    nip = "198001012005011001"
    mapping = SiasnMapping(
        pns_ids={nip: "A8ACA7397AEB3912E040640A040269BB"},
        penilai={nip: Penilai(nip_nrp="196805121990031004", nama="Ir. Made Wirawan", jabatan_nama="Kepala Dinas",
                              unor_nama="Dinas Kesehatan", golongan_id="44")},
        koefisien_ids={nip: "32"},
        hasil_sesuai_from=Decimal("0.40"), perilaku_default="sesuai")
    doc = siasn(mapping=mapping)
    recs = {r["nip"]: r for r in doc["records"]}
    p = recs[nip]["payload"]
    assert recs[nip]["missing"] == []
    assert (p["pnsDinilaiId"], p["penilaiNipNrp"], p["penilaiGolongan"], p["statusPenilai"], p["koefisienId"]) == \
        ("A8ACA7397AEB3912E040640A040269BB", "196805121990031004", "44", "ASN", "32")
    assert recs["198512312010012003"]["predikat"] == "Baik"  # K 0.5 >= the region's 0.40
    assert doc["counts"]["ready"] == 1 and doc["predikat_from_k"]["hasil_sesuai_from"] == "0.40"
    with pytest.raises(ValueError):
        SiasnMapping(perilaku_default="baik")


def test_siasn_of_no_rows_is_valid_json():
    doc = siasn([])
    assert (doc["records"], doc["skipped"], doc["counts"]) == ([], [], {"records": 0, "ready": 0, "skipped": 0})


def test_siasn_bytes_are_deterministic_utf8_json():
    a = to_siasn(ROWS, PERIOD)
    assert a == to_siasn(list(reversed(ROWS)), PERIOD)
    assert not a.startswith(b"\xef\xbb\xbf") and "Andréas".encode() in a
    assert b'"productivity": "0.95238"' in a


def test_no_float_reaches_a_file():
    for data in (to_csv(ROWS, PERIOD), to_siasn(ROWS, PERIOD)):
        assert not re.search(rb"\b[0-9]+\.[0-9]+[eE][+-]?[0-9]+\b", data)
    doc = siasn()
    ints = [v for r in doc["records"] for k, v in r["payload"].items() if k not in ("periodikId",) and v is not None
            and not isinstance(v, str)]
    assert all(type(v) is int for v in ints)
