// The service worker: keeps the app shell available with no network.
//
// - The shell (HTML, CSS, modules, manifest, icons) is precached under a versioned cache
//   name; app/web.py fills SHELL below with the file list and a hash of their contents,
//   so any change to the shell is a new version. Old shell caches go on activate.
// - API answers are never put in Cache Storage: /api/ requests are not touched here.
// - The first install takes control at once; an update waits until the user agrees or
//   nothing is pending (the page decides, js/main.js, and posts "skip-waiting"). The new
//   shell is cached whole before that (install fails otherwise), and the old cache goes
//   only on activate, so the page is never left without a complete shell.
// - Background Sync wakes open pages to sync; with no unlocked page nothing is sent
//   (changes are sealed with a key that only an unlocked page holds).

const SHELL = { version: 'dev', files: ['/'] }; // filled in by app/web.py
const PREFIX = 'tawthiq-shell-';
const CACHE = PREFIX + SHELL.version;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(SHELL.files.map((url) => new Request(url, { cache: 'reload' })));
    if (!self.registration.active) await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  // Only the page's update flow sends this, after the user agreed (or nothing was
  // pending) and the app locked: then this version activates and the page reloads.
  if (event.data?.type === 'skip-waiting') self.skipWaiting();
  // Which shell this worker serves (shown by the storage screen; checked by tests).
  if (event.data?.type === 'version') event.ports[0]?.postMessage({ version: SHELL.version });
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;
  if (request.mode === 'navigate' && url.pathname === '/') {
    event.respondWith(fromShell('/', request));
    return;
  }
  if (SHELL.files.includes(url.pathname)) event.respondWith(fromShell(url.pathname, request));
});

async function fromShell(key, request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(key);
  return hit || fetch(request);
}

self.addEventListener('sync', (event) => {
  if (event.tag !== 'tawthiq-sync') return;
  event.waitUntil((async () => {
    for (const client of await self.clients.matchAll({ type: 'window' })) {
      client.postMessage({ type: 'sync' });
    }
  })());
});
