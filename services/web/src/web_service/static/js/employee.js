// Employee (phone first): today's activities, logging from the catalog (offline-safe), status and
// reasons, revise a returned activity, withdraw, this month's achievement and the TPP slip.
import { get, raw, send } from "./api.js";
import * as offline from "./offline.js";
import { badge, card, clear, field, h, localDate, longDate, percent, rupiah, say, table, thisMonth, tile } from "./ui.js";

const WITHDRAWABLE = ["submitted", "pending_approval", "revised"];

export async function render(main, user) {
  const today = localDate();
  let catalog = [], activities = [];
  const achievement = h("div", { "aria-live": "polite" }, h("p", {}, "Memuat…"));
  const todayList = h("ul", { class: "list", "data-testid": "today-list" });
  const queueList = h("ul", { class: "list", "data-testid": "queue-list" });
  const monthList = h("div");
  const slipBox = h("div");

  main.append(h("h1", {}, `Halo, ${user.name}`), h("p", { class: "muted" }, longDate(today)));

  // --- the form -------------------------------------------------------------------------------
  const search = h("input", { type: "search", placeholder: "mis. laporan, surat", autocomplete: "off" });
  const type = h("select", { name: "type_code", required: true });
  const date = h("input", { type: "date", name: "date", value: today, max: today, required: true });
  const start = h("input", { type: "time", name: "start_time", value: "08:00", required: true });
  const end = h("input", { type: "time", name: "end_time", value: "09:00", required: true });
  const quantity = h("input", { type: "number", name: "quantity", min: "1", max: "1000", value: "1", required: true, inputmode: "numeric" });
  const description = h("textarea", { name: "description", required: true, maxlength: "2000" });
  const files = h("input", { type: "file", name: "evidence", accept: "image/jpeg,image/png,application/pdf", multiple: true });
  const camera = h("input", { type: "file", name: "camera", accept: "image/*", capture: "environment" });
  const evidenceNote = h("div", { class: "muted", id: "evidence-note" });
  const submit = h("button", { type: "submit" }, "Kirim kegiatan");

  function fillTypes() {
    const q = search.value.trim().toLowerCase();
    const chosen = type.value;
    clear(type).append(h("option", { value: "" }, "— pilih jenis kegiatan —"));
    for (const c of catalog.filter((c) => !q || c.name.toLowerCase().includes(q) || c.code.toLowerCase().includes(q))) {
      type.append(h("option", { value: c.code, selected: c.code === chosen }, `${c.name} (${c.output_unit || c.unit})`));
    }
    noteEvidence();
  }
  function noteEvidence() {
    const c = catalog.find((x) => x.code === type.value);
    evidenceNote.textContent = c ? (c.evidence_required ? "Jenis ini wajib dengan bukti (foto atau PDF)." : "Bukti tidak wajib.")
      + (c.max_daily_volume ? ` Volume dihitung paling banyak ${c.max_daily_volume} per hari.` : "") : "";
  }
  search.addEventListener("input", fillTypes);
  type.addEventListener("change", noteEvidence);

  const form = h("form", { novalidate: false, onsubmit: async (ev) => {
    ev.preventDefault();
    if (!form.reportValidity()) return;
    submit.disabled = true;
    const fields = { type_code: type.value, date: date.value, start_time: start.value, end_time: end.value,
      quantity: Number(quantity.value), description: description.value.trim() };
    const picked = [...files.files, ...camera.files].map((f) => ({ name: f.name, blob: f }));
    try {
      await offline.enqueue(user.nip, fields, picked);
      form.reset(); date.value = today; start.value = end.value; fillTypes();
      await offline.flush(user.nip);
      if ((await offline.pending()).some((e) => e.nip === user.nip)) say("Tidak tersambung: kegiatan disimpan di perangkat dan dikirim otomatis saat koneksi kembali.");
    } finally {
      submit.disabled = false;
    }
  } },
    field("Cari jenis kegiatan", search),
    field("Jenis kegiatan", type),
    evidenceNote,
    h("div", { class: "row" }, field("Tanggal", date), field("Mulai", start), field("Selesai", end), field("Volume", quantity)),
    field("Uraian", description),
    field("Bukti dari berkas (foto atau PDF)", files),
    field("Foto dari kamera", camera),
    h("div", { class: "actions" }, submit));

  // --- lists ----------------------------------------------------------------------------------
  function item(a) {
    const parts = [h("div", {}, h("strong", {}, nameOf(a.type_code)), " ", badge(a.status)),
      h("div", { class: "muted" }, `${a.date} · ${a.start_time.slice(0, 5)}–${a.end_time.slice(0, 5)} · volume ${a.quantity}`),
      h("div", {}, a.description)];
    if (a.decision_reason) parts.push(h("div", {}, h("strong", {}, "Alasan: "), a.decision_reason));
    const actions = h("div", { class: "actions" });
    if (a.evidence && a.evidence.length) {
      actions.append(h("button", { type: "button", class: "secondary", onclick: async (ev) => {
        const box = ev.target.closest("li").querySelector(".preview") || ev.target.closest("li").appendChild(h("div", { class: "preview" }));
        clear(box);
        for (const e of a.evidence) box.append(await preview(a.id, e));
      } }, `Lihat bukti (${a.evidence.length})`));
    }
    if (a.status === "returned" || WITHDRAWABLE.includes(a.status)) {
      actions.append(h("button", { type: "button", class: "secondary", onclick: (ev) => reviseForm(ev.target.closest("li"), a) },
        a.status === "returned" ? "Perbaiki dan kirim ulang" : "Ubah"));
    }
    if (WITHDRAWABLE.includes(a.status)) {
      actions.append(h("button", { type: "button", class: "danger", onclick: async () => {
        if (!confirm("Tarik kegiatan ini?")) return;
        try { await send("activity", `/v1/activities/${a.id}/withdraw`, "POST", {}, { "Idempotency-Key": crypto.randomUUID() }); say("Kegiatan ditarik."); await reload(); }
        catch (e) { say(e.message, "error"); }
      } }, "Tarik"));
    }
    if (actions.childElementCount) parts.push(actions);
    return h("li", { "data-activity": a.id, "data-status": a.status }, parts);
  }

  function reviseForm(li, a) {
    if (li.querySelector("form")) return;
    const d = h("textarea", { required: true }, a.description);
    const q = h("input", { type: "number", min: "1", max: "1000", value: String(a.quantity) });
    const s = h("input", { type: "time", value: a.start_time.slice(0, 5) });
    const e = h("input", { type: "time", value: a.end_time.slice(0, 5) });
    const f = h("form", { onsubmit: async (ev) => {
      ev.preventDefault();
      try {
        await send("activity", `/v1/activities/${a.id}`, "PATCH",
          { description: d.value, quantity: Number(q.value), start_time: s.value, end_time: e.value },
          { "Idempotency-Key": crypto.randomUUID() });
        say("Perbaikan terkirim."); await reload();
      } catch (err) { say(err.message, "error"); }
    } }, field("Uraian", d), h("div", { class: "row" }, field("Mulai", s), field("Selesai", e), field("Volume", q)),
      h("div", { class: "actions" }, h("button", { type: "submit" }, "Kirim perbaikan"),
        h("button", { type: "button", class: "secondary", onclick: () => f.remove() }, "Batal")));
    li.append(f);
    d.focus();
  }

  const nameOf = (code) => (catalog.find((c) => c.code === code) || {}).name || code;

  async function renderQueue() {
    const mine = (await offline.pending()).filter((e) => e.nip === user.nip);
    clear(queueList);
    queueList.closest("section").hidden = !mine.length;
    for (const e of mine) {
      queueList.append(h("li", { "data-key": e.key }, h("strong", {}, nameOf(e.fields.type_code)), " ", badge("queued"),
        h("div", { class: "muted" }, `${e.fields.date} · ${e.fields.start_time}–${e.fields.end_time} · ${e.files.length} berkas`)));
    }
  }

  async function reload() {
    try {
      activities = await get("activity", `/v1/activities?month=${thisMonth()}`);
    } catch (e) { say(`Daftar kegiatan tidak termuat: ${e.message}`, "error"); }
    activities.sort((a, b) => (b.date + b.start_time).localeCompare(a.date + a.start_time));
    const todays = activities.filter((a) => a.date === today && a.status !== "withdrawn");
    clear(todayList).append(...(todays.length ? todays.map(item) : [h("li", {}, "Belum ada kegiatan hari ini.")]));
    const earlier = activities.filter((a) => a.date !== today);
    clear(monthList).append(earlier.length ? h("ul", { class: "list" }, earlier.map(item)) : h("p", {}, "Belum ada kegiatan lain bulan ini."));
    await renderQueue();
    loadAchievement();
  }

  async function loadAchievement() {
    try {
      const p = await get("scoring", `/v1/performance/${user.nip}/${thisMonth()}`);
      const target = p.target_points ? `${p.approved_points} / ${p.target_points} poin` : `${p.approved_minutes} / ${p.target_minutes} menit`;
      const ratio = Math.min(Number(p.achievement || p.productivity || 0), 1);
      clear(achievement).append(
        h("div", { class: "tiles" }, tile("Capaian terhadap target", percent(p.achievement ?? p.productivity), "achievement"),
          tile("Disetujui", target, "approved-work"), tile("Menunggu", String(p.pending_activities), "pending-count"),
          tile("Nilai K", Number(p.productivity).toLocaleString("id-ID", { maximumFractionDigits: 3 }), "k")),
        h("div", { class: "progress", role: "progressbar", "aria-label": "Capaian bulan ini", "aria-valuemin": "0",
          "aria-valuemax": "100", "aria-valuenow": String(Math.round(ratio * 100)) }, h("span", { style: `width:${ratio * 100}%` })),
        h("details", {}, h("summary", {}, "Penjelasan perhitungan"), h("ul", {}, (p.explanation || []).map((l) => h("li", {}, typeof l === "string" ? l : JSON.stringify(l))))));
    } catch (e) {
      clear(achievement).append(h("p", {}, e.status === 404 ? "Belum ada capaian bulan ini." : `Capaian tidak termuat: ${e.message}`));
    }
  }

  const period = h("input", { type: "month", value: thisMonth() });
  async function loadSlip() {
    clear(slipBox).append(h("p", {}, "Memuat…"));
    try {
      const s = await get("tpp", `/v1/tpp/${period.value}/${user.nip}`);
      clear(slipBox).append(
        h("p", {}, s.status === "preview" ? "Pratinjau: bulan belum ditutup." : `Revisi ${s.revision}${s.reason ? ` — ${s.reason}` : ""}`),
        table(["Komponen", "Jumlah"], [
          ["Dasar (B)", rupiah(s.base_amount)], ["Kinerja", rupiah(s.kinerja_amount)], ["Disiplin", rupiah(s.disiplin_amount)],
          ["Potongan", rupiah(s.deductions)], ["Bruto", rupiah(s.gross_amount)], ["BPJS Kesehatan", rupiah(s.bpjs_amount)],
          ["PPh 21", rupiah(s.pph21_amount)], ["Diterima (neto)", rupiah(s.net_amount)]], "Slip TPP"),
        h("details", {}, h("summary", {}, "Penjelasan"),
          h("ul", {}, (s.breakdown || []).map((b) => h("li", {}, `${b.label}: ${b.value}${b.rule ? ` (${b.rule})` : ""}`)),
            (s.deduction_items || []).map((d) => h("li", {}, `${d.label || d.kind}: ${rupiah(d.amount)}${d.rule ? ` (${d.rule})` : ""}`)))),
        (s.revisions || []).length ? h("details", {}, h("summary", {}, `Riwayat revisi (${s.revisions.length})`),
          h("ul", {}, s.revisions.map((r) => h("li", {}, `Revisi ${r.revision}: ${r.reason || "awal"} — ${rupiah(r.total_amount)}`)))) : null);
    } catch (e) {
      clear(slipBox).append(h("p", {}, e.status === 404 ? "Belum ada slip untuk bulan ini." : `Slip tidak termuat: ${e.message}`));
    }
  }

  const queueCard = card("Menunggu dikirim", h("p", { class: "muted" }, "Tersimpan di perangkat; dikirim otomatis saat tersambung."), queueList);
  main.append(
    h("div", { class: "grid two" },
      h("div", {}, card("Kegiatan hari ini", todayList), queueCard, card("Catat kegiatan", form)),
      h("div", {}, card("Capaian bulan ini", achievement),
        card("Slip TPP", h("div", { class: "row" }, field("Bulan", period),
          h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", onclick: loadSlip }, "Tampilkan slip"))), slipBox),
        card("Kegiatan lain bulan ini", monthList))));
  queueCard.hidden = true;

  try {
    catalog = await get("scoring", `/v1/catalog?date=${today}`);
    localStorage.setItem("kinerja.catalog", JSON.stringify(catalog));  // to log offline next time
  } catch (e) {
    catalog = JSON.parse(localStorage.getItem("kinerja.catalog") || "[]");
    if (!catalog.length) say(`Katalog tidak termuat: ${e.message}`, "error");
  }
  catalog = catalog.filter((c) => c.active !== false).sort((a, b) => a.name.localeCompare(b.name, "id"));
  fillTypes();

  const off = offline.onChange(async (e) => {
    if (e.type === "queued") { await renderQueue(); return; }
    if (e.type === "sent") say("Kegiatan terkirim.");
    if (e.type === "refused") say(`Kegiatan ditolak server: ${problemText(e.problem)}`, "error");
    await reload();
  });
  await reload();
  loadSlip();
  return { stop: off };
}

function problemText(p) {
  if (!p) return "tanpa keterangan";
  return (p.errors || []).map((e) => `${e.field}: ${e.message}`).join("; ") || p.detail || p.title;
}

async function preview(activityId, sha) {
  try {
    const blob = await (await raw("activity", `/v1/activities/${activityId}/evidence/${sha}`)).blob();
    const url = URL.createObjectURL(blob);
    return blob.type.includes("pdf") ? h("p", {}, h("a", { href: url, target: "_blank", rel: "noopener" }, `Buka PDF ${sha.slice(0, 8)}`))
      : h("img", { src: url, alt: `Bukti kegiatan ${sha.slice(0, 8)}` });
  } catch (err) {
    return h("p", { class: "error-text" }, `Bukti tidak termuat: ${err.message}`);
  }
}

export { preview };
