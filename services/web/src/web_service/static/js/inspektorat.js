// Inspektorat: anomaly flags to review, the audit trail of an activity, verification of the chain.
import { get, send } from "./api.js";
import { card, clear, field, h, say, table, thisMonth } from "./ui.js";

const KINDS = { duplicate_evidence: "Bukti ganda", work_while_absent: "Bekerja saat tidak hadir", time_span: "Rentang waktu janggal",
  backdate_burst: "Lonjakan input mundur", mass_approval: "Persetujuan massal", out_of_hours_approvals: "Persetujuan di luar jam kerja" };
const STATES = { new: "Baru", reviewed: "Ditinjau", dismissed: "Diabaikan" };

export async function render(main) {
  main.append(h("h1", {}, "Meja Inspektorat"));
  const period = h("input", { type: "month", value: thisMonth() });
  const state = h("select", {}, h("option", { value: "" }, "Semua"), Object.entries(STATES).map(([v, t]) => h("option", { value: v }, t)));
  const kind = h("select", {}, h("option", { value: "" }, "Semua"), Object.entries(KINDS).map(([v, t]) => h("option", { value: v }, t)));
  const flags = h("ul", { class: "list", "data-testid": "flags" });

  async function loadFlags() {
    const q = new URLSearchParams({ period: period.value });
    if (state.value) q.set("state", state.value);
    if (kind.value) q.set("kind", kind.value);
    let items = [];
    try { items = await get("scoring", `/v1/inspektorat/flags?${q}`); } catch (e) { say(e.message, "error"); }
    clear(flags).append(...(items.length ? items.map(flagItem) : [h("li", {}, "Tidak ada tanda anomali.")]));
  }

  function flagItem(f) {
    const reason = h("input", { type: "text", maxlength: "500" });
    const review = (to) => async () => {
      if (to === "dismissed" && !reason.value.trim()) { say("Alasan wajib untuk mengabaikan.", "error"); reason.focus(); return; }
      try { await send("scoring", `/v1/inspektorat/flags/${f.id}/review`, "POST", { state: to, reason: reason.value.trim() || null }); await loadFlags(); }
      catch (e) { say(e.message, "error"); }
    };
    return h("li", {}, h("strong", {}, KINDS[f.kind] || f.kind), ` · ${STATES[f.state] || f.state}`,
      h("div", {}, `NIP ${f.nip} · unit ${f.unit_code} · ${f.period} · sejak ${f.raised_at.slice(0, 16).replace("T", " ")}`),
      h("details", {}, h("summary", {}, "Bukti"), h("pre", {}, JSON.stringify(f.evidence, null, 2))),
      f.state !== "dismissed" ? [field("Alasan tinjauan", reason), h("div", { class: "actions" },
        f.state === "new" ? h("button", { type: "button", onclick: review("reviewed") }, "Tandai ditinjau") : null,
        h("button", { type: "button", class: "secondary", onclick: review("dismissed") }, "Abaikan"))] : null);
  }

  const activity = h("input", { type: "text", autocomplete: "off", required: true });
  const trail = h("div");
  const chain = h("div", { "aria-live": "polite" });
  main.append(
    card("Tanda anomali",
      h("div", { class: "row" }, field("Periode", period), field("Status", state), field("Jenis", kind)),
      h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", onclick: loadFlags }, "Terapkan")), flags),
    h("div", { class: "grid two" },
      card("Jejak audit kegiatan", h("form", { onsubmit: async (ev) => {
        ev.preventDefault();
        try {
          const entries = await get("approval", `/v1/audit/activities/${encodeURIComponent(activity.value.trim())}`);
          clear(trail).append(entries.length ? table(["Waktu", "Tindakan", "Oleh", "Atas nama", "Alasan", "Hash"], entries.map((e) =>
            [e.at.slice(0, 19).replace("T", " "), e.action, e.actor_nip, e.on_behalf_of || "–", e.reason || "–", e.hash.slice(0, 12)]), "Jejak audit")
            : h("p", {}, "Tidak ada entri."));
        } catch (e) { clear(trail).append(h("p", { class: "error-text" }, e.message)); }
      } }, field("ID kegiatan", activity), h("div", { class: "actions" }, h("button", { type: "submit" }, "Tampilkan jejak"))), trail),
      card("Verifikasi rantai audit", h("p", {}, "Menelusuri rantai hash seluruh jejak audit persetujuan."),
        h("button", { type: "button", onclick: async () => {
          try {
            const v = await get("approval", "/v1/audit/verify");
            clear(chain).append(h("p", { class: v.ok ? "live" : "error-text" }, v.ok ? `Utuh: ${v.entries} entri terverifikasi.`
              : `Rusak mulai entri ${v.first_broken} (dari ${v.entries}).`));
          } catch (e) { clear(chain).append(h("p", { class: "error-text" }, e.message)); }
        } }, "Verifikasi rantai"), chain)));
  await loadFlags();
}
