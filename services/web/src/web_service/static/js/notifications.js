// The bell: unread count and list (notify), kept fresh by the notification stream.
import { get, send } from "./api.js";
import { stream } from "./sse.js";
import { clear, h } from "./ui.js";

let live = null, unread = 0, panel = null, btn = null;

function update() { if (btn) btn.textContent = unread ? `Notifikasi (${unread})` : "Notifikasi"; }

async function refresh() {
  try { unread = (await get("notify", "/v1/notifications/unread-count")).unread; } catch { /* offline */ }
  update();
}

async function toggle() {
  if (panel) { panel.remove(); panel = null; btn.setAttribute("aria-expanded", "false"); return; }
  panel = h("div", { class: "notif-panel", role: "dialog", "aria-label": "Notifikasi" }, h("p", {}, "Memuat…"));
  btn.setAttribute("aria-expanded", "true");
  document.querySelector(".topbar").append(panel);
  let items = [];
  try { items = await get("notify", "/v1/notifications?limit=20"); } catch { /* offline */ }
  clear(panel).append(h("h2", {}, "Notifikasi"),
    items.length ? h("ul", { class: "list" }, items.map((n) => h("li", {},
      h("strong", {}, n.title || n.kind), h("div", {}, n.body || ""), h("div", { class: "muted" }, (n.created_at || "").slice(0, 16).replace("T", " ")))))
      : h("p", {}, "Belum ada notifikasi."),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "secondary", onclick: async () => { await send("notify", "/v1/notifications/read-all", "POST"); await refresh(); toggle(); } }, "Tandai semua dibaca"),
      h("button", { type: "button", onclick: toggle }, "Tutup")));
}

export const notifications = {
  button() {
    btn = h("button", { type: "button", "aria-expanded": "false", onclick: toggle }, "Notifikasi");
    update();
    return btn;
  },
  start() {
    if (live) return;
    refresh();
    live = stream("/api/notify/v1/notifications/stream", (e) => { if (e.event === "notification") { unread += 1; update(); } });
  },
  stop() { if (live) live.close(); live = null; unread = 0; },
};
