// offline.test.mjs — the offline PWA in headless Chromium: after one online visit the page loads,
// loads MNIST and trains with the network off and the server gone; a new build replaces the shell
// cache and keeps the data sets. Not the page's features (page.test.mjs) nor the engine's.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { chromium } from 'playwright-core';

import { serve } from '../../build/serve.mjs';
import { CHROMIUM, distDir } from './chromium.mjs';

const SECONDS = 1000;
const DATA_CACHE = 'aevp-data-v1';
const TRAIN_SECONDS = 3;

// dist/ served from a temporary root of symlinks (a concurrent build may replace dist/), with
// sw.js and precache.json copied so that a test can deploy a "new build". `requests` lists the
// paths the server was asked for.
async function startSite() {
  const root = mkdtempSync(join(tmpdir(), 'aevp-offline-site-'));
  for (const entry of readdirSync(distDir)) {
    if (entry === 'sw.js' || entry === 'precache.json') copyFileSync(join(distDir, entry), join(root, entry));
    else symlinkSync(join(distDir, entry), join(root, entry));
  }
  const server = await serve(root, { port: 0 });
  const requests = [];
  server.on('request', (req) => requests.push(decodeURIComponent(new URL(req.url, 'http://x').pathname)));
  let closed = false;
  return {
    root, requests,
    url: `http://127.0.0.1:${server.address().port}/`,
    precache: JSON.parse(readFileSync(join(root, 'precache.json'), 'utf8')),
    async close() {
      if (closed) return;
      closed = true;
      const stopped = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      await stopped;
    },
    remove() { rmSync(root, { recursive: true, force: true }); },
  };
}

// A browser with a fresh profile of its own; errors collects what the page and its worker report,
// as {text, url} with the URL of the resource concerned when there is one.
async function startBrowser() {
  const profile = mkdtempSync(join(tmpdir(), 'aevp-offline-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? await context.newPage();
  const errors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push({ text: `console error: ${msg.text()}`, url: msg.location().url });
  });
  page.on('pageerror', (error) => errors.push({ text: `uncaught: ${error.stack ?? error.message}` }));
  page.on('crash', () => errors.push({ text: 'the page crashed' }));
  page.on('requestfailed', (request) => errors.push({ text: `request failed (${request.failure()?.errorText})`, url: request.url() }));
  page.on('response', (response) => {
    if (response.status() >= 400) errors.push({ text: `HTTP ${response.status()}`, url: response.url() });
  });
  return {
    context, page, errors,
    async close() {
      try { await context.close(); } finally { rmSync(profile, { recursive: true, force: true }); }
    },
  };
}

// Waits until the status line matches; a timeout says what it showed instead.
async function waitForStatus(page, pattern, timeout = 60 * SECONDS) {
  try {
    await page.waitForFunction((source) => new RegExp(source).test(document.getElementById('status').textContent), pattern.source, { timeout });
  } catch (e) {
    const shown = await page.locator('#status').textContent().catch(() => '(unreadable)');
    throw new Error(`the status did not match ${pattern} within ${timeout / SECONDS} s: it says "${shown}" (${e.message})`);
  }
}

// Registers the service worker unless the page did it itself (once index.html imports pwa.js, the
// import below only returns that same module), then waits until an activated worker controls the page.
async function ensureControlled(page) {
  await page.evaluate(async () => {
    if (!navigator.serviceWorker.controller && !await navigator.serviceWorker.getRegistration()) await import('./pwa.js');
  });
  await page.waitForFunction(() => navigator.serviceWorker.controller?.state === 'activated', null, { timeout: 30 * SECONDS });
  return page.evaluate(async () => (await import('./pwa.js')).offlineStatus);
}

// What the caches hold: {names, shell: {name, files, bytes}, data: {path: {bytes, contentLength}}}.
function cacheContents(page) {
  return page.evaluate(async (dataCache) => {
    const base = new URL('./', location.href).href;
    const read = async (name) => {
      const cache = await caches.open(name);
      const entries = {};
      for (const request of await cache.keys()) {
        const response = await cache.match(request);
        entries[request.url.slice(base.length)] = { bytes: (await response.blob()).size, contentLength: Number(response.headers.get('content-length')) };
      }
      return entries;
    };
    const names = (await caches.keys()).sort();
    const shellName = names.find((n) => n.startsWith('aevp-shell-'));
    const shell = shellName ? await read(shellName) : {};
    return {
      names,
      shell: { name: shellName, files: Object.keys(shell).sort(), bytes: Object.values(shell).reduce((a, e) => a + e.bytes, 0) },
      data: names.includes(dataCache) ? await read(dataCache) : {},
    };
  }, DATA_CACHE);
}

// The errors that concern this test. goOffline's probe fails on purpose; a file the build does not
// have fails online and offline alike (page.test.mjs sees that), so it is reported, not counted.
function errorsAboutTheBuild(site, errors, t, expected = []) {
  const relevant = errors.filter(({ url }) => !url?.includes('/not-cached-') && !expected.some((part) => url?.includes(part)));
  const outside = ({ url }) => url?.startsWith(site.url) && !existsSync(join(site.root, decodeURIComponent(new URL(url).pathname)));
  for (const error of relevant.filter(outside)) t.diagnostic(`not in this build, ignored: ${error.text} for ${error.url}`);
  return relevant.filter((error) => !outside(error)).map(({ text, url }) => (url ? `${text} for ${url}` : text));
}

