// sw.js — AeVP's service worker: keeps the app shell (one cache per build) and the data sets (one
// cache shared by every build) so that the page works offline after one visit. No app logic.
'use strict';

const VERSION = '__AEVP_BUILD__';   // build/dist.mjs writes the build's content hash here
const SHELL_PREFIX = 'aevp-shell-';
const SHELL_CACHE = SHELL_PREFIX + VERSION;
const DATA_CACHE = 'aevp-data-v1';  // the .gz files never change, so they outlive deploys
const DATA_PATH = /^data\/[^/]+\/[^/]+\.gz$/;

// Every URL is relative to this script, so the app works under any sub-path.
const here = (path) => new URL(path, self.location).href;
const basePath = new URL('./', self.location).pathname;

// A response that followed a redirect may not answer a navigation: keep its body and headers only.
function unredirected(response) {
  if (!response.redirected) return response;
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const listResponse = await fetch(here('precache.json'), { cache: 'no-store' });
    if (!listResponse.ok) throw new Error(`precache.json: HTTP ${listResponse.status}`);
    const list = await listResponse.clone().json();
    // sw.js and precache.json from two different deploys: fail now, the browser retries later.
    if (list.version !== VERSION) throw new Error(`precache.json is of build ${list.version}, sw.js of ${VERSION}`);
    const cache = await caches.open(SHELL_CACHE);
    try {
      await Promise.all(list.files.map(async (path) => {
        const response = await fetch(here(path), { cache: 'reload' });
        if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
        await cache.put(here(path), unredirected(response));
      }));
      await cache.put(here('precache.json'), listResponse);
    } catch (error) {
      await caches.delete(SHELL_CACHE);
      throw error;
    }
    // The page loads all its code at start and later fetches only data (the same in every build),
    // so an open tab keeps working when a new build takes over; its next load gets the new build.
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys())
      if (name.startsWith(SHELL_PREFIX) && name !== SHELL_CACHE) await caches.delete(name);
    // Take the page of the first visit too, so that what it fetches from now on is cached.
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || !url.pathname.startsWith(basePath)) return;
  const path = decodeURIComponent(url.pathname.slice(basePath.length));
  if (DATA_PATH.test(path)) {
    if (!request.headers.has('range')) event.respondWith(fromDataCache(event, path));
    return;
  }
  event.respondWith(fromShell(request, path));
});

async function fromShell(request, path) {
  const cache = await caches.open(SHELL_CACHE);
  const navigate = request.mode === 'navigate';
  const index = () => cache.match(here('index.html'));
  const cached = navigate && (path === '' || path === 'index.html') ? await index() : await cache.match(request);
  if (cached) return cached;
  try {
    return await fetch(request);
  } catch (error) {
    const fallback = navigate && await index();
    if (fallback) return fallback;
    throw error;
  }
}

// ---------------------------------------------------------------- data sets
// The sizes of the .gz files of this build, from precache.json: a response of another size (an
// error page answered with 200, a cut download) is passed on but never cached.
let dataSizesPromise = null;
function dataSizes() {
  dataSizesPromise ??= (async () => {
    const response = await caches.match(here('precache.json'), { cacheName: SHELL_CACHE }) ?? await fetch(here('precache.json'));
    if (!response.ok) throw new Error(`precache.json: HTTP ${response.status}`);
    return (await response.json()).data ?? {};
  })();
  dataSizesPromise.catch(() => { dataSizesPromise = null; });
  return dataSizesPromise;
}

const storing = new Map();   // url -> the cache.put in progress, so that a file is fetched once

// Stores a complete copy with its content-length (the worker reads it for its progress bar).
function store(path, response) {
  const url = here(path);
  const put = (async () => {
    const expected = (await dataSizes())[path];
    const body = await response.blob();
    if (response.status !== 200 || body.size !== expected)
      throw new Error(`${path}: not cached (HTTP ${response.status}, ${body.size} bytes, expected ${expected})`);
    const headers = new Headers(response.headers);
    headers.set('content-length', String(body.size));
    const cache = await caches.open(DATA_CACHE);
    await cache.put(url, new Response(body, { status: 200, statusText: response.statusText, headers }));
  })().finally(() => storing.delete(url));
  storing.set(url, put);
  return put;
}

async function fromDataCache(event, path) {
  const url = here(path);
  await storing.get(url)?.catch(() => {});
  const cached = await caches.match(url, { cacheName: DATA_CACHE });
  if (cached) return cached;
  const response = await fetch(event.request);
  if (response.ok) event.waitUntil(store(path, response.clone()).catch((error) => console.warn(`aevp sw: ${error.message}`)));
  return response;
}

// Puts every file of one data set in the cache, fetching only those missing: for a data set the
// page downloaded before this worker controlled it (the first visit). Resolves to
// {name, files, fetched, bytes}.
async function cacheDataset(name) {
  const sizes = await dataSizes();
  const paths = Object.keys(sizes).filter((path) => path.startsWith(`data/${name}/`));
  if (paths.length === 0) throw new Error(`no data set "${name}" in this build`);
  let fetched = 0, bytes = 0;
  for (const path of paths) {   // one at a time: these are large
    const url = here(path);
    await storing.get(url)?.catch(() => {});
    if (!await caches.match(url, { cacheName: DATA_CACHE })) {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
      await store(path, response);
      fetched++;
    }
    bytes += sizes[path];
  }
  return { name, files: paths.length, fetched, bytes };
}

self.addEventListener('message', (event) => {
  const { type, name } = event.data ?? {};
  if (type !== 'cache-dataset') return;
  const port = event.ports[0];
  event.waitUntil(cacheDataset(String(name)).then(
    (result) => port?.postMessage({ ok: true, result }),
    (error) => port?.postMessage({ ok: false, error: error.message })));
});
