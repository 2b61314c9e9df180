// The API client: every call goes to the same origin (/api/<service>/…) with the signed-in token.
import { token, signOut } from "./auth.js";

export class ApiError extends Error {
  constructor(status, problem) {
    const errors = (problem && problem.errors) || [];
    const detail = errors.length ? errors.map((e) => `${e.field}: ${e.message}`).join("; ")
      : (problem && (problem.detail || problem.title)) || `HTTP ${status}`;
    super(detail);
    this.status = status;
    this.problem = problem;
  }
}

export function headers(extra = {}) {
  const t = token();
  return t ? { Authorization: `Bearer ${t}`, ...extra } : { ...extra };
}

export async function raw(service, path, options = {}) {
  const r = await fetch(`/api/${service}${path}`, { ...options, headers: headers(options.headers || {}) });
  if (r.status === 401) { signOut(); throw new ApiError(401, { detail: "Sesi berakhir; silakan masuk lagi" }); }
  if (!r.ok) {
    let problem = null;
    try { problem = await r.json(); } catch { /* not JSON */ }
    throw new ApiError(r.status, problem);
  }
  return r;
}

export async function get(service, path) {
  return (await raw(service, path)).json();
}

export async function send(service, path, method, body, extra = {}) {
  const options = { method, headers: { ...extra } };
  if (body instanceof FormData || body instanceof Blob || typeof body === "string") options.body = body;
  else if (body !== undefined) { options.body = JSON.stringify(body); options.headers["Content-Type"] = "application/json"; }
  const r = await raw(service, path, options);
  const text = await r.text();
  return text ? JSON.parse(text) : null;
}

/** Fetch a protected file (evidence, report, export) and return an object URL for it. */
export async function blobUrl(service, path) {
  const r = await raw(service, path);
  return URL.createObjectURL(await r.blob());
}

export async function download(service, path, filename) {
  const url = await blobUrl(service, path);
  const a = document.createElement("a");
  a.href = url; a.download = filename; document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
