// Leaders: the live unit dashboard (server-sent events, no reload), rankings, who has not logged,
// the approval backlog, the 9-box grid where it exists, and the reports to download.
import { download, get } from "./api.js";
import { stream } from "./sse.js";
import { card, clear, field, h, percent, say, table, thisMonth, tile } from "./ui.js";

const k = (x) => Number(x).toLocaleString("id-ID", { maximumFractionDigits: 3 });

export async function render(main, user) {
  main.append(h("h1", {}, "Dasbor unit"));
  const unit = h("input", { type: "text", autocomplete: "off" });
  const period = h("input", { type: "month", value: thisMonth() });
  const liveState = h("span", { class: "live off", "data-testid": "live" }, "Tidak langsung");
  const title = h("p", { class: "muted" });
  const tiles = h("div", { class: "tiles", "data-testid": "summary", "aria-live": "polite" });
  const subUnits = h("div"), ranking = h("div"), notLogged = h("div"), backlog = h("div"), nineBox = h("div");
  let live = null, pending = null;

  try {
    const me = await get("activity", `/v1/org/employees/${user.nip}`);
    unit.value = me.unit_code;
  } catch { /* not an employee record: the organisation view */ }

  function summary(s) {
    const a = s.activities;
    clear(tiles).append(tile("Pegawai", String(s.employees), "employees"), tile("Tercatat", String(a.logged), "logged"),
      tile("Disetujui", String(a.approved), "approved"), tile("Menunggu", String(a.pending), "pending"),
      tile("Dikembalikan", String(a.returned), "returned"), tile("Ditolak", String(a.rejected), "rejected"),
      tile("Rata-rata capaian", percent(s.achievement_mean), "achievement"), tile("Rata-rata K", k(s.k_mean), "k"));
  }

  async function load() {
    const path = unit.value ? `/v1/dashboard/units/${encodeURIComponent(unit.value)}` : "/v1/dashboard/organisation";
    let d;
    try { d = await get("scoring", `${path}?period=${period.value}`); } catch (e) { say(`Dasbor tidak termuat: ${e.message}`, "error"); return; }
    title.textContent = `${d.unit.unit_name} (${d.unit.unit_code}) · periode ${d.period} · diperbarui ${new Date(d.generated_at).toLocaleTimeString("id-ID")}`;
    summary(d.summary);
    clear(subUnits).append(d.sub_units.length ? table(["Peringkat", "Sub-unit", "Pegawai", "Capaian", "K"], d.sub_units.map((s) =>
      [String(s.rank), s.unit_name, String(s.employees), percent(s.achievement_mean), k(s.k_mean)]), "Peringkat sub-unit") : h("p", {}, "Tidak ada sub-unit."));
    clear(ranking).append(table(["Peringkat", "Nama", "Unit", "Capaian", "K"], (d.employee_ranking || []).map((e) =>
      [String(e.rank), e.name, e.unit_code, percent(e.achievement), k(e.k)]), "Peringkat pegawai"));
    const nl = d.not_logged || { employees: [] };
    clear(notLogged).append(h("p", {}, `${nl.count || 0} pegawai tanpa kegiatan ${nl.working_days || ""} hari kerja terakhir.`),
      nl.employees.length ? table(["Nama", "Unit", "Terakhir mencatat", "Hari kerja"], nl.employees.slice(0, 50).map((e) =>
        [e.name, e.unit_code, e.last_logged || "–", String(e.working_days_without_work)]), "Belum mencatat") : null);
    clear(backlog).append(d.backlog.length ? table(["Atasan", "Menunggu", "Tertua (jam)", "Hari kerja"], d.backlog.map((b) =>
      [b.approver_name || b.approver_nip, String(b.pending), String(b.oldest_age_hours), String(b.oldest_age_working_days)]), "Antrean persetujuan")
      : h("p", {}, "Tidak ada antrean persetujuan."));
    loadNineBox();
  }

  async function loadNineBox() {
    clear(nineBox);
    if (!unit.value || !(user.roles.includes("pimpinan") || user.roles.includes("admin"))) {
      nineBox.append(h("p", {}, "Grid 9-box tersedia untuk pimpinan dan admin per unit."));
      return;
    }
    try {
      const g = await get("scoring", `/v1/talent/nine-box?unit_code=${encodeURIComponent(unit.value)}&period=${period.value}`);
      const order = [7, 8, 9, 4, 5, 6, 1, 2, 3];
      nineBox.append(h("div", { class: "ninebox", role: "list", "aria-label": "Grid 9-box (atas: potensi tinggi)" },
        order.map((b) => { const people = g.boxes[String(b)] || []; return h("div", { role: "listitem" },
          h("strong", {}, `Kotak ${b}`), h("div", {}, `${people.length} pegawai`),
          people.slice(0, 5).map((p) => h("div", { class: "muted" }, p.name))); })),
        h("p", { class: "muted" }, `Belum dinilai potensinya: ${(g.unassessed || []).length}`));
    } catch (e) { nineBox.append(h("p", {}, e.status === 404 ? "Belum ada data 9-box." : `9-box tidak termuat: ${e.message}`)); }
  }

  function connect() {
    if (live) live.close();
    if (!unit.value) { liveState.textContent = "Pembaruan langsung hanya untuk unit"; return; }
    const url = `/api/scoring/v1/dashboard/units/${encodeURIComponent(unit.value)}/stream?period=${period.value}`;
    live = stream(url, (e) => {
      if (e.event === "snapshot" || e.event === "summary") summary(e.data.summary);
      if (e.event === "change") { clearTimeout(pending); pending = setTimeout(load, 1500); }  // the lists too
    }, (on) => { liveState.textContent = on ? "● Langsung" : "Tidak langsung"; liveState.className = on ? "live" : "live off"; });
  }

  const report = (ext) => async () => {
    try { await download("scoring", `/v1/dashboard/units/${encodeURIComponent(unit.value)}/report.${ext}?period=${period.value}`, `laporan-${unit.value}-${period.value}.${ext}`); }
    catch (e) { say(e.message, "error"); }
  };

  main.append(
    h("form", { class: "card", onsubmit: (ev) => { ev.preventDefault(); load(); connect(); } },
      h("div", { class: "row" }, field("Kode unit", unit, "Kosongkan untuk seluruh organisasi"), field("Periode", period)),
      h("div", { class: "actions" }, h("button", { type: "submit" }, "Tampilkan"),
        h("button", { type: "button", class: "secondary", onclick: report("pdf") }, "Unduh laporan PDF"),
        h("button", { type: "button", class: "secondary", onclick: report("xlsx") }, "Unduh laporan XLSX")),
      h("p", {}, liveState), title),
    tiles,
    h("div", { class: "grid two" }, card("Peringkat sub-unit", subUnits), card("Peringkat pegawai", ranking),
      card("Belum mencatat", notLogged), card("Antrean persetujuan", backlog), card("Grid 9-box", nineBox)));
  await load();
  connect();
  return { stop: () => { if (live) live.close(); clearTimeout(pending); } };
}
