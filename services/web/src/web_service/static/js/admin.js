// Admin (BKPSDMD) and BPKAD: personnel import with dry run and error report, the catalog and its
// versions, the region calendar, closing a month, and the exports.
import { download, get, raw, send } from "./api.js";
import { card, clear, field, h, rupiah, say, table, thisMonth } from "./ui.js";

const KINDS = { libur_nasional: "Libur nasional", cuti_bersama: "Cuti bersama", libur_daerah: "Libur daerah", hari_kerja: "Hari kerja" };

export async function render(main, user) {
  const admin = user.roles.includes("admin");
  main.append(h("h1", {}, admin ? "Administrasi BKPSDMD" : "BPKAD: ekspor TPP"));
  const sections = [];
  if (admin) sections.push(importCard(), catalogCard(), calendarCard());
  sections.push(periodCard(admin));
  main.append(h("div", { class: "grid two" }, sections));
}

function errorsTable(errors) {
  return table(["Baris", "Kolom", "Pesan"], errors.map((e) => [String(e.row ?? e.index ?? "–"), e.field, e.message]), "Kesalahan");
}

function importCard() {
  const file = h("input", { type: "file", accept: ".csv,text/csv", required: true });
  const dry = h("input", { type: "checkbox", checked: true });
  const out = h("div", { "aria-live": "polite" });
  const form = h("form", { onsubmit: async (ev) => {
    ev.preventDefault();
    if (!file.files.length) { say("Pilih berkas CSV.", "error"); return; }
    clear(out).append(h("p", {}, "Memproses…"));
    const r = await fetchImport(file.files[0], dry.checked);
    clear(out).append(r);
  } }, field("Berkas CSV pegawai", file, "Kolom: nip,name,unit_code,unit_name,position,position_kind,eselon,kelas_jabatan,supervisor_nip,employee_type"),
    h("label", { class: "inline" }, dry, "Uji coba saja (tidak menyimpan)"),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Impor")), out);
  return card("Impor data pegawai", form);
}

async function fetchImport(f, dryRun) {
  try {
    const r = await raw("activity", `/v1/org/import?dry_run=${dryRun}`, { method: "POST", body: f,
      headers: { "Content-Type": "text/csv", "Idempotency-Key": crypto.randomUUID() } });
    const b = await r.json();
    if (b.errors && b.errors.length) {
      return h("div", {}, h("p", { class: "error-text" }, `Uji coba: berkas akan ditolak (${b.errors.length} kesalahan).`), errorsTable(b.errors));
    }
    return h("p", {}, `${dryRun ? "Uji coba: " : ""}${b.imported} baris sah, ${b.changed} pegawai ${dryRun ? "akan berubah" : "berubah"}.`);
  } catch (e) {
    const errs = (e.problem && e.problem.errors) || [];
    return h("div", {}, h("p", { class: "error-text" }, `Berkas ditolak (${errs.length} kesalahan); tidak ada yang disimpan.`), errs.length ? errorsTable(errs) : null);
  }
}

function catalogCard() {
  const q = h("input", { type: "search" });
  const list = h("div");
  const versions = h("div", { "aria-live": "polite" });
  let items = [];
  const show = () => clear(list).append(table(["Kode", "Nama", "Nilai", "Bukti", ""], items
    .filter((c) => !q.value || (c.code + c.name).toLowerCase().includes(q.value.toLowerCase())).slice(0, 8)
    .map((c) => [c.code, c.name, c.standard_minutes ? `${c.standard_minutes} menit` : `${c.points} poin`, c.evidence_required ? "wajib" : "–",
      h("button", { type: "button", class: "secondary", "aria-label": `Riwayat versi ${c.code}`, onclick: async () => {
        try {
          const vs = await get("scoring", `/v1/catalog/${encodeURIComponent(c.code)}/versions`);
          clear(versions).append(h("h3", {}, `Versi ${c.code}`), table(["Berlaku", "Nama", "Nilai", "Aktif"], vs.map((v) =>
            [v.effective_from, v.name, v.standard_minutes ? `${v.standard_minutes} menit` : `${v.points} poin`, v.active ? "ya" : "tidak"]), "Versi"));
        } catch (e) { say(e.message, "error"); }
      } }, "Versi")]), "Katalog kegiatan"));
  q.addEventListener("input", show);
  get("scoring", "/v1/catalog").then((x) => { items = x; show(); }).catch((e) => say(e.message, "error"));

  const code = h("input", { type: "text", required: true });
  const name = h("input", { type: "text", required: true });
  const minutes = h("input", { type: "number", min: "1", required: true });
  const unitOut = h("input", { type: "text", value: "dokumen" });
  const from = h("input", { type: "date", required: true, value: `${thisMonth()}-01` });
  const evidence = h("input", { type: "checkbox" });
  const form = h("form", { onsubmit: async (ev) => {
    ev.preventDefault();
    try {
      await send("scoring", "/v1/catalog", "POST", { code: code.value, name: name.value, unit: "minutes", standard_minutes: Number(minutes.value),
        output_unit: unitOut.value || null, effective_from: from.value, evidence_required: evidence.checked, allowed_position_kinds: [], active: true });
      say(`Versi ${code.value} berlaku ${from.value} disimpan.`);
      items = await get("scoring", "/v1/catalog"); show();
    } catch (e) { say(e.message, "error"); }
  } }, h("h3", {}, "Jenis baru atau versi baru"),
    h("div", { class: "row" }, field("Kode", code), field("Nama", name)),
    h("div", { class: "row" }, field("Menit standar", minutes), field("Satuan hasil", unitOut), field("Berlaku mulai", from)),
    h("label", { class: "inline" }, evidence, "Wajib bukti"), h("div", { class: "actions" }, h("button", { type: "submit" }, "Simpan versi")));
  return card("Katalog kegiatan", field("Cari di katalog", q, "Delapan hasil pertama; ketik untuk mencari."), list, versions, form);
}

function calendarCard() {
  const year = h("input", { type: "number", min: "2000", max: "2100", value: String(new Date().getFullYear()) });
  const body = h("div");
  let cal = null;
  async function load() {
    try { cal = await get("activity", `/v1/calendar/${year.value}`); } catch (e) { cal = { days: [], provisional: false, regulation: null }; if (e.status !== 404) say(e.message, "error"); }
    show();
  }
  function show() {
    clear(body).append(h("p", {}, `${cal.regulation || "Tanpa dasar hukum"}${cal.provisional ? " · sementara" : ""} · ${cal.days.length} hari`),
      table(["Tanggal", "Jenis", "Nama", ""], cal.days.map((d, i) => [d.date, KINDS[d.kind] || d.kind, d.name,
        h("button", { type: "button", class: "secondary", "aria-label": `Hapus ${d.date}`, onclick: () => { cal.days.splice(i, 1); show(); } }, "Hapus")]), "Kalender"),
      addForm, h("div", { class: "actions" }, h("button", { type: "button", onclick: save }, "Simpan kalender")));
  }
  async function save() {
    try {
      await send("activity", `/v1/calendar/${year.value}`, "PUT", { regulation: cal.regulation, provisional: cal.provisional, days: cal.days },
        { "Idempotency-Key": crypto.randomUUID() });
      say(`Kalender ${year.value} disimpan.`);
    } catch (e) { say(e.message, "error"); }
  }
  const dDate = h("input", { type: "date", required: true });
  const dKind = h("select", {}, Object.entries(KINDS).map(([v, t]) => h("option", { value: v }, t)));
  const dName = h("input", { type: "text", required: true });
  const addForm = h("form", { onsubmit: (ev) => {
    ev.preventDefault();
    cal.days.push({ date: dDate.value, kind: dKind.value, name: dName.value });
    cal.days.sort((a, b) => a.date.localeCompare(b.date)); addForm.reset(); show();
  } }, h("div", { class: "row" }, field("Tanggal", dDate), field("Jenis hari", dKind), field("Nama hari", dName)),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "secondary" }, "Tambah hari")));
  load();
  return card("Kalender daerah", h("div", { class: "row" }, field("Tahun", year),
    h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", onclick: load }, "Muat"))), body);
}

function periodCard(admin) {
  const period = h("input", { type: "month", value: thisMonth() });
  const early = h("input", { type: "checkbox" });
  const out = h("div", { "aria-live": "polite" });
  async function status() {
    try {
      const p = await get("tpp", `/v1/periods/${period.value}`);
      clear(out).append(h("p", {}, `Status ${p.status}: ${p.employee_count} pegawai, total ${rupiah(p.total_amount)}`
        + ((p.pending_revisions || []).length ? `, ${p.pending_revisions.length} revisi menunggu` : "")),
        p.opd_totals ? table(["OPD", "Pegawai", "Total", "Neto"], p.opd_totals.map((o) => [o.unit_code, String(o.employee_count),
          rupiah(o.total_amount), rupiah(o.net_amount)]), "Total per OPD") : null);
    } catch (e) { clear(out).append(h("p", {}, e.status === 404 ? "Periode masih terbuka." : e.message)); }
  }
  const act = (what) => async () => {
    if (!confirm(what === "close" ? `Tutup bulan ${period.value}? Slip TPP diterbitkan.` : `Cut-off ${period.value}?`)) return;
    try { await send("tpp", `/v1/periods/${period.value}/${what}${early.checked ? "?allow_early=true" : ""}`, "POST"); say("Selesai."); }
    catch (e) { say(e.message, "error"); }
    status();
  };
  const exp = (kind, ext) => async () => {
    try { await download("tpp", `/v1/periods/${period.value}/${kind}`, `tpp-${period.value}.${ext}`); } catch (e) { say(e.message, "error"); }
  };
  return card(admin ? "Penutupan bulan dan ekspor" : "Ekspor TPP",
    h("div", { class: "row" }, field("Periode", period),
      h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", onclick: status }, "Lihat status"))),
    admin ? [h("label", { class: "inline" }, early, "Izinkan sebelum bulan berakhir"),
      h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", onclick: act("cutoff") }, "Cut-off"),
        h("button", { type: "button", class: "danger", onclick: act("close") }, "Tutup bulan"))] : null,
    h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", onclick: exp("export.csv", "csv") }, "Unduh CSV"),
      h("button", { type: "button", class: "secondary", onclick: exp("export.xlsx", "xlsx") }, "Unduh XLSX"),
      h("button", { type: "button", class: "secondary", onclick: exp("siasn", "json") }, "Unduh SIASN")), out);
}
