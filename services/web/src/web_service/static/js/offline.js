// The offline queue: each new activity is stored in IndexedDB with its Idempotency-Key first, then
// sent; what cannot be sent (no connection, server away) stays and goes when `online` fires or the
// app starts. A 2xx removes it; a 4xx removes it too and is reported (the server refused it).
import { headers } from "./api.js";

const DB = "kinerja", STORE = "outbox";
let sending = null;
const listeners = new Set();

function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "key" });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx(mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const t = db.transaction(STORE, mode);
    const result = fn(t.objectStore(STORE));
    t.oncomplete = () => { db.close(); resolve(result && "result" in result ? result.result : undefined); };
    t.onerror = () => { db.close(); reject(t.error); };
  });
}

export function onChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }
function changed(event) { for (const fn of listeners) fn(event); }

export async function pending() { return (await tx("readonly", (s) => s.getAll())) || []; }

/** Queue an activity (fields + files as Blobs) for the signed-in user; returns its key. */
export async function enqueue(nip, fields, files = []) {
  const entry = { key: crypto.randomUUID(), nip, fields, files, created_at: new Date().toISOString(), attempts: 0 };
  await tx("readwrite", (s) => s.put(entry));
  changed({ type: "queued", entry });
  return entry.key;
}

function body(entry) {
  if (!entry.files.length) return { body: JSON.stringify(entry.fields), type: "application/json" };
  const form = new FormData();
  for (const [k, v] of Object.entries(entry.fields)) if (v !== null && v !== undefined && v !== "") form.append(k, String(v));
  for (const f of entry.files) form.append("evidence", f.blob, f.name);
  return { body: form, type: null };
}

async function sendOne(entry) {
  const { body: payload, type } = body(entry);
  const extra = { "Idempotency-Key": entry.key };
  if (type) extra["Content-Type"] = type;
  let r;
  try {
    r = await fetch("/api/activity/v1/activities", { method: "POST", headers: headers(extra), body: payload });
  } catch {
    return "offline";
  }
  if (r.ok) {
    await tx("readwrite", (s) => s.delete(entry.key));
    changed({ type: "sent", entry, activity: await r.json() });
    return "sent";
  }
  if (r.status >= 400 && r.status < 500 && r.status !== 401 && r.status !== 408 && r.status !== 429) {
    let problem = null;
    try { problem = await r.json(); } catch { /* not JSON */ }
    await tx("readwrite", (s) => s.delete(entry.key));
    changed({ type: "refused", entry, problem });
    return "refused";
  }
  return "retry";
}

/** Send what is queued for `nip`, one at a time, oldest first; one run at a time. */
export function flush(nip) {
  if (sending) return sending;
  sending = (async () => {
    try {
      const entries = (await pending()).filter((e) => e.nip === nip).sort((a, b) => a.created_at.localeCompare(b.created_at));
      for (const e of entries) {
        const outcome = await sendOne(e);
        if (outcome === "offline" || outcome === "retry") break;
      }
    } finally {
      sending = null;
    }
  })();
  return sending;
}
