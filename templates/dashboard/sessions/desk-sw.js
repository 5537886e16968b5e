/* The offline desk's service worker (issue 17). Served at /desk-sw.js, scope /dashboard/.
   The desk page puts its own URL and its static files into the cache "kudus-desk" itself (Cache API);
   this worker answers them when the network fails: pages network-first (fresh when online),
   static files cache-first (their names carry a content hash). Nothing else is cached: no JSON,
   no personal data (that lives in IndexedDB, with an expiry, and is cleared at logout). */
const CACHE = 'kudus-desk';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/static/')) {
    event.respondWith(caches.open(CACHE).then((cache) => cache.match(request, { ignoreVary: true })).then((hit) => hit || fetch(request)));
    return;
  }
  if (request.mode === 'navigate') {
    event.respondWith(
      fetch(request).catch(() =>
        caches.open(CACHE)
          .then((cache) => cache.match(request, { ignoreSearch: true, ignoreVary: true }))
          .then((hit) => hit || Response.error()),
      ),
    );
  }
});