const dataPaths = (precache, set) => Object.keys(precache.data).filter((p) => p.startsWith(`data/${set}/`)).sort();
const MB = (bytes) => `${(bytes / 1e6).toFixed(2)} MB`;

function assertDataCached(contents, precache, set) {
  for (const path of dataPaths(precache, set)) {
    const entry = contents.data[path];
    assert.ok(entry, `${path} is in ${DATA_CACHE}`);
    assert.equal(entry.bytes, precache.data[path], `${path}: all its bytes are cached`);
    assert.equal(entry.contentLength, precache.data[path], `${path}: the cached response keeps its content-length`);
  }
}

// Cuts the page off: the browser's network is off and the server is closed.
async function goOffline(site, browser) {
  await browser.context.setOffline(true);
  await site.close();
  const probe = await browser.page.evaluate(() => fetch(`not-cached-${Date.now()}`).then(() => 'answered', () => 'failed'));
  assert.equal(probe, 'failed', 'a file that is not cached cannot be fetched: the page is offline');
}

// The batch number in the progress text, "epoch 1/5 · batch 37/938 · loss ...", or 0.
async function batchShown(page) {
  const match = /batch (\d+)\//.exec(await page.locator('#train-numbers').textContent());
  return match ? Number(match[1]) : 0;
}

