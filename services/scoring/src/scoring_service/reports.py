"""The monthly unit report as XLSX (openpyxl, native charts) and PDF (reportlab, its graphics
charts), in Bahasa Indonesia, from a dashboard (application.dashboard.build)."""

from __future__ import annotations

import io
from decimal import Decimal

MONTHS = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember"]


def period_label(period: str) -> str:
    y, m = period.split("-")
    return f"{MONTHS[int(m) - 1]} {y}"


def _pct(x: str | Decimal) -> float:
    return round(float(Decimal(x)) * 100, 1)


def _sub_units(d: dict) -> list[dict]:
    """The achievement chart's rows: the sub-units, or the unit itself when it has none."""
    return d["sub_units"] or [{"unit_code": d["unit"]["unit_code"], "unit_name": d["unit"]["unit_name"], "rank": 1,
                               **d["summary"]}]


def xlsx(d: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, LineChart, Reference
    from openpyxl.styles import Font

    wb = Workbook()
    bold = Font(bold=True)
    ws = wb.active
    ws.title = "Ringkasan"
    u, s = d["unit"], d["summary"]
    a = s["activities"]
    ws.append([f"Laporan Kinerja Bulanan — {u['unit_name']} ({u['unit_code']})"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["Periode", period_label(d["period"])])
    ws.append(["Dibuat", d["generated_at"]])
    ws.append([])
    for label, value in [("Jumlah pegawai", s["employees"]), ("Aktivitas dicatat", a["logged"]),
                         ("Aktivitas disetujui", a["approved"]), ("Aktivitas menunggu persetujuan", a["pending"]),
                         ("Aktivitas ditolak", a["rejected"]), ("Aktivitas dikembalikan", a["returned"]),
                         ("Capaian rata-rata (%)", _pct(s["achievement_mean"])), ("Rata-rata K", float(s["k_mean"])),
                         ("Belum mencatat aktivitas", d["not_logged"]["count"])]:
        ws.append([label, value])
    ws.column_dimensions["A"].width = 38

    sub = wb.create_sheet("Capaian Sub-unit")
    sub.append(["Peringkat", "Kode unit", "Nama unit", "Pegawai", "Dicatat", "Disetujui", "Menunggu", "Ditolak",
                "Capaian (%)", "Rata-rata K"])
    for c in sub[1]:
        c.font = bold
    rows = _sub_units(d)
    for r in rows:
        sub.append([r["rank"], r["unit_code"], r["unit_name"], r["employees"], r["activities"]["logged"],
                    r["activities"]["approved"], r["activities"]["pending"], r["activities"]["rejected"],
                    _pct(r["achievement_mean"]), float(r["k_mean"])])
    chart = BarChart()
    chart.title, chart.y_axis.title, chart.x_axis.title = "Capaian per sub-unit (%)", "Capaian (%)", "Sub-unit"
    chart.add_data(Reference(sub, min_col=9, min_row=1, max_row=len(rows) + 1), titles_from_data=True)
    chart.set_categories(Reference(sub, min_col=2, min_row=2, max_row=len(rows) + 1))
    sub.add_chart(chart, "L2")

    dist = wb.create_sheet("Distribusi K")
    dist.append(["Rentang K", "Jumlah pegawai"])
    for b in s["k_distribution"]:
        dist.append([b["band"], b["count"]])
    chart = BarChart()
    chart.title, chart.y_axis.title, chart.x_axis.title = "Distribusi K", "Pegawai", "Rentang K"
    chart.add_data(Reference(dist, min_col=2, min_row=1, max_row=len(s["k_distribution"]) + 1), titles_from_data=True)
    chart.set_categories(Reference(dist, min_col=1, min_row=2, max_row=len(s["k_distribution"]) + 1))
    dist.add_chart(chart, "D2")

    trend = wb.create_sheet("Tren Harian")
    trend.append(["Tanggal", "Hari kerja", "Dicatat", "Disetujui", "Menunggu", "Ditolak", "Menit disetujui"])
    for x in d["trend"]:
        trend.append([x["date"], "ya" if x["working_day"] else "tidak", x["logged"], x["approved"], x["pending"],
                      x["rejected"], x["approved_minutes"]])
    chart = LineChart()
    chart.title, chart.y_axis.title, chart.x_axis.title = "Tren harian aktivitas", "Aktivitas", "Tanggal"
    chart.add_data(Reference(trend, min_col=3, max_col=4, min_row=1, max_row=len(d["trend"]) + 1), titles_from_data=True)
    chart.set_categories(Reference(trend, min_col=1, min_row=2, max_row=len(d["trend"]) + 1))
    trend.add_chart(chart, "I2")

    emp = wb.create_sheet("Peringkat Pegawai")
    emp.append(["Peringkat", "NIP", "Nama", "Unit", "Dicatat", "Disetujui", "Menunggu", "Ditolak", "Capaian (%)", "K"])
    for e in d["employee_ranking"]:
        emp.append([e["rank"], e["nip"], e["name"], e["unit_code"], e["logged"], e["approved"], e["pending"],
                    e["rejected"], _pct(e["achievement"]), float(e["k"])])
    idle = wb.create_sheet("Belum Mencatat")
    idle.append(["NIP", "Nama", "Unit", "Terakhir mencatat", "Hari kerja tanpa aktivitas"])
    for e in d["not_logged"]["employees"]:
        idle.append([e["nip"], e["name"], e["unit_code"], e["last_logged"] or "-", e["working_days_without_work"]])
    back = wb.create_sheet("Antrean Persetujuan")
    back.append(["NIP atasan", "Nama atasan", "Menunggu", "Tertua sejak", "Umur (jam)", "Umur (hari kerja)"])
    for b in d["backlog"]:
        back.append([b["approver_nip"], b["approver_name"], b["pending"], b["oldest_requested_at"],
                     b["oldest_age_hours"], b["oldest_age_working_days"]])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def pdf(d: dict) -> bytes:
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.charts.linecharts import HorizontalLineChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    u, s = d["unit"], d["summary"]
    a = s["activities"]
    story = [Paragraph(f"Laporan Kinerja Bulanan — {u['unit_name']} ({u['unit_code']})", styles["Title"]),
             Paragraph(f"Periode {period_label(d['period'])} · dibuat {d['generated_at'][:19]} UTC", styles["Normal"]),
             Spacer(1, 0.4 * cm)]
    grid = TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("FONTSIZE", (0, 0), (-1, -1), 8),
                       ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde6f0"))])
    story.append(Table([["Ringkasan", "Nilai"], ["Jumlah pegawai", s["employees"]], ["Aktivitas dicatat", a["logged"]],
                        ["Disetujui", a["approved"]], ["Menunggu persetujuan", a["pending"]], ["Ditolak", a["rejected"]],
                        ["Capaian rata-rata", f"{_pct(s['achievement_mean'])} %"], ["Rata-rata K", s["k_mean"]],
                        ["Belum mencatat", d["not_logged"]["count"]]], style=grid, hAlign="LEFT"))

    def bar(title: str, labels: list[str], values: list[float], y_title: str) -> Drawing:
        dr = Drawing(16 * cm, 6.5 * cm)
        dr.add(String(0, 6.1 * cm, title, fontSize=10, fontName="Helvetica-Bold"))
        ch = VerticalBarChart()
        ch.x, ch.y, ch.width, ch.height = 1.5 * cm, 1.2 * cm, 13.5 * cm, 4.3 * cm
        ch.data = [values or [0]]
        ch.categoryAxis.categoryNames = labels or ["-"]
        ch.categoryAxis.labels.fontSize, ch.valueAxis.labels.fontSize = 6, 7
        ch.categoryAxis.labels.angle = 30 if len(labels) > 6 else 0
        ch.valueAxis.valueMin = 0
        ch.bars[0].fillColor = colors.HexColor("#2f6ea5")
        dr.add(ch)
        dr.add(String(0, 0.2 * cm, y_title, fontSize=7))
        return dr

    rows = _sub_units(d)
    story += [Spacer(1, 0.4 * cm),
              bar("Capaian per sub-unit (%)", [r["unit_code"][:14] for r in rows],
                  [_pct(r["achievement_mean"]) for r in rows], "sumbu tegak: capaian (%)"),
              bar("Distribusi K", [b["band"] for b in s["k_distribution"]],
                  [b["count"] for b in s["k_distribution"]], "sumbu tegak: jumlah pegawai")]
    dr = Drawing(16 * cm, 6.5 * cm)
    dr.add(String(0, 6.1 * cm, "Tren harian (dicatat, disetujui)", fontSize=10, fontName="Helvetica-Bold"))
    lc = HorizontalLineChart()
    lc.x, lc.y, lc.width, lc.height = 1.5 * cm, 1.2 * cm, 13.5 * cm, 4.3 * cm
    lc.data = [[x["logged"] for x in d["trend"]], [x["approved"] for x in d["trend"]]]
    lc.categoryAxis.categoryNames = [x["date"][8:] for x in d["trend"]]
    lc.categoryAxis.labels.fontSize, lc.valueAxis.labels.fontSize = 6, 7
    lc.valueAxis.valueMin = 0
    lc.lines[0].strokeColor, lc.lines[1].strokeColor = colors.HexColor("#2f6ea5"), colors.HexColor("#3c9a5f")
    dr.add(lc)
    dr.add(String(0, 0.2 * cm, "biru: dicatat · hijau: disetujui · sumbu datar: tanggal", fontSize=7))
    story.append(dr)
    story += [Paragraph("Peringkat pegawai", styles["Heading2"]),
              Table([["#", "NIP", "Nama", "Unit", "Disetujui", "Capaian", "K"]] + [
                  [e["rank"], e["nip"], e["name"][:30], e["unit_code"][:16], e["approved"], f"{_pct(e['achievement'])} %",
                   e["k"]] for e in d["employee_ranking"][:40]], style=grid, hAlign="LEFT", repeatRows=1)]
    if d["backlog"]:
        story += [Paragraph("Antrean persetujuan per atasan", styles["Heading2"]),
                  Table([["NIP atasan", "Nama", "Menunggu", "Umur tertua (hari kerja)"]] + [
                      [b["approver_nip"], (b["approver_name"] or "")[:30], b["pending"], b["oldest_age_working_days"]]
                      for b in d["backlog"][:40]], style=grid, hAlign="LEFT", repeatRows=1)]
    if d["not_logged"]["employees"]:
        story += [Paragraph(f"Belum mencatat aktivitas ≥ {d['not_logged']['working_days']} hari kerja", styles["Heading2"]),
                  Table([["NIP", "Nama", "Unit", "Terakhir", "Hari kerja"]] + [
                      [e["nip"], e["name"][:30], e["unit_code"][:16], e["last_logged"] or "-", e["working_days_without_work"]]
                      for e in d["not_logged"]["employees"][:60]], style=grid, hAlign="LEFT", repeatRows=1)]
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, title=f"Laporan Kinerja {u['unit_code']} {d['period']}",
                      author="Kinerja", leftMargin=1.5 * cm, rightMargin=1.5 * cm).build(story)
    return buf.getvalue()
