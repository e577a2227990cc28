// facts.test.mjs — what the page says stays true as the model changes under it: the facts, the
// banner and the lit preset after an import; a preset's exported epochs; the training line and the
// runs list after a run; runs on two data sets labelled and flagged. Headless Chromium.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { useBrowser, waitReady } from './chromium.mjs';

const SECONDS = 1000;
const open = useBrowser({ before, after });
const presets = JSON.parse(readFileSync(new URL('../../web/presets/presets.json', import.meta.url))).presets;

const metadataOf = (bytes) => JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString()).__metadata__;
const facts = (page) => page.textContent('#model-facts');
const litPresets = (page) => page.$$eval('.preset[aria-pressed=true], .preset.active', (bs) => bs.map((b) => b.dataset.preset));

test('an import replaces the facts, clears an old error and the lit preset; a preset exports its own epochs', { timeout: 90 * SECONDS }, async () => {
  const { page, errors } = await open();
  await waitReady(page, /ready in/);
  await page.click('.preset[data-preset=mnist-1x1]');
  await waitReady(page, /single number: ready in/);
  assert.deepEqual(await litPresets(page), ['mnist-1x1']);
  const oneByOne = await facts(page);
  const dir = mkdtempSync(join(tmpdir(), 'aevp-facts-'));
  try {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#btn-export')]);
    const file = join(dir, download.suggestedFilename());
    await download.saveAs(file);
    const bytes = readFileSync(file);
    assert.equal(metadataOf(bytes).epochs_trained, String(presets.find((p) => p.name === 'mnist-1x1').epochs),
      'the export of a preset says how long the preset was trained');

    await page.click('.preset[data-preset=mnist-3x3]');
    await waitReady(page, /3×3 latent: ready in/);
    assert.notEqual(await facts(page), oneByOne);
    writeFileSync(join(dir, 'bad.safetensors'), bytes.subarray(0, 100));
    await page.setInputFiles('#import-file', join(dir, 'bad.safetensors'));
    await page.waitForSelector('#error-banner:not([hidden])');
    await page.setInputFiles('#import-file', file);
    await page.waitForFunction(() => /^Loaded /.test(document.getElementById('status').textContent), null, { timeout: 30 * SECONDS });
    await page.waitForFunction((f) => document.getElementById('model-facts').textContent === f, oneByOne, { timeout: 10 * SECONDS })
      .catch(() => {});
    assert.equal(await facts(page), oneByOne, 'the facts are the imported model\'s');
    assert.equal(await page.locator('#error-banner').isHidden(), true, 'the failed import\'s banner is gone after a good one');
    assert.deepEqual(await litPresets(page), [], 'no preset is lit for an imported file');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(errors, []);
});

test('after a run the training line says where it ended; runs on two data sets are labelled and flagged', { timeout: 150 * SECONDS }, async () => {
  const { page, errors } = await open();
  await waitReady(page, /ready in/);
  assert.deepEqual(await litPresets(page), ['mnist-3x3']);
  const preset = presets.find((p) => p.name === 'mnist-3x3');
  assert.equal(await page.locator('#loss-empty').isVisible(), true, 'the empty chart says why it is empty');
  assert.equal(await page.textContent('#loss-empty'), `MNIST, 3×3 latent: trained for ${preset.epochs} epochs before it was opened ` +
    `here (validation loss ${preset.val_loss.toFixed(4)}); its curves did not come with it. Train more draws them from here on.`);
  await page.fill('#cfg-epochs', '1');
  const trainOnce = async () => {
    await page.waitForFunction(() => !document.getElementById('btn-train').disabled, null, { timeout: 30 * SECONDS });
    await page.click('#btn-train');
    await page.waitForFunction(() => /^Trained 1 epoch at/.test(document.getElementById('status').textContent), null, { timeout: 90 * SECONDS });
  };
  await trainOnce();
  assert.deepEqual(await litPresets(page), [], 'training unlit the preset');
  assert.equal(await page.locator('#loss-empty').isHidden(), true, 'the chart has curves now');
  const line = await page.textContent('#train-numbers');
  assert.match(line, /^Done: 1 epoch of 1 · validation loss \d\.\d{4} · PSNR [\d.]+ dB · SSIM [\d.]+$/);
  assert.doesNotMatch(line, /left/);
  assert.equal(await page.evaluate(() => document.getElementById('train-bar').value), 1);
  assert.match(await page.textContent('#runs li'), /^#1 MNIST · F\[16,8\] .* — 1 epoch, val loss/);
  assert.equal(await page.locator('#runs-note').isHidden(), true, 'one data set: nothing to flag');

  await page.click('input[name=dataset][value=fashion]');
  await page.waitForFunction(() => document.getElementById('status').textContent === 'Fashion-MNIST ready', null, { timeout: 60 * SECONDS });
  await trainOnce();
  const items = await page.$$eval('#runs li', (lis) => lis.map((li) => li.textContent));
  assert.equal(items.length, 2);
  assert.match(items[1], /^#2 Fashion-MNIST — 1 epoch, val loss/, 'the second run is labelled by its data set');
  assert.equal(await page.locator('#runs-note').isVisible(), true);
  assert.equal(await page.textContent('#runs-note'),
    'These losses are not comparable across groups: #1 on MNIST, BCE loss; #2 on Fashion-MNIST, BCE loss.');
  // A preset opened after the runs: the chart does not keep the last run's curves as if they were its.
  await page.click('.preset[data-preset=mnist-2x2]');
  await waitReady(page, /2×2 latent: ready in/);
  assert.match(await page.textContent('#loss-empty'), /^MNIST, 2×2 latent: trained for \d+ epochs before it was opened here/);
  assert.equal(await page.evaluate(() => document.querySelectorAll('#loss-chart .u-over').length > 0), true);
  assert.equal(await page.locator('#test-averages table').count(), 0, 'no epoch table of the last run for the preset');
  assert.deepEqual(errors, []);
});
