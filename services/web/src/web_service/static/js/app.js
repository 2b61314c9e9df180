// App shell: the router (hash routes, one per role screen), the menu, sign-in and notifications.
import { config, oidcCallback, session, signOut, user } from "./auth.js";
import { clear, h, say } from "./ui.js";
import * as offline from "./offline.js";
import { notifications } from "./notifications.js";

const SCREENS = {
  masuk: { title: "Masuk", load: () => import("./login.js") },
  pegawai: { title: "Kegiatan saya", load: () => import("./employee.js"), roles: ["pegawai"] },
  atasan: { title: "Persetujuan", load: () => import("./superior.js"), roles: ["pegawai"] },
  pimpinan: { title: "Dasbor unit", load: () => import("./leader.js"), roles: ["pimpinan", "admin", "inspektorat", "pegawai"] },
  inspektorat: { title: "Inspektorat", load: () => import("./inspektorat.js"), roles: ["inspektorat", "admin"] },
  admin: { title: "Administrasi", load: () => import("./admin.js"), roles: ["admin", "bpkad"] },
};

let current = null;

function allowed(name, u) {
  const s = SCREENS[name];
  return s && (!s.roles || (u && s.roles.some((r) => u.roles.includes(r))));
}

function renderNav(u, active) {
  const nav = clear(document.getElementById("nav"));
  const who = clear(document.getElementById("session"));
  if (!u) return;
  for (const name of ["pegawai", "atasan", "pimpinan", "inspektorat", "admin"]) {
    if (!allowed(name, u)) continue;
    nav.append(h("a", { href: `#/${name}`, "aria-current": name === active ? "page" : null }, SCREENS[name].title));
  }
  who.append(notifications.button(), h("span", { class: "who" }, u.name),
    h("button", { type: "button", onclick: signOut }, "Keluar"));
}

async function route() {
  const u = user();
  let name = location.hash.replace(/^#\/?/, "").split("?")[0] || "";
  if (!u) name = "masuk";
  else if (!name || name === "masuk" || !allowed(name, u)) name = u.home && allowed(u.home, u) ? u.home : "pegawai";
  if (location.hash !== `#/${name}`) { history.replaceState(null, "", `#/${name}`); }
  if (current && current.stop) current.stop();
  renderNav(u, name);
  if (u) { notifications.start(); offline.flush(u.nip); } else notifications.stop();  // kept from before a sign-in too
  const main = clear(document.getElementById("main"));
  document.title = `${SCREENS[name].title} — Kinerja`;
  say("");
  const mod = await SCREENS[name].load();
  current = (await mod.render(main, u)) || null;
  main.focus({ preventScroll: true });
}

async function start() {
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
  if (location.pathname === "/auth/callback") {
    try {
      const cfg = await config();
      await oidcCallback(cfg, new URLSearchParams(location.search));
    } catch (e) {
      say(e.message, "error");
    }
    history.replaceState(null, "", "/");
  }
  window.addEventListener("hashchange", route);
  window.addEventListener("online", () => { const u = user(); if (u) offline.flush(u.nip); });
  await route();
  setInterval(() => { const v = user(); if (v && navigator.onLine) offline.flush(v.nip); }, 20000);  // a missed `online`
  document.body.dataset.ready = "1";
}

export { session };
start();
