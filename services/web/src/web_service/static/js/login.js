// Sign-in page: local mode lists the demo users; production sends the user to the identity provider.
import { config, localSignIn, localUsers, oidcStart } from "./auth.js";
import { h, say } from "./ui.js";

const ROLE = { pegawai: "Pegawai", pimpinan: "Pimpinan", admin: "Admin BKPSDMD", bpkad: "BPKAD", inspektorat: "Inspektorat" };

export async function render(main) {
  main.append(h("h1", {}, "Masuk ke Kinerja"));
  let cfg;
  try { cfg = await config(); } catch {
    main.append(h("p", {}, "Tidak tersambung. Masuk setelah koneksi kembali; kegiatan yang tersimpan di perangkat tetap aman."));
    return;
  }
  if (cfg.mode === "oidc") {
    main.append(h("section", { class: "card" }, h("p", {}, "Masuk dengan akun pemerintah daerah Anda."),
      h("button", { type: "button", onclick: () => oidcStart(cfg) }, "Masuk dengan SSO")));
    return;
  }
  const users = await localUsers();
  main.append(h("section", { class: "card", "aria-labelledby": "demo-h" },
    h("h2", { id: "demo-h" }, "Mode lokal: pilih pengguna demo"),
    h("p", { class: "muted" }, "Token lokal ditandatangani oleh proses web; di produksi masuk lewat SSO (OIDC)."),
    h("div", { class: "users" }, users.map((u) => h("button", {
      type: "button", "data-nip": u.nip,
      onclick: async () => {
        try { await localSignIn(u.nip); location.hash = `#/${u.home}`; } catch (e) { say(e.message, "error"); }
      },
    }, h("strong", {}, u.name), `${u.title} · ${u.roles.map((r) => ROLE[r] || r).join(", ")} · NIP ${u.nip}`)))));
}
