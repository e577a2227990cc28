// keep.test.mjs — keeping and sharing work, end to end in headless Chromium: presets without
// training, share links (good and hostile), autosave across reloads, model export and import.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { OUTPUT, outputPixels, useBrowser, waitReady } from './chromium.mjs';

const SECONDS = 1000;
const open = useBrowser({ before, after });

const statusText = (page) => page.textContent('#status');



// Clicks "Random test image" and waits for the new image to be shown, in the address bar and in
// the autosave; returns its caption.
async function pickRandomAndWaitSaved(page) {
  const before = await page.textContent('#test-caption');
  await page.click('#btn-random');
  await page.waitForFunction((b) => document.getElementById('test-caption').textContent !== b, before);
  return waitSaved(page);
}

// Waits until the address bar and the autosave in IndexedDB hold the test image shown now.
async function waitSaved(page) {
  const caption = await page.textContent('#test-caption');
  await page.waitForFunction((c) => location.hash.includes(`img=${c.match(/#(\d+)/)[1]}`), caption);
  const index = Number(caption.match(/#(\d+)/)[1]);
  // waitForFunction does not await a promise: poll IndexedDB from an evaluate instead.
  const saved = await page.evaluate(async (want) => {
    const read = () => new Promise((resolve) => {
      const request = indexedDB.open('aevp', 1);
      request.onupgradeneeded = () => request.result.createObjectStore('autosave');
      request.onerror = () => resolve(null);
      request.onsuccess = () => {
        const db = request.result;
        const get = db.transaction('autosave').objectStore('autosave').get('current');
        get.onsuccess = () => { db.close(); resolve(get.result?.view?.testIndex ?? null); };
        get.onerror = () => { db.close(); resolve(null); };
      };
    });
    for (let waited = 0; waited < 30000; waited += 200) {
      if ((await read()) === want) return true;
      await new Promise((r) => setTimeout(r, 200));
    }
    return false;
  }, index);
  assert.ok(saved, `the autosave never held test image #${index}`);
  return caption;
}

const formValues = (page) => page.evaluate(() =>
  Object.fromEntries([...document.querySelectorAll('#config-form input, #config-form select')].map((e) => [e.name, e.value])));

test('a first visit shows a trained preset, interactive within 1.5 s, with no training', async () => {
  const { page, errors } = await open();
  const t0 = Date.now();
  await waitReady(page, /ready in \d+ ms/);
  const ms = Number((await statusText(page)).match(/ready in (\d+) ms/)[1]);
  console.log(`  preset time to interactive: ${ms} ms (page load to ready: ${Date.now() - t0} ms)`);
  assert.ok(ms < 1500, `the preset took ${ms} ms`);
  const before = await outputPixels(page);
  const slider = page.locator('.slider input').first();
  await slider.focus();
  for (let i = 0; i < 10; i++) await page.keyboard.press('ArrowRight');
  await page.waitForFunction(([s, b]) => {
    const c = document.querySelector(s);
    return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data).join(',') !== b;
  }, [OUTPUT, before], { timeout: 5 * SECONDS });
  assert.deepEqual(errors, []);
});

test('a share link opens the same data set, configuration and view in a fresh browser', async () => {
  const a = await open();
  await waitReady(a.page, /ready in/);
  await a.page.click('.preset[data-preset=fashion-4x4]');
  await waitReady(a.page, /4×4 latent: ready in/);
  await a.page.click('#btn-random');
  await a.page.fill('#cfg-learning_rate', '0.002');
  await a.page.fill('#cfg-seed', '7');
  await a.page.locator('#noise').fill('0.2');
  await a.page.waitForTimeout(800);
  const hash = await a.page.evaluate(() => location.hash);
  assert.match(hash, /d=fashion/);
  assert.match(hash, /lr=0.002/);
  const caption = await a.page.textContent('#test-caption');
  console.log(`  share link without weights: ${hash.length} characters`);

  const b = await open(hash);
  await b.page.waitForFunction((c) => document.getElementById('test-caption').textContent === c, caption, { timeout: 60 * SECONDS });
  const want = await formValues(a.page), got = await formValues(b.page);
  assert.deepEqual(got, want);
  assert.equal(await b.page.inputValue('#noise'), '0.2');
  assert.equal(await b.page.isChecked('input[name=dataset][value=fashion]'), true);
  assert.deepEqual(a.errors, []);
  assert.deepEqual(b.errors, []);
});

test('a small model travels with its weights in the link; a big one says it does not fit', async () => {
  const a = await open();
  await waitReady(a.page, /ready in/);
  await a.page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await a.page.check('#share-weights');
  await a.page.click('#btn-share');
  await a.page.waitForSelector('#share-note:not([hidden])');
  assert.match(await a.page.textContent('#share-note'), /do not fit in a link/);

  // A small model: filters [2, 2], latent 2x2.
  await a.page.fill('#cfg-f1', '2');
  await a.page.fill('#cfg-f2', '2');
  await a.page.fill('#cfg-latent_grid', '2');
  await a.page.fill('#cfg-epochs', '1');
  await a.page.click('#btn-train');
  await a.page.waitForFunction(() => /batch \d+\//.test(document.getElementById('train-numbers').textContent));
  await a.page.waitForTimeout(1500);
  await a.page.click('#btn-stop');
  await a.page.waitForFunction(() => !document.getElementById('btn-train').disabled);
  await a.page.waitForTimeout(500);
  await a.page.click('#btn-share');
  await a.page.waitForFunction(() => /with the weights/.test(document.getElementById('share-note').textContent));
  const link = await a.page.evaluate(() => navigator.clipboard.readText());
  const hash = link.slice(link.indexOf('#'));
  console.log(`  share link with the weights of a ${await a.page.textContent('#model-facts dd')}-parameter model: ${hash.length} characters`);
  const output = await outputPixels(a.page);

  const b = await open(hash);
  await b.page.waitForFunction(() => document.querySelectorAll('.slider input').length === 4, null, { timeout: 60 * SECONDS });
  await b.page.waitForTimeout(1500);
  // 8-bit weights: the reconstruction is close, not identical.
  const [pa, pb] = [output, await outputPixels(b.page)].map((s) => s.split(',').map(Number));
  let worst = 0;
  for (let i = 0; i < pa.length; i++) worst = Math.max(worst, Math.abs(pa[i] - pb[i]));
  console.log(`  largest output pixel difference after the 8-bit weights: ${worst}/255`);
  assert.ok(worst <= 16, `the shared model's output differs by ${worst}/255`);
  assert.deepEqual(a.errors, []);
  assert.deepEqual(b.errors, []);
});

test('a hostile share link is reported as text and the page still works', async () => {
  const payload = encodeURIComponent('<img src=x onerror="window.__xss=1">');
  const { page, errors } = await open(`#g=12&foo=1&lr=abc&act=${payload}&img=5`);
  await page.waitForSelector('#error-banner:not([hidden])', { timeout: 60 * SECONDS });
  const text = await page.textContent('#error-text');
  assert.match(text, /g must be 1..8 \(got 12\)/);
  assert.match(text, /unknown key "foo"/);
  assert.match(text, /lr must be/);
  assert.equal(await page.evaluate(() => window.__xss), undefined, 'the payload ran');
  assert.equal(await page.locator('#error-text img').count(), 0, 'the payload became HTML');
  await page.waitForFunction(() => /label: /.test(document.getElementById('test-caption').textContent), null, { timeout: 30 * SECONDS });
  assert.match(await page.textContent('#test-caption'), /#5 /, 'the good field img=5 still applied');
  assert.deepEqual(errors, []);
});

test('a reload restores the autosave: data set, model, view', async () => {
  const { page, errors } = await open();
  await waitReady(page, /ready in/);
  await page.click('.preset[data-preset=mnist-2x2]');
  await waitReady(page, /2×2 latent: ready in/);
  const caption = await pickRandomAndWaitSaved(page);
  const output = await outputPixels(page);
  await page.reload();
  await page.waitForFunction((c) => document.getElementById('test-caption').textContent === c, caption, { timeout: 60 * SECONDS });
  await page.waitForTimeout(800);
  assert.equal(await page.inputValue('#cfg-latent_grid'), '2');
  assert.equal(await outputPixels(page), output, 'the restored model reconstructs the same image identically');
  assert.deepEqual(errors, []);
});

test('export then import gives identical reconstructions; a damaged file is refused and changes nothing', async () => {
  const { page, errors } = await open();
  await waitReady(page, /ready in/);
  await page.click('.preset[data-preset=mnist-1x1]');
  await waitReady(page, /single number: ready in/);
  const dir = mkdtempSync(join(tmpdir(), 'aevp-export-'));
  try {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#btn-export')]);
    const file = join(dir, download.suggestedFilename());
    await download.saveAs(file);
    const output = await outputPixels(page);

    // Another model, then the exported file back.
    await page.click('.preset[data-preset=mnist-3x3]');
    await waitReady(page, /3×3 latent: ready in/);
    assert.notEqual(await outputPixels(page), output);
    await page.setInputFiles('#import-file', file);
    await page.waitForFunction(() => /^Loaded /.test(document.getElementById('status').textContent), null, { timeout: 30 * SECONDS });
    await page.waitForTimeout(800);
    assert.equal(await outputPixels(page), output, 'the imported model reconstructs identically');
    assert.equal(await page.inputValue('#cfg-latent_grid'), '1');

    const bytes = readFileSync(file);
    const damaged = join(dir, 'damaged.safetensors');
    writeFileSync(damaged, bytes.subarray(0, bytes.length - 100));
    await page.setInputFiles('#import-file', damaged);
    await page.waitForSelector('#error-banner:not([hidden])');
    assert.match(await page.textContent('#error-text'), /damaged.safetensors was not loaded: model file: .*truncated.*The current model is unchanged/);
    assert.equal(await outputPixels(page), output, 'the refused file changed the model');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(errors, []);
});

test('a full storage quota gives a message and keeps the previous save', async () => {
  const { page, errors } = await open();
  await waitReady(page, /ready in/);
  await page.click('.preset[data-preset=mnist-2x2]');
  await waitReady(page, /2×2 latent: ready in/);
  const caption = await waitSaved(page);
  // From now on every write fails as a full disk would.
  await page.evaluate(() => {
    IDBObjectStore.prototype.put = function put() { throw new DOMException('quota', 'QuotaExceededError'); };
  });
  await page.click('#btn-random');
  await page.waitForSelector('#error-banner:not([hidden])', { timeout: 10 * SECONDS });
  assert.match(await page.textContent('#error-text'), /storage for the site is full\. Your previous save is kept/);
  assert.notEqual(await page.textContent('#test-caption'), caption);
  // Without the address bar's link (which follows the newer view), the page opens the autosave.
  await page.goto(page.url().replace(/#.*$/, ''));
  await page.waitForFunction((c) => document.getElementById('test-caption').textContent === c, caption, { timeout: 60 * SECONDS });
  assert.equal(await page.inputValue('#cfg-latent_grid'), '2');
  assert.deepEqual(errors, []);
});

test('a run interrupted by a reload resumes after its last completed epoch', async () => {
  const { page, errors } = await open();
  await waitReady(page, /ready in/);
  await page.fill('#cfg-epochs', '2');
  await page.fill('#cfg-batch_size', '256');
  await page.click('#btn-train');
  // The epoch-end autosave is what a reload resumes from.
  await page.waitForFunction(() => document.querySelector('#test-averages table') !== null, null, { timeout: 120 * SECONDS });
  await page.waitForTimeout(1000);
  await page.reload();
  await page.waitForFunction(() => /Resuming the interrupted run after epoch 1/.test(document.getElementById('status').textContent) ||
    /epoch 2\/2/.test(document.getElementById('train-numbers').textContent), null, { timeout: 60 * SECONDS });
  await page.waitForFunction(() => /epoch 2\/2 · batch \d+/.test(document.getElementById('train-numbers').textContent), null, { timeout: 30 * SECONDS });
  assert.equal(await page.locator('#test-averages tbody tr').count(), 1, 'the first epoch is in the restored history');
  await page.click('#btn-stop');
  await page.waitForFunction(() => !document.getElementById('btn-train').disabled, null, { timeout: 10 * SECONDS });
  assert.deepEqual(errors, []);
});

test('edits of the form are autosaved: a reload gives them back as typed', async () => {
  const { page, errors } = await open();
  await waitReady(page, /ready in/);
  const options = await page.$$eval('#cfg-activation option', (os) => os.map((o) => o.value));
  const activation = options.find((o) => o !== 'relu');
  await page.fill('#cfg-learning_rate', '0.0025');
  await page.fill('#cfg-epochs', '7');
  await page.selectOption('#cfg-activation', activation);
  await page.waitForTimeout(1500);    // the autosave is debounced by 0.6 s
  await page.reload();
  await waitReady(page, /ready/);
  await page.waitForFunction(() => document.getElementById('cfg-epochs').value === '7', null, { timeout: 30 * SECONDS }).catch(() => {});
  assert.equal(await page.inputValue('#cfg-learning_rate'), '0.0025');
  assert.equal(await page.inputValue('#cfg-epochs'), '7');
  assert.equal(await page.inputValue('#cfg-activation'), activation);
  assert.deepEqual(errors, []);
});

test('a reload during the first epoch keeps the run\'s settings and starts the run again', async () => {
  const { page, errors } = await open();
  await waitReady(page, /ready in/);
  await page.fill('#cfg-epochs', '2');
  await page.fill('#cfg-learning_rate', '0.0015');
  await page.click('#btn-train');     // at once: no debounced save of the edits has run yet
  await page.waitForFunction(() => /epoch 1\/2 · batch \d+/.test(document.getElementById('train-numbers').textContent), null, { timeout: 60 * SECONDS });
  await page.reload();
  await page.waitForFunction(() => /Starting the interrupted run again/.test(document.getElementById('status').textContent) ||
    /epoch 1\/2 · batch \d+/.test(document.getElementById('train-numbers').textContent), null, { timeout: 60 * SECONDS });
  await page.waitForFunction(() => /epoch 1\/2 · batch \d+/.test(document.getElementById('train-numbers').textContent), null, { timeout: 30 * SECONDS });
  assert.equal(await page.inputValue('#cfg-learning_rate'), '0.0015', 'the run\'s learning rate is back');
  assert.equal(await page.inputValue('#cfg-epochs'), '2');
  await page.click('#btn-stop');
  await page.waitForFunction(() => !document.getElementById('btn-train').disabled, null, { timeout: 10 * SECONDS });
  assert.deepEqual(errors, []);
});

test('Arithmetic: "fastest" runs the relaxed-SIMD build, "exact" the plain one, keeping the model; ?simd=plain asks for it', async () => {
  const { page, errors } = await open();
  await waitReady(page, /ready in/);
  assert.equal(await page.inputValue('#simd'), 'auto');
  assert.match(await page.textContent('#simd-help'), /fused multiply-add \(relaxed SIMD\)/);
  const output = await outputPixels(page);
  await page.selectOption('#simd', 'plain');
  await page.waitForFunction(() => /plain SIMD/.test(document.getElementById('status').textContent), null, { timeout: 30 * SECONDS });
  assert.match(await page.textContent('#simd-help'), /plain SIMD: the same bits on every machine/);
  await page.waitForTimeout(800);
  // The model moved over through its file: the same weights give the same picture on either build,
  // up to a pixel value rounded the other way (fused multiply-adds round differently).
  const [was, now] = [output, await outputPixels(page)].map((p) => p.split(',').map(Number));
  assert.equal(now.length, was.length);
  assert.ok(now.every((v, i) => Math.abs(v - was[i]) <= 1), 'the model changed when the build did');
  assert.equal(await page.evaluate(() => localStorage.getItem('aevp.simd')), 'plain');

  // A fresh page whose address asks for the plain build.
  const second = await open('?simd=plain');
  await waitReady(second.page, /ready in/);
  assert.equal(await second.page.inputValue('#simd'), 'plain');
  assert.match(await second.page.textContent('#simd-help'), /plain SIMD/);
  assert.deepEqual(errors, []);
  assert.deepEqual(second.errors, []);
});

test('Workers: one per core up to eight; four train together and the choice is kept', async () => {
  const { page, errors } = await open();
  // This machine has two cores: the page is told of eight.
  await page.context().addInitScript(() => Object.defineProperty(navigator, 'hardwareConcurrency', { get: () => 8 }));
  await page.reload();
  await waitReady(page, /ready in/);
  assert.deepEqual(await page.$$eval('#workers option', (os) => os.map((o) => o.value)), ['1', '2', '3', '4', '5', '6', '7', '8']);
  const output = await outputPixels(page);
  await page.selectOption('#workers', '4');
  await page.waitForFunction(() => /4 workers/.test(document.getElementById('status').textContent), null, { timeout: 60 * SECONDS });
  await page.waitForTimeout(800);
  assert.equal(await outputPixels(page), output, 'the model changed with the worker count');
  assert.equal(await page.evaluate(() => localStorage.getItem('aevp.workers')), '4');
  await page.click('#btn-train');
  await page.waitForFunction(() => /batch \d+\/\d+ · loss/.test(document.getElementById('train-numbers').textContent), null, { timeout: 60 * SECONDS });
  await page.click('#btn-stop');
  await page.waitForFunction(() => /Stopped after/.test(document.getElementById('status').textContent), null, { timeout: 60 * SECONDS });
  assert.deepEqual(errors, []);
});
