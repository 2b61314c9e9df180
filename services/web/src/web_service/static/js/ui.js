// Small DOM helpers: build elements without innerHTML, format Indonesian dates and rupiah.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k in el && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

let uid = 0;
/** A labelled field: returns [label, control] wrapped in a div; the control gets an id. */
export function field(text, control, hint) {
  const id = control.id || `f${++uid}`;
  control.id = id;
  const parts = [h("label", { for: id }, text), control];
  if (hint) {
    const hid = `${id}-hint`;
    control.setAttribute("aria-describedby", hid);
    parts.push(h("div", { id: hid, class: "muted" }, hint));
  }
  return h("div", {}, parts);
}

export function card(title, ...children) {
  const id = `s${++uid}`;
  return h("section", { class: "card", "aria-labelledby": id }, h("h2", { id }, title), children);
}

export function tile(label, value, testid) {
  return h("div", { class: "tile", "data-testid": testid },
    h("span", { class: "value" }, value), h("span", { class: "label" }, label));
}

export function table(headers, rows, caption) {
  // Focusable so that a table wider than the screen scrolls by keyboard too.
  return h("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": caption || "Tabel" }, h("table", {},
    caption ? h("caption", { class: "visually-hidden" }, caption) : null,
    h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c) => h("td", {}, c)))))));
}

export const STATUS = {
  submitted: "Terkirim", pending_approval: "Menunggu persetujuan", approved: "Disetujui", rejected: "Ditolak",
  returned: "Dikembalikan", revised: "Diperbaiki", withdrawn: "Ditarik", pending: "Menunggu", unassigned: "Belum ada atasan",
  cancelled: "Dibatalkan", queued: "Menunggu dikirim",
};
const BADGE = { submitted: "pending", pending_approval: "pending", revised: "pending", unassigned: "pending" };

export function badge(status) {
  return h("span", { class: `badge ${BADGE[status] || status}` }, STATUS[status] || status);
}

export function rupiah(n) {
  if (n === null || n === undefined) return "–";
  return "Rp" + Number(n).toLocaleString("id-ID");
}

export function percent(x) {
  if (x === null || x === undefined || x === "") return "–";
  return (Number(x) * 100).toLocaleString("id-ID", { maximumFractionDigits: 1 }) + "%";
}

export function localDate(d = new Date()) {
  const z = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${z(d.getMonth() + 1)}-${z(d.getDate())}`;
}

export function thisMonth() { return localDate().slice(0, 7); }

export function longDate(iso) {
  const d = new Date(`${iso}T00:00:00`);
  return d.toLocaleDateString("id-ID", { weekday: "long", day: "numeric", month: "long", year: "numeric" });
}

export function say(message, kind = "info") {
  const s = document.getElementById("status");
  s.className = `status ${kind}`;
  s.textContent = message;
}

export function clear(el) { while (el.firstChild) el.firstChild.remove(); return el; }
