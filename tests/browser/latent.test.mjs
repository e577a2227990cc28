// latent.test.mjs — the latent explorer in headless Chromium, as a person uses it: the map with
// hover and click, t-SNE, the decoded plane, interpolation, Fashion-MNIST, and a VAE trained in
// the page (its chart, its sigma bands, sampling from the prior).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, test } from 'node:test';

import { launchChromium, OUTPUT, openApp, outputPixels, waitReady } from './chromium.mjs';

const ARTIFACTS = fileURLToPath(new URL('../../out/artifacts/', import.meta.url));
const MAP = 'canvas.latent-map';
const SLIDERS = '.stage[data-stage=latent] .slider input[type=range]';

let browser, app, page;

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
  app = await openApp(browser, { path: '?debug' });
  page = app.page;
  await page.setViewportSize({ width: 1400, height: 1000 });
  await waitReady(page);
  await page.waitForFunction(() => window.aevpDebug.mapCount() === 2000, null, { timeout: 30000 });
});

after(async () => {
  await app?.close();
  await browser?.close();
});

afterEach(() => {
  assert.deepEqual(app?.errors.splice(0) ?? [], [], 'the page and its worker reported no errors');
});

// The client position of map point i, with the map scrolled into view.
async function point(i) {
  await page.locator(MAP).scrollIntoViewIfNeeded();
  return page.evaluate((k) => window.aevpDebug.mapPoint(k), i);
}
// Resolves once the output canvas differs from `before` (what outputPixels gave).
const outputChanged = (before) => page.waitForFunction(([selector, b]) => {
  const c = document.querySelector(selector);
  return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data).join(',') !== b;
}, [OUTPUT, before], { timeout: 10000 });
const sliderValues = () => page.$$eval(SLIDERS, (inputs) => inputs.map((i) => Number(i.value)));
// Polls `check` (an async function) every 100 ms until it is true, for up to 10 s.
async function expect(check, timeout = 10000) {
  for (const end = Date.now() + timeout; Date.now() < end; await new Promise((r) => setTimeout(r, 100)))
    if (await check()) return;
  throw new Error(`not true within ${timeout} ms: ${check}`);
}
const mapHash = () => page.evaluate((s) => {
  const c = document.querySelector(s);
  const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
  let h = 2166136261;
  for (let i = 0; i < data.length; i += 4) h = Math.imul(h ^ ((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]), 16777619) >>> 0;
  return h;
}, MAP);

