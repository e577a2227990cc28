// chromium.mjs — helpers for the browser tests and the benchmark: launch Debian's headless
// Chromium through playwright-core and open a page served from dist/ on 127.0.0.1. No assertions.
import { cpSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { serve } from '../../build/serve.mjs';

export const distDir = fileURLToPath(new URL('../../dist/', import.meta.url));
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
// The blank page the tests run their modules in; it sits beside dist/engine.js so that
// import('./engine.js') in it resolves against dist/.
export const BLANK_PAGE = '__test-blank.html';

export function launchChromium() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// The site root served to the page: a temporary directory of symlinks to dist/'s entries plus
// the blank page, so the tests never write into dist/ (which a concurrent build may replace).
// A process that dies before close() (a failed assertion in before(), Ctrl-C) still removes them.
const siteRoots = new Set();
process.once('exit', () => siteRoots.forEach((root) => rmSync(root, { recursive: true, force: true })));

function siteRoot() {
  const root = mkdtempSync(join(tmpdir(), 'aevp-site-'));
  siteRoots.add(root);
  for (const entry of readdirSync(distDir)) symlinkSync(join(distDir, entry), join(root, entry));
  cpSync(fileURLToPath(new URL('blank.html', import.meta.url)), join(root, BLANK_PAGE));
  return root;
}

// Serves dist/ on a free port and opens http://127.0.0.1:<port>/<path> in a new context.
// Returns {page, url, errors, close}: errors collects console errors, uncaught exceptions of the
// page and its workers, and HTTP failures, as strings; close() ends the page, context and server.
export async function openApp(browser, { path = BLANK_PAGE } = {}) {
  const root = siteRoot();
  const server = await serve(root, { port: 0 });
  const url = `http://127.0.0.1:${server.address().port}/`;
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  // Chromium reports its dedicated workers' console messages and uncaught exceptions on the page.
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console error: ${msg.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.stack ?? error.message}`));
  page.on('crash', () => errors.push('the page crashed'));
  page.on('requestfailed', (request) => errors.push(`request failed: ${request.url()} (${request.failure()?.errorText})`));
  page.on('response', (response) => {
    if (response.status() >= 400) errors.push(`HTTP ${response.status()} for ${response.url()}`);
  });
  const response = await page.goto(url + path);
  if (!response?.ok()) throw new Error(`could not open ${url + path}: HTTP ${response?.status()}`);
  let closed = false;
  async function close() {
    if (closed) return;
    closed = true;
    try {
      await context.close();
    } finally {
      const stopped = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      await stopped;
      rmSync(root, { recursive: true, force: true });
      siteRoots.delete(root);
    }
  }
  return { page, url, errors, close };
}

// ---------------------------------------------------------------- helpers for tests of the page

export const OUTPUT = '.stage[data-stage=output] canvas';

// One browser for a test file, and open(path) for an app in a fresh context; all closed after.
export function useBrowser({ before, after }) {
  let browser;
  const apps = [];
  before(async () => { browser = await launchChromium(); });
  after(async () => {
    for (const app of apps) await app.close().catch(() => {});
    await browser?.close();
  });
  return async function open(path = '') {
    const app = await openApp(browser, { path });
    apps.push(app);
    return app;
  };
}

// Waits until the status matches (the page's start-up or a preset is done) and the last trace
// of it has been drawn.
export async function waitReady(page, pattern = /ready/) {
  await page.waitForFunction((p) => new RegExp(p).test(document.getElementById('status').textContent),
    pattern.source, { timeout: 60000 });
  await page.waitForSelector(OUTPUT);
  await page.waitForTimeout(400);
}

// The output canvas's pixels as a string, to compare two moments exactly.
export function outputPixels(page) {
  return page.evaluate((s) => {
    const c = document.querySelector(s);
    return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data).join(',');
  }, OUTPUT);
}
