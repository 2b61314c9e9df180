// Sign-in. Local mode: pick a demo user, the web process mints the token. Production: OIDC
// authorization code with PKCE (S256), the browser as a public client. The token lives in sessionStorage.

const KEY = "kinerja.session";

export function session() {
  try { return JSON.parse(sessionStorage.getItem(KEY)); } catch { return null; }
}

export function token() {
  const s = session();
  if (!s) return null;
  if (s.expires_at && Date.now() > s.expires_at) { sessionStorage.removeItem(KEY); return null; }
  return s.token;
}

export function user() { return (session() || {}).user || null; }

export function signOut() {
  sessionStorage.removeItem(KEY);
  if (location.hash !== "#/masuk") location.hash = "#/masuk";
}

function keep(tokenValue, expiresIn, userInfo) {
  sessionStorage.setItem(KEY, JSON.stringify({
    token: tokenValue, expires_at: Date.now() + (expiresIn || 3600) * 1000, user: userInfo,
  }));
}

export async function config() {
  const r = await fetch("/auth/config");
  return r.json();
}

export async function localUsers() {
  const r = await fetch("/auth/local/users");
  if (!r.ok) return [];
  return r.json();
}

export async function localSignIn(nip) {
  const r = await fetch("/auth/local/token", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ nip }),
  });
  if (!r.ok) throw new Error("Gagal masuk");
  const body = await r.json();
  keep(body.access_token, body.expires_in, body.user);
  return body.user;
}

// --- PKCE (RFC 7636) -----------------------------------------------------------------------------

export function base64url(bytes) {
  let s = "";
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function randomVerifier() {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));  // 43 characters
}

export async function challenge(verifier) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(digest);
}

export function claims(jwt) {
  const part = jwt.split(".")[1] || "";
  const json = atob(part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "="));
  return JSON.parse(decodeURIComponent(escape(json)));
}

function homeFor(roles) {
  if (roles.includes("pimpinan")) return "pimpinan";
  if (roles.includes("inspektorat")) return "inspektorat";
  if (roles.includes("admin") || roles.includes("bpkad")) return "admin";
  return "pegawai";
}

export async function oidcStart(cfg) {
  const verifier = randomVerifier();
  const state = randomVerifier();
  sessionStorage.setItem("kinerja.pkce", JSON.stringify({ verifier, state }));
  const url = new URL(cfg.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: "code", client_id: cfg.client_id, redirect_uri: cfg.redirect_uri, scope: cfg.scope,
    state, code_challenge: await challenge(verifier), code_challenge_method: "S256",
  }).toString();
  location.assign(url.toString());
}

/** On /auth/callback?code=…&state=…: exchange the code at the token endpoint. */
export async function oidcCallback(cfg, params) {
  const saved = JSON.parse(sessionStorage.getItem("kinerja.pkce") || "null");
  sessionStorage.removeItem("kinerja.pkce");
  if (params.get("error")) throw new Error(`Penyedia identitas menolak: ${params.get("error")}`);
  if (!saved || params.get("state") !== saved.state) throw new Error("Status masuk tidak cocok; ulangi");
  const r = await fetch(cfg.token_endpoint, {
    method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code", code: params.get("code"), redirect_uri: cfg.redirect_uri,
      client_id: cfg.client_id, code_verifier: saved.verifier,
    }),
  });
  if (!r.ok) throw new Error("Penukaran kode gagal");
  const body = await r.json();
  const c = claims(body.access_token);
  const roles = Array.isArray(c.roles) ? c.roles : [];
  const info = { nip: String(c.sub), name: c.name || String(c.sub), roles, home: homeFor(roles) };
  keep(body.access_token, body.expires_in, info);
  return info;
}
