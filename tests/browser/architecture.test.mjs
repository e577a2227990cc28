// architecture.test.mjs — a deeper model made and used through the page, end to end in headless
// Chromium: the Model panel's Architecture section, training it, one card per stage with the
// attention card's hover map, the share link carrying the architecture, an oversized model refused
// in words, and the PyTorch script downloaded for it. The engine's side is tests/test_arch.c.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { useBrowser, waitReady } from './chromium.mjs';

const SECONDS = 1000;
const open = useBrowser({ before, after });

const ARCH = 'details.field-group[data-group=architecture]';
const facts = (page) => page.textContent('#model-facts');
const stageNames = (page) => page.$$eval('#pipeline .stage', (els) => els.map((el) => el.dataset.stage));

// Puts the deep model in the form: three stages, one residual block each, attention in both halves.
async function chooseDeep(page) {
  await page.click(`${ARCH} > summary`);
  await page.fill('#cfg-f3', '8');
  await page.selectOption('#cfg-res_blocks', '1').catch(() => page.fill('#cfg-res_blocks', '1'));
  await page.selectOption('#cfg-attention', 'both');
  await page.fill('#cfg-epochs', '1');
}

test('the Architecture section: closed by default with a summary, a deeper model trains and draws its stages',
  { timeout: 120 * SECONDS }, async () => {
    const { page, errors } = await open();
    await waitReady(page, /ready in/);
    assert.equal(await page.$eval(ARCH, (d) => d.open), false, 'the default model keeps the section closed');
    assert.match(await page.textContent(`${ARCH} .group-line`), /^2 stages \(16, 8\) · 3×3 · /);
    const before = await facts(page);
    assert.deepEqual((await stageNames(page)).filter((n) => /^attn/.test(n)), [], 'no attention card yet');

    await chooseDeep(page);
    await page.waitForFunction((b) => document.getElementById('model-facts').textContent !== b, before);
    assert.match(await page.textContent(`${ARCH} .group-line`), /^3 stages \(16, 8, 8\) · 3×3 · .*1 residual block · attention: both$/);
    const params = Number(/parameters\s*([\d,]+)/.exec(await facts(page))[1].replace(/,/g, ''));
    assert.ok(params > 10674, `the deeper model has more parameters (${params})`);

    await page.click('#btn-train');
    await page.waitForFunction(() => /batch (\d+)\//.exec(document.getElementById('train-numbers').textContent)?.[1] >= 5,
                               null, { timeout: 30 * SECONDS });
    await page.click('#btn-stop');
    await page.waitForFunction(() => !document.getElementById('btn-train').disabled, null, { timeout: 15 * SECONDS });
    await page.waitForTimeout(500);

    // One card per stage, in the engine's order: three of each half, the blocks and attention.
    const names = await stageNames(page);
    for (const name of ['input', 'conv1', 'conv2', 'conv3', 'enc1.res1', 'enc3.res1', 'attn_enc', 'latent',
                        'attn_dec', 'dec3.res1', 'convT3', 'output'])
      assert.ok(names.includes(name), `a card for ${name} (cards: ${names.join(' ')})`);
    assert.ok(names.indexOf('attn_enc') < names.indexOf('latent') && names.indexOf('latent') < names.indexOf('attn_dec'));
    for (const name of ['enc1.res1', 'attn_enc']) {
      const card = page.locator(`#pipeline .stage[data-stage="${name}"]`);
      assert.ok((await card.textContent()).length > 40, `${name}'s card explains itself`);
    }

    // Attention: the grid has one position per cell of the lowest resolution (28 -> 14 -> 7 -> 4).
    const attention = page.locator('#pipeline .stage[data-stage=attn_enc]');
    assert.equal(await attention.locator('.attention-cell').count(), 16);
    await attention.locator('.attention-cell').nth(5).hover();
    await page.waitForFunction(() => /^Row 2, column 2 attends most \(0\.\d\d\)/.test(
      document.querySelector('#pipeline .stage[data-stage=attn_enc] .attention-caption').textContent));
    const map = await attention.locator('.attention-map').evaluate((c) => {
      const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
      const levels = new Set();
      for (let i = 0; i < data.length; i += 4) levels.add(data[i] + ',' + data[i + 1] + ',' + data[i + 2]);
      return { w: c.width, h: c.height, levels: levels.size };
    });
    assert.deepEqual([map.w, map.h], [4, 4]);
    assert.ok(map.levels > 1, 'the map is drawn, not blank');
    await attention.locator('.attention-cell').nth(0).focus();
    assert.match(await attention.locator('.attention-caption').textContent(), /^Row 1, column 1 /, 'focus works as hover');

    // The share link carries the architecture; a fresh page opens it with the same fields.
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.click('#btn-share');
    await page.waitForFunction(() => /Link copied/.test(document.getElementById('share-note').textContent));
    const link = await page.evaluate(() => navigator.clipboard.readText());
    const hash = link.slice(link.indexOf('#'));
    assert.match(hash, /[#&]f3=8(&|$)/);
    assert.match(hash, /[#&]res=1(&|$)/);
    assert.match(hash, /[#&]attn=both(&|$)/);
    const b = await open(hash);
    await b.page.waitForFunction(() => document.getElementById('cfg-f3')?.value === '8', null, { timeout: 60 * SECONDS });
    assert.equal(await b.page.$eval(ARCH, (d) => d.open), true, 'a link with another architecture opens the section');
    assert.equal(await b.page.inputValue('#cfg-attention'), 'both');
    assert.equal(await b.page.inputValue('#cfg-res_blocks'), '1');
    await b.page.waitForFunction((p) => document.getElementById('model-facts').textContent.includes(p),
                                 params.toLocaleString('en'), { timeout: 30 * SECONDS });
    assert.deepEqual(errors, []);
    assert.deepEqual(b.errors, []);
  });

test('an oversized architecture is refused with the memory it needs, and the page keeps working',
  { timeout: 60 * SECONDS }, async () => {
    const { page, errors } = await open();
    await waitReady(page, /ready in/);
    await page.click(`${ARCH} > summary`);
    for (const key of ['f1', 'f2', 'f3', 'f4']) await page.fill(`#cfg-${key}`, '128');
    await page.fill('#cfg-res_blocks', '3').catch(() => page.selectOption('#cfg-res_blocks', '3'));
    await page.fill('#cfg-batch_size', '512');
    await page.waitForSelector('#config-err:not([hidden])', { timeout: 15 * SECONDS });
    const message = await page.textContent('#config-err');
    assert.match(message, /^This model needs \d+ MB \(batch_size 512, .*filters \[?128, 128, 128, 128\]?.*the limit is \d+ MB: lower batch_size/);
    assert.equal(await page.locator('#btn-train').isDisabled(), true, 'Train waits for a model that fits');
    await page.fill('#cfg-batch_size', '8');
    await page.waitForFunction(() => !document.getElementById('btn-train').disabled, null, { timeout: 15 * SECONDS });
    assert.match(await facts(page), /parameters/);
    assert.equal(await page.locator('#config-err').isHidden(), true, 'the message goes once the model fits');
    assert.equal(await page.locator('#error-banner').isHidden(), true, 'the refusal was the form\'s, not an error banner');
    assert.deepEqual(errors, []);
  });

test('PyTorch script: the page writes the script for the model shown, named after its model file',
  { timeout: 60 * SECONDS }, async () => {
    const { page, errors } = await open();
    await waitReady(page, /ready in/);
    await page.locator('#presets button', { hasText: /attention/i }).first().click();
    await waitReady(page, /ready in/);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#btn-torch')]);
    assert.match(download.suggestedFilename(), /^aevp-mnist-3x3\.py$/);
    const script = readFileSync(await download.path(), 'utf8');
    assert.match(script, /^#!\/usr\/bin\/env python3/);
    assert.match(script, /class AeVP\w*\(nn\.Module\)/);
    assert.match(script, /attn_enc/);
    assert.match(script, /attn_dec/);
    assert.match(await page.textContent('#status'), /aevp-mnist-3x3\.py: run it beside aevp-mnist-3x3\.safetensors/);
    assert.deepEqual(errors, []);
  });
