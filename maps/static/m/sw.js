/* The field app's service worker (scope /m/): the app opens and its pages show without a network.
   - assets (/maps/static/…): from the cache at once, refreshed in the background (stale-while-revalidate);
   - pages (/m/…) and the app's own reads (/api/v1/me…, categories): the network first, the last copy when offline;
   - writes are never touched here: the page's outbox (outbox.js) queues and retries them. */
"use strict";

const VERSION = "ccgrid-m-3";
const SHELL = ["/m/", "/m/tasks", "/m/report", "/m/outbox", "/m/more", "/m/rounds",
  "/maps/static/m/app.css", "/maps/static/m/outbox.js", "/maps/static/m/report.js", "/maps/static/m/home.js",
  "/maps/static/m/tasks.js", "/maps/static/m/visit.js", "/maps/static/vendor/idb/idb.umd.js", "/maps/static/vendor/leaflet/leaflet.js",
  "/maps/static/vendor/leaflet/leaflet.css", "/maps/static/vendor/leaflet/images/marker-icon.png",
  "/maps/static/vendor/leaflet/images/marker-icon-2x.png", "/maps/static/vendor/leaflet/images/marker-shadow.png",
  "/maps/static/m/icon.svg", "/maps/static/m/icon-192.png"];

self.addEventListener("install", (ev) => {
  // One missing page (say, a role without tasks) must not stop the rest from being kept.
  ev.waitUntil(caches.open(VERSION).then((c) => Promise.all(SHELL.map((u) =>
    fetch(u, { credentials: "same-origin" }).then((r) => (r.ok && !r.redirected ? c.put(u, r) : null)).catch(() => null))))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (ev) => {
  ev.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== VERSION).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

async function networkFirst(req) {
  const cache = await caches.open(VERSION);
  try {
    const r = await fetch(req);
    // A login page answered for an expired session is not the page: keep the last good copy.
    if (r.ok && !r.redirected) cache.put(req, r.clone());
    return r;
  } catch (e) {
    const hit = await cache.match(req, { ignoreSearch: req.mode === "navigate" });
    if (hit) return hit;
    throw e;
  }
}

async function staleWhileRevalidate(ev) {
  const cache = await caches.open(VERSION);
  const hit = await cache.match(ev.request);
  const fresh = fetch(ev.request).then((r) => { if (r.ok) cache.put(ev.request, r.clone()); return r; });
  if (hit) { ev.waitUntil(fresh.catch(() => null)); return hit; }
  return fresh;
}

self.addEventListener("fetch", (ev) => {
  const req = ev.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/maps/static/")) { ev.respondWith(staleWhileRevalidate(ev)); return; }
  if (url.pathname.startsWith("/m/") && url.pathname !== "/m/sw.js") { ev.respondWith(networkFirst(req)); return; }
  if (url.pathname.startsWith("/api/v1/me") || url.pathname === "/api/v1/problem-categories") {
    ev.respondWith(networkFirst(req));
  }
});
