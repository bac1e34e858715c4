// sw.js — the offline app shell: network first (so a new build shows at once), the cache when offline.
// Only this origin's GETs of the app's own files; the model and engine are cached by the engine worker.
const SHELL = 'sotto-shell-v1';
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));
self.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/models/')) return;
  e.respondWith((async () => {
    const cache = await caches.open(SHELL);
    try {
      const r = await fetch(e.request, { cache: 'no-cache' });
      if (r.ok) await cache.put(e.request, r.clone());
      return r;
    } catch (err) {
      const hit = await cache.match(e.request, { ignoreSearch: true });
      if (hit) return hit;
      throw err;
    }
  })());
});