test('the map shows 2,000 test images by class; hovering shows one, clicking decodes its place', async () => {
  assert.equal(await page.locator('.legend-item').count(), 10);
  assert.match(await page.locator('#map-caption').textContent(), /PCA of 2,000 codes of 9 numbers: this plane shows \d+% of their variance/);
  const [x, y] = await point(5);
  await page.mouse.move(x, y);
  await page.waitForSelector('.map-tip:not([hidden])');
  assert.match(await page.locator('.map-tip span').textContent(), /test image #\d+\n\d/);
  const before = await outputPixels(page);
  const slidersBefore = await sliderValues();
  await page.mouse.click(x, y);
  await outputChanged(before);
  assert.notDeepEqual(await sliderValues(), slidersBefore, 'the click set the sliders');
  assert.match(await page.locator('#status').textContent(), /Decoded test image #\d+'s place on the PCA plane/);
  await page.locator('.latent-panel').screenshot({ path: `${ARTIFACTS}latent-pca.png` });
});

test('the keyboard moves a cursor over the map and Enter decodes there', async () => {
  await page.locator(MAP).focus();
  for (let i = 0; i < 3; i++) await page.keyboard.press('Shift+ArrowRight');
  await page.keyboard.press('ArrowUp');
  const before = await outputPixels(page);
  await page.keyboard.press('Enter');
  await outputChanged(before);
  assert.match(await page.locator('#status').textContent(), /Decoded .*PCA plane/);
});

test('the decoded plane draws the decoder over the map', async () => {
  const before = await mapHash();
  await page.check('#manifold');
  await expect(async () => (await mapHash()) !== before);
  await page.waitForTimeout(300);
  await page.locator('.latent-panel').screenshot({ path: `${ARTIFACTS}latent-plane.png` });
  await page.uncheck('#manifold');
});

test('t-SNE runs in the worker with progress; clicking a point makes its image the input', async () => {
  // Started and cancelled: the map keeps what it had reached and says so.
  await page.click('#btn-tsne');
  await page.waitForSelector('#tsne-bar:not([hidden])');
  await page.waitForFunction(() => /iteration [1-9]\d* of 1000/.test(document.getElementById('map-caption').textContent));
  assert.equal(await page.locator('#btn-tsne').textContent(), 'Cancel t-SNE');
  await page.click('#btn-tsne');
  await page.waitForFunction(() => /cancelled at iteration \d+ of 1000/.test(document.getElementById('map-caption').textContent));
  assert.ok(await page.isHidden('#tsne-bar'));
  // Then a whole run.
  await page.click('#btn-tsne');
  await page.waitForSelector('#tsne-bar:not([hidden])');
  const caption = page.locator('#map-caption');
  await page.waitForFunction(() => /t-SNE of 2,000 codes in [\d.]+ s/.test(document.getElementById('map-caption').textContent), null, { timeout: 60000 });
  const seconds = Number(/in ([\d.]+) s/.exec(await caption.textContent())[1]);
  console.log(`  t-SNE of 2,000 codes in the page: ${seconds} s`);
  assert.ok(await page.isChecked('input[name=projection][value=tsne]'));
  await page.waitForTimeout(200);
  await page.locator('.latent-panel').screenshot({ path: `${ARTIFACTS}latent-tsne.png` });
  const [x, y] = await point(42);
  const before = await outputPixels(page);
  await page.mouse.click(x, y);
  await page.waitForFunction(() => /Test image #\d+ · label/.test(document.getElementById('test-caption').textContent));
  await outputChanged(before);
  assert.match(await page.locator('#status').textContent(), /Test image #\d+ from the map/);
  // Back to PCA: the map is the plane again.
  await page.click('input[name=projection][value=pca] + *, label:has(input[name=projection][value=pca])');
  await page.waitForFunction(() => /PCA of/.test(document.getElementById('map-caption').textContent));
});

test('interpolation: the strip decodes the line from A to B, and a step goes to the sliders', async () => {
  const strip = '.interp-strip canvas';
  assert.equal(await page.locator(strip).count(), 9);
  const before = await outputPixels(page);
  await page.locator(strip).nth(8).click();
  await outputChanged(before);
  const atB = await sliderValues();
  await page.locator('.interp-t').fill('0.5');
  await page.waitForTimeout(300);
  assert.notDeepEqual(await sliderValues(), atB, 'the handle moved the code');
  // The current input becomes end A.
  await page.click('text=A ← current input');
  await page.waitForFunction(() => /^A · /.test(document.querySelector('.end-A figcaption').textContent));
});

test('Fashion-MNIST: the legend names its classes and the map follows', async () => {
  await page.click('label:has(input[name=dataset][value=fashion])');
  await page.waitForFunction(() => /Fashion-MNIST ready/.test(document.getElementById('status').textContent), null, { timeout: 60000 });
  await page.waitForFunction(() => window.aevpDebug.mapCount() === 2000, null, { timeout: 30000 });
  const names = await page.locator('.legend-item').allTextContents();
  assert.ok(names.includes('Ankle boot') || names.some((n) => /boot/i.test(n)), names.join(', '));
  await page.locator('.latent-panel').screenshot({ path: `${ARTIFACTS}latent-fashion.png` });
  await page.click('label:has(input[name=dataset][value=mnist])');
  await page.waitForFunction(() => /MNIST.* ready/.test(document.getElementById('status').textContent), null, { timeout: 60000 });
});

test('a VAE trains in the page: KL in the chart, sigma bands, samples from the prior', async () => {
  await page.check('#cfg-variational');
  await page.fill('#cfg-latent_grid', '2');
  await page.fill('#cfg-epochs', '1');
  await page.click('#btn-train');
  // The PCA map follows the model while it trains, not only at the epoch's end.
  const updates = await page.evaluate(() => window.aevpDebug.mapUpdates());
  await page.waitForFunction((n) => window.aevpDebug.mapUpdates() >= n + 1 && /epoch 1\/1 · batch/.test(document.getElementById('train-numbers').textContent) &&
    !/Trained/.test(document.getElementById('status').textContent), updates, { timeout: 60000 });
  await page.waitForFunction(() => /Trained 1 epoch/.test(document.getElementById('status').textContent), null, { timeout: 120000 });
  const legend = await page.locator('#loss-chart').textContent();
  assert.match(legend, /KL, train/);
  assert.match(legend, /reconstruction, validation/);
  assert.match(await page.locator('#test-averages').textContent(), /KL/);
  await page.waitForSelector('.sigma-band:not([hidden])');
  assert.equal(await page.locator('.sigma-band:not([hidden])').count(), 4);
  const prior = page.locator('text=Sample from the prior');
  assert.ok(await prior.isVisible());
  const before = await outputPixels(page);
  await prior.click();
  await outputChanged(before);
  await page.screenshot({ path: `${ARTIFACTS}vae-page.png`, fullPage: true });
  // The share link carries the VAE settings.
  assert.match(page.url(), /vae=1/);
});
