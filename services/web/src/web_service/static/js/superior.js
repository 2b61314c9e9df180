// Superior: the inbox with filters, evidence preview, approve / reject / return with a reason,
// bulk approval, and delegation.
import { get, send } from "./api.js";
import { preview } from "./employee.js";
import { badge, card, clear, field, h, localDate, say, table, tile } from "./ui.js";

export async function render(main, user) {
  main.append(h("h1", {}, "Persetujuan kegiatan"));
  const counts = h("div", { class: "tiles", "aria-live": "polite" });
  const list = h("ul", { class: "list", "data-testid": "inbox" });
  const status = h("select", {}, [["pending", "Menunggu"], ["approved", "Disetujui"], ["rejected", "Ditolak"], ["returned", "Dikembalikan"]]
    .map(([v, t]) => h("option", { value: v }, t)));
  const nip = h("input", { type: "text", inputmode: "numeric", pattern: "[0-9]{18}", placeholder: "18 digit" });
  const from = h("input", { type: "date" });
  const to = h("input", { type: "date" });
  const overdue = h("input", { type: "checkbox" });
  const bulkBtn = h("button", { type: "button", disabled: true, onclick: bulkApprove }, "Setujui yang dipilih");
  let tasks = [];
  const types = {}, names = {};
  try { for (const c of await get("scoring", "/v1/catalog")) types[c.code] = c.name; } catch { /* codes only */ }
  const nameOf = (nip) => names[nip] || (names[nip] = get("activity", `/v1/org/employees/${nip}`).then((e) => e.name).catch(() => null));

  async function loadCounts() {
    try {
      const c = await get("approval", "/v1/inbox/counts");
      clear(counts).append(tile("Menunggu", String(c.pending), "count-pending"), tile("Lewat tenggat", String(c.overdue), "count-overdue"),
        tile("Delegasi", String(c.delegated), "count-delegated"), tile("Diputus hari ini", String(c.decided_today), "count-today"));
    } catch (e) { say(e.message, "error"); }
  }

  async function load() {
    const q = new URLSearchParams({ status: status.value });
    if (nip.value) q.set("nip", nip.value);
    if (from.value) q.set("from", from.value);
    if (to.value) q.set("to", to.value);
    if (overdue.checked) q.set("overdue", "true");
    try { tasks = await get("approval", `/v1/inbox?${q}`); } catch (e) { say(e.message, "error"); tasks = []; }
    clear(list).append(...(tasks.length ? tasks.map(item) : [h("li", {}, "Tidak ada tugas.")]));
    syncBulk();
    loadCounts();
  }

  function syncBulk() {
    const n = list.querySelectorAll("input[data-select]:checked").length;
    bulkBtn.disabled = !n;
    bulkBtn.textContent = n ? `Setujui yang dipilih (${n})` : "Setujui yang dipilih";
  }

  function item(t) {
    const detail = h("div", { class: "muted" }, "…");
    const reason = h("input", { type: "text", maxlength: "500" });
    const pick = h("input", { type: "checkbox", "data-select": t.activity_id, onchange: syncBulk });
    const box = h("div", { class: "preview" });
    const li = h("li", { "data-activity": t.activity_id },
      h("div", {}, t.status === "pending" ? h("label", { class: "inline" }, pick, "Pilih") : null, " ",
        h("strong", {}, types[t.type_code] || t.type_code), " ", badge(t.status), t.delegated_from ? h("span", { class: "badge" }, `delegasi dari ${t.delegated_from}`) : null),
      h("div", { class: "task-who" }, `NIP ${t.nip} · ${t.date} · ${t.minutes} menit${t.points && Number(t.points) ? ` · ${t.points} poin` : ""}`),
      detail, box);
    nameOf(t.nip).then((n) => { if (n) li.querySelector(".task-who").prepend(h("strong", {}, n), " · "); });
    get("activity", `/v1/activities/${t.activity_id}`).then((a) => {
      clear(detail).append(`${a.start_time.slice(0, 5)}–${a.end_time.slice(0, 5)} · volume ${a.quantity} · ${a.description}`);
      if (a.evidence.length) {
        detail.after(h("button", { type: "button", class: "secondary", onclick: async () => {
          clear(box); for (const sha of a.evidence) box.append(await preview(a.id, sha));
        } }, `Lihat bukti (${a.evidence.length})`));
      }
    }).catch(() => { detail.textContent = ""; });
    if (t.status === "pending") {
      const decide = (decision) => async () => {
        if (decision !== "approve" && !reason.value.trim()) { say("Tuliskan alasan untuk menolak atau mengembalikan.", "error"); reason.focus(); return; }
        try {
          await send("approval", `/v1/approvals/${t.activity_id}/decision`, "POST", { decision, reason: reason.value.trim() || null });
          say({ approve: "Disetujui.", reject: "Ditolak.", return: "Dikembalikan untuk diperbaiki." }[decision]);
          await load();
        } catch (e) { say(e.message, "error"); }
      };
      li.append(field("Alasan (wajib untuk tolak / kembalikan)", reason),
        h("div", { class: "actions" }, h("button", { type: "button", onclick: decide("approve") }, "Setujui"),
          h("button", { type: "button", class: "secondary", onclick: decide("return") }, "Kembalikan"),
          h("button", { type: "button", class: "danger", onclick: decide("reject") }, "Tolak")));
    } else if (t.reason) {
      li.append(h("div", {}, h("strong", {}, "Alasan: "), t.reason));
    }
    return li;
  }

  async function bulkApprove() {
    const ids = [...list.querySelectorAll("input[data-select]:checked")].map((x) => x.dataset.select);
    if (!ids.length) return;
    try {
      const r = await send("approval", "/v1/approvals/bulk", "POST", { activity_ids: ids, decision: "approve" });
      say(`${r.decided} disetujui${r.refused ? `, ${r.refused} ditolak sistem` : ""}.`);
    } catch (e) { say(e.message, "error"); }
    await load();
  }

  // --- delegation -------------------------------------------------------------------------------
  const delegate = h("input", { type: "text", inputmode: "numeric", pattern: "[0-9]{18}", required: true });
  const dFrom = h("input", { type: "date", value: localDate(), required: true });
  const dUntil = h("input", { type: "date", value: localDate(), required: true });
  const delegations = h("div");
  async function loadDelegations() {
    try {
      const ds = await get("approval", "/v1/delegations");
      clear(delegations).append(ds.length ? table(["Dari", "Kepada", "Berlaku", "Status", ""], ds.map((d) => [
        d.delegator_nip, d.delegate_nip, `${d.from} s.d. ${d.until}`, d.active ? "aktif" : (d.revoked_at ? "dicabut" : "selesai"),
        d.active && d.delegator_nip === user.nip ? h("button", { type: "button", class: "secondary", onclick: async () => {
          try { await send("approval", `/v1/delegations/${d.id}/revoke`, "POST"); await loadDelegations(); } catch (e) { say(e.message, "error"); }
        } }, "Cabut") : ""]), "Delegasi") : h("p", {}, "Belum ada delegasi."));
    } catch (e) { clear(delegations).append(h("p", {}, e.message)); }
  }
  const dForm = h("form", { onsubmit: async (ev) => {
    ev.preventDefault();
    try {
      await send("approval", "/v1/delegations", "POST", { delegate_nip: delegate.value, from: dFrom.value, until: dUntil.value });
      say("Delegasi dibuat."); dForm.reset(); await loadDelegations();
    } catch (e) { say(e.message, "error"); }
  } }, field("NIP penerima delegasi", delegate), h("div", { class: "row" }, field("Mulai", dFrom), field("Sampai", dUntil)),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Delegasikan")));

  main.append(counts,
    card("Kotak masuk",
      h("div", { class: "row" }, field("Status", status), field("NIP pegawai", nip), field("Dari tanggal", from), field("Sampai tanggal", to)),
      h("div", { class: "actions" }, h("label", { class: "inline" }, overdue, "Hanya yang lewat tenggat"),
        h("button", { type: "button", class: "secondary", onclick: load }, "Terapkan filter"), bulkBtn),
      list),
    card("Delegasi persetujuan", dForm, delegations));
  await load();
  loadDelegations();
  const timer = setInterval(() => { if (!list.querySelector("input[data-select]:checked") && !document.activeElement?.closest("li")) load(); }, 15000);
  return { stop: () => clearInterval(timer) };
}
