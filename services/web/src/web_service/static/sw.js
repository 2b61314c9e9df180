// Service worker: keeps the app shell so the app opens without a connection. API calls are never
// cached (the offline queue in IndexedDB keeps unsent entries).
const CACHE = "kinerja-shell-v1";
const SHELL = ["/", "/static/app.css", "/manifest.webmanifest", "/static/icons/icon.svg", "/static/icons/icon-192.png",
  "/static/js/app.js", "/static/js/api.js", "/static/js/auth.js", "/static/js/ui.js", "/static/js/offline.js",
  "/static/js/sse.js", "/static/js/notifications.js", "/static/js/login.js", "/static/js/employee.js",
  "/static/js/superior.js", "/static/js/leader.js", "/static/js/inspektorat.js", "/static/js/admin.js"];

self.addEventListener("install", (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (e) => {
  e.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== "GET" || url.origin !== location.origin) return;
  if (url.pathname.startsWith("/api/") || url.pathname.startsWith("/auth/") && url.pathname !== "/auth/callback") return;
  // Network first (fresh after a deploy), the cached shell when offline.
  e.respondWith(fetch(e.request).then((r) => {
    if (r.ok) { const copy = r.clone(); caches.open(CACHE).then((c) => c.put(e.request, copy)); }
    return r;
  }).catch(() => caches.match(e.request).then((r) => r || (e.request.mode === "navigate" ? caches.match("/") : Response.error()))));
});