test('after one online visit the page loads, loads MNIST and trains offline', { timeout: 180 * SECONDS }, async (t) => {
  const site = await startSite();
  const browser = await startBrowser();
  const { page } = browser;
  try {
    await page.goto(site.url);
    await waitForStatus(page, /^MNIST ready$/);
    assert.equal(await ensureControlled(page), 'ready', 'pwa.js says the shell is cached');

    // MNIST was downloaded before the service worker took control: cacheDataset fetches it again.
    // Once main.js calls cacheDataset itself, this only waits for that call or finds it done.
    const kept = await page.evaluate(async () => (await import('./pwa.js')).cacheDataset('mnist'));
    t.diagnostic(`cacheDataset('mnist') after the first load: ${JSON.stringify(kept)}`);
    const contents = await cacheContents(page);
    const shellName = `aevp-shell-${site.precache.version}`;
    assert.deepEqual(contents.names, [DATA_CACHE, shellName].sort(), 'one shell cache, of this build, and the data cache');
    assert.deepEqual(contents.shell.files, [...site.precache.files, 'precache.json'].sort(), 'every shell file is cached');
    assert.ok(!contents.shell.files.some((f) => f.endsWith('.gz')), 'no data set in the shell cache');
    assertDataCached(contents, site.precache, 'mnist');
    const dataBytes = Object.values(contents.data).reduce((a, e) => a + e.bytes, 0);
    t.diagnostic(`${shellName}: ${contents.shell.files.length} files, ${MB(contents.shell.bytes)}; ${DATA_CACHE}: ${Object.keys(contents.data).length} files, ${MB(dataBytes)}`);
    const downloads = site.requests.filter((p) => p.endsWith('.gz'));
    t.diagnostic(`MNIST files downloaded online: ${downloads.length} (4 by the page, ${downloads.length - 4} again for the cache)`);

    await goOffline(site, browser);
    const responses = [];
    page.on('response', (response) => responses.push(response));
    await page.reload();
    await waitForStatus(page, /^MNIST ready$/);
    const mine = responses.filter((r) => r.url().startsWith(site.url));
    assert.ok(mine.some((r) => r.url().endsWith('index.html') || r.url() === site.url), 'the page was loaded');
    for (const response of mine) assert.ok(response.fromServiceWorker(), `${response.url()} came from the service worker`);
    t.diagnostic(`offline reload: ${mine.length} responses, all from the service worker: ${mine.map((r) => r.url().slice(site.url.length) || './').join(', ')}`);

    await page.click('#btn-train');
    await page.waitForFunction(() => /batch \d+\//.test(document.getElementById('train-numbers').textContent), null, { timeout: 30 * SECONDS });
    const first = await batchShown(page);
    await page.waitForTimeout(TRAIN_SECONDS * SECONDS);
    const later = await batchShown(page);
    assert.ok(later > first, `training advances offline (batch ${first}, then ${later} after ${TRAIN_SECONDS} s)`);
    await page.click('#btn-stop');
    await page.waitForFunction(() => !document.getElementById('btn-train').disabled, null, { timeout: 30 * SECONDS });
    t.diagnostic(`trained offline: batch ${later} after ${TRAIN_SECONDS} s; status "${await page.locator('#status').textContent()}"`);

    // Fashion-MNIST was never downloaded: choosing it offline says it needs a connection once,
    // and the page stays with MNIST (radio, status, model), the radio or the preset alike.
    const grid = await page.inputValue('#cfg-latent_grid');
    await page.click('input[name=dataset][value=fashion]');
    await page.waitForSelector('#error-banner:not([hidden])', { timeout: 30 * SECONDS });
    const said = await page.textContent('#error-text');
    assert.match(said, /^Fashion-MNIST could not be loaded: .*you are offline.*It needs a connection once; after that it works offline too\. MNIST stays in use\.$/);
    await waitForStatus(page, /^MNIST ready \(Fashion-MNIST could not be loaded\)$/);
    assert.equal(await page.isChecked('input[name=dataset][value=mnist]'), true, 'the radio buttons say MNIST again');
    assert.equal(await page.locator('#btn-train').isEnabled(), true, 'Train (on MNIST) still works');
    await page.click('#error-close');
    await page.click('.preset[data-preset=fashion-4x4]');
    await page.waitForSelector('#error-banner:not([hidden])', { timeout: 30 * SECONDS });
    assert.match(await page.textContent('#error-text'),
      /^The preset "Fashion-MNIST, 4×4 latent" was not opened: Fashion-MNIST could not be loaded: .*It needs a connection once.*The current model is unchanged\.$/);
    assert.equal(await page.isChecked('input[name=dataset][value=mnist]'), true);
    assert.equal(await page.inputValue('#cfg-latent_grid'), grid, 'the model and its settings stay');
    assert.doesNotMatch(await page.textContent('#status'), /4×4 latent: ready/);
    assert.deepEqual(errorsAboutTheBuild(site, browser.errors, t, ['/data/fashion/']), [], 'the page and its worker reported no errors');
  } finally {
    await browser.close();
    await site.close();
    site.remove();
  }
});

test('data sets are cached as they download and outlive a new build, whose shell replaces the old', { timeout: 180 * SECONDS }, async (t) => {
  const site = await startSite();
  const browser = await startBrowser();
  const { page } = browser;
  try {
    await page.goto(site.url);
    await waitForStatus(page, /^MNIST ready$/);
    await ensureControlled(page);
    await page.evaluate(async () => (await import('./pwa.js')).cacheDataset('mnist'));

    // The page is controlled now: Fashion-MNIST goes through the service worker, once.
    const before = site.requests.length;
    await page.click('input[name=dataset][value=fashion]');
    await waitForStatus(page, /^Fashion-MNIST ready$/);
    const fashion = dataPaths(site.precache, 'fashion');
    assert.deepEqual(site.requests.slice(before).filter((p) => p.endsWith('.gz')).sort(), fashion.map((p) => `/${p}`),
      'each Fashion-MNIST file was downloaded once');
    await page.waitForFunction(async ([name, count]) => (await (await caches.open(name)).keys()).length === count,
      [DATA_CACHE, Object.keys(site.precache.data).length], { timeout: 30 * SECONDS });
    assertDataCached(await cacheContents(page), site.precache, 'fashion');

    // A new build: another version in sw.js and precache.json. The browser installs it, which
    // replaces the shell cache; the data cache stays, and no data set is downloaded again.
    const oldShell = `aevp-shell-${site.precache.version}`;
    const newVersion = 'testbuild002';
    for (const file of ['sw.js', 'precache.json']) {
      const path = join(site.root, file);
      writeFileSync(path, readFileSync(path, 'utf8').replaceAll(site.precache.version, newVersion));
    }
    const beforeDeploy = site.requests.length;
    await page.evaluate(async () => {
      const reg = await navigator.serviceWorker.getRegistration();
      const changed = new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }));
      await reg.update();
      await changed;
    });
    await page.waitForFunction(() => navigator.serviceWorker.controller?.state === 'activated', null, { timeout: 30 * SECONDS });
    const deployed = site.requests.slice(beforeDeploy);
    assert.ok(deployed.includes('/sw.js') && deployed.includes('/precache.json'), `the new build was fetched (${deployed.join(', ')})`);
    assert.ok(!deployed.some((p) => p.endsWith('.gz')), 'no data set was downloaded again');
    const contents = await cacheContents(page);
    assert.deepEqual(contents.names, [DATA_CACHE, `aevp-shell-${newVersion}`].sort(), `${oldShell} was deleted, the data cache kept`);
    assertDataCached(contents, site.precache, 'mnist');
    assertDataCached(contents, site.precache, 'fashion');
    const dataBytes = Object.values(contents.data).reduce((a, e) => a + e.bytes, 0);
    t.diagnostic(`after the new build: ${contents.names.join(', ')}; ${DATA_CACHE}: ${Object.keys(contents.data).length} files, ${MB(dataBytes)}`);

    // The new build works offline with both data sets.
    await goOffline(site, browser);
    await page.reload();
    await waitForStatus(page, /^(Fashion-)?MNIST ready$/);
    // A reload may restore the radio buttons as they were: only a change loads a data set.
    if (await page.isChecked('input[name=dataset][value=fashion]')) await page.click('input[name=dataset][value=mnist]');
    await page.click('input[name=dataset][value=fashion]');
    await waitForStatus(page, /^Fashion-MNIST ready$/);
    assert.deepEqual(errorsAboutTheBuild(site, browser.errors, t), [], 'the page and its worker reported no errors');
  } finally {
    await browser.close();
    await site.close();
    site.remove();
  }
});
