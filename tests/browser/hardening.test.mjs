// hardening.test.mjs — hostile and unlucky cases in headless Chromium: the Content-Security-
// Policy holds, share-link payloads never become HTML, a diverging run pauses with the weights
// kept, and a crashed engine is replaced with the last autosave restored.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { OUTPUT, outputPixels, useBrowser, waitReady } from './chromium.mjs';

const SECONDS = 1000;
const PAYLOAD = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';
const KEYS = ['d', 'f1', 'f2', 'g', 'act', 'loss', 'opt', 'lr', 'bs', 'ep', 'seed', 'src', 'img', 'z', 'noise', 'occ', 'w'];
const open = useBrowser({ before, after });



test('the Content-Security-Policy allows no inline script or eval, and the app needs none', async () => {
  const app = await open('?debug');
  const { page, errors } = app;
  await waitReady(page, /ready in/);
  await page.evaluate(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const policy = await page.getAttribute('meta[http-equiv=Content-Security-Policy]', 'content');
  assert.match(policy, /script-src 'self' 'wasm-unsafe-eval'/);
  assert.doesNotMatch(policy, /unsafe-inline|'unsafe-eval'/);
  // An inline script and a string timer (eval) are refused. (page.evaluate itself runs through
  // DevTools, which CSP does not govern: the page's own code paths are what is tested.)
  const refused = await page.evaluate(async () => {
    const s = document.createElement('script');
    s.textContent = 'window.__inline = 1';
    document.body.append(s);
    try { setTimeout('window.__evalTimer = 1', 0); } catch { /* refused outright */ }
    await new Promise((r) => setTimeout(r, 100));
    return { inline: window.__inline ?? null, evalTimer: window.__evalTimer ?? null, violations: window.__violations.length };
  });
  assert.equal(refused.inline, null, 'an inline script ran');
  assert.equal(refused.evalTimer, null, 'a string timer ran');
  assert.ok(refused.violations >= 2, `the refusals were not reported (${refused.violations})`);
  // The app itself: draw, train a moment, stop — nothing it does is blocked.
  await page.evaluate(() => { window.__violations = []; document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`)); });
  await page.check('input[name=source][value=draw]');
  const box = await page.locator('#draw-host canvas').first().boundingBox();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.8, { steps: 8 });
  await page.mouse.up();
  await page.fill('#cfg-epochs', '1');
  await page.click('#btn-train');
  await page.waitForFunction(() => /batch \d+\//.test(document.getElementById('train-numbers').textContent));
  await page.click('#btn-stop');
  await page.waitForFunction(() => !document.getElementById('btn-train').disabled);
  assert.deepEqual(await page.evaluate(() => window.__violations), []);
  // The refusals provoked above are the only console errors, and they are the policy's.
  assert.ok(errors.every((e) => /Content Security Policy|Content-Security-Policy|unsafe-eval/.test(e)), errors.join('\n'));
});

test('a payload in every share-link field is reported as text, never run or parsed as HTML', async () => {
  const hash = '#' + KEYS.map((k) => `${k}=${encodeURIComponent(PAYLOAD)}`).join('&') + `&${encodeURIComponent(PAYLOAD)}=1`;
  const { page, errors } = await open(hash);
  await page.waitForSelector('#error-banner:not([hidden])', { timeout: 60 * SECONDS });
  await waitReady(page);
  const text = await page.textContent('#error-text');
  for (const key of KEYS) assert.match(text, new RegExp(`(^|[ ;])${key} `), `no message for ${key}`);
  assert.match(text, /unknown key "<img src=x/);
  assert.equal(await page.evaluate(() => window.__xss), undefined, 'a payload ran');
  assert.equal(await page.locator('#error-text *').count(), 0, 'a payload became HTML');
  assert.equal(await page.locator('img[src=x], body script:not([src])').count(), 0);
  assert.deepEqual(errors, []);
});

test('a right-to-left override in a link is shown escaped in the banner, not obeyed', async () => {
  const { page, errors } = await open(`#act=${encodeURIComponent('\u202Eevil')}&lr=${encodeURIComponent('1\u202E')}`);
  await page.waitForSelector('#error-banner:not([hidden])', { timeout: 60 * SECONDS });
  await waitReady(page);
  const text = await page.textContent('#error-text');
  assert.ok(text.includes('"\\u202Eevil"') && text.includes('\\u202E'), `the override is written out: ${text}`);
  assert.doesNotMatch(text, /[\u202a-\u202e\u2066-\u2069]/u, 'no raw bidi character reaches the banner');
  assert.deepEqual(errors, []);
});

test('a link whose weights are finite but absurd (±3e38) is refused in words; the sliders and the map stay finite', async () => {
  const first = await open();
  await waitReady(first.page, /ready in/);
  const params = Number((await first.page.textContent('#model-facts')).match(/parameters([\d,]+)/)[1].replaceAll(',', ''));
  const hash = await first.page.evaluate(async (n) => {
    const { encodeWeights } = await import('./state.js');
    return `#w=${await encodeWeights(Float32Array.from({ length: n }, (_, i) => (i % 2 ? -3e38 : 3e38)))}`;
  }, params);
  const { page, errors } = await open(hash);
  await page.waitForSelector('#error-banner:not([hidden])', { timeout: 60 * SECONDS });
  await waitReady(page);
  const text = await page.textContent('#error-text');
  assert.match(text, /^The weights in this link could not be used \(its weights are finite but absurd .*probe images/);
  assert.doesNotMatch(text, /pca|x\[0\]/, 'no engine-internal words');
  const values = await page.$$eval('.stage[data-stage=latent] .slider input[type=range]', (inputs) => inputs.map((i) => Number(i.value)));
  assert.ok(values.length > 0 && values.every(Number.isFinite), `the sliders hold finite values: ${values}`);
  assert.doesNotMatch(await page.textContent('main'), /Infinity|NaN/, 'no Infinity or NaN on the page');
  assert.deepEqual(errors, []);
});

test('a 1 MB link is refused as a whole, says so once, and the page opens as it would without it', async () => {
  const { page, errors } = await open(`#g=2&x=${'a'.repeat(2 ** 20)}`);
  await page.waitForSelector('#error-banner:not([hidden])', { timeout: 60 * SECONDS });
  await waitReady(page, /ready in/);
  assert.equal(await page.textContent('#error-text'),
    'share link: too long (1,048,583 characters; this page\'s links stay under 16,384), so none of it was applied. The page opened as it was.');
  assert.equal(await page.inputValue('#cfg-latent_grid'), '3', 'the first-visit preset, not the link\'s g=2');
  assert.deepEqual(errors, []);
});

test('learning rate 10 diverges: the run pauses at that batch, the weights are kept, the page explains', async () => {
  const { page, errors } = await open();
  await waitReady(page, /ready in/);
  await page.fill('#cfg-learning_rate', '10');
  await page.click('#btn-train');
  await page.waitForSelector('#error-banner:not([hidden])', { timeout: 60 * SECONDS });
  const text = await page.textContent('#error-text');
  assert.match(text, /training diverged at step \d+/);
  assert.match(text, /Lower the learning rate \(now 10\)\. /);
  assert.match(text, /press Stop, lower the learning rate, and press Train more/);
  assert.doesNotMatch(text, /and resume/i, 'no advice the locked form cannot follow');
  assert.equal(await page.textContent('#status'), 'Paused: the training diverged');
  assert.equal(await page.textContent('#btn-pause'), 'Resume');
  const steps = await page.textContent('#train-numbers');
  await page.waitForTimeout(600);
  assert.equal(await page.textContent('#train-numbers'), steps, 'training went on after diverging');
  const output = await outputPixels(page);
  assert.ok(/[1-9]/.test(output), 'the output is blank');
  await page.click('#btn-stop');
  await page.waitForFunction(() => !document.getElementById('btn-train').disabled, null, { timeout: 10 * SECONDS });
  // The model still answers (its weights are those of the last good step, which at this learning
  // rate may already saturate): a new test image is traced and drawn as the input.
  const input = await page.evaluate(() => {
    const c = document.querySelector('.stage[data-stage=input] canvas');
    return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data).join(',');
  });
  await page.click('#btn-random');
  await page.waitForFunction((o) => {
    const c = document.querySelector('.stage[data-stage=input] canvas');
    return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data).join(',') !== o;
  }, input, { timeout: 10 * SECONDS });
  // The advice works: the learning rate can be lowered now, and Train more goes on from the kept
  // weights without diverging.
  assert.equal(await page.isEditable('#cfg-learning_rate'), true, 'the learning rate can be changed after Stop');
  await page.fill('#cfg-learning_rate', '0.001');
  await page.waitForFunction(() => !document.getElementById('btn-more').disabled, null, { timeout: 10 * SECONDS });
  await page.click('#btn-more');
  await page.waitForFunction(() => /batch \d+/.test(document.getElementById('train-numbers').textContent), null, { timeout: 30 * SECONDS });
  await page.waitForTimeout(1000);
  assert.equal(await page.locator('#error-banner').isHidden(), true, 'training on at 0.001 did not diverge');
  await page.click('#btn-stop');
  await page.waitForFunction(() => !document.getElementById('btn-train').disabled, null, { timeout: 10 * SECONDS });
  assert.deepEqual(errors, []);
});

test('a trained model trained further at learning rate 10 diverges, and the rollback gives it back exactly', async () => {
  const { page, errors } = await open('?debug');
  await waitReady(page, /ready in/);
  const before = await page.evaluate(() => window.aevpDebug.evaluate());
  const output = await outputPixels(page);
  await page.fill('#cfg-learning_rate', '10');
  await page.fill('#cfg-epochs', '1');
  await page.waitForFunction(() => !document.getElementById('btn-more').disabled);
  await page.click('#btn-more');
  await page.waitForSelector('#error-banner:not([hidden])', { timeout: 60 * SECONDS });
  const text = await page.textContent('#error-text');
  assert.match(text, /training diverged at step \d+: .*put back to those before the last update, whose loss was sane/);
  assert.equal(await page.textContent('#status'), 'Paused: the training diverged');
  await page.click('#btn-stop');
  await page.waitForFunction(() => !document.getElementById('btn-train').disabled, null, { timeout: 10 * SECONDS });
  const after = await page.evaluate(() => window.aevpDebug.evaluate());
  assert.equal(after.loss, before.loss, `test loss ${after.loss} after the rollback, ${before.loss} before`);
  assert.equal(after.ssim, before.ssim);
  await page.waitForFunction((o) => {
    const c = document.querySelector('.stage[data-stage=output] canvas');
    return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data).join(',') === o;
  }, output, { timeout: 10 * SECONDS }).catch(() => {});
  assert.equal(await outputPixels(page), output, 'the output is the trained model\'s again');
  assert.deepEqual(errors, []);
});

test('Train more refuses a changed architecture and keeps the model', async () => {
  const { page, errors } = await open('?debug');
  await waitReady(page, /ready in/);
  const before = await page.evaluate(() => window.aevpDebug.evaluate());
  await page.fill('#cfg-latent_grid', '2');
  await page.waitForFunction(() => !document.getElementById('btn-more').disabled);
  await page.click('#btn-more');
  await page.waitForSelector('#error-banner:not([hidden])', { timeout: 30 * SECONDS });
  assert.match(await page.textContent('#error-text'), /Train more keeps this model and changes only how it trains: .*Press Train for a new model/);
  await page.waitForFunction(() => !document.getElementById('btn-train').disabled, null, { timeout: 10 * SECONDS });
  assert.equal((await page.evaluate(() => window.aevpDebug.evaluate())).loss, before.loss, 'the model changed');
  assert.deepEqual(errors, []);
});

test('a crashed engine is replaced and the last autosave restored', async () => {
  const { page, errors } = await open('?debug');
  await waitReady(page, /ready in/);
  await page.click('.preset[data-preset=mnist-1x1]');
  await waitReady(page, /single number: ready in/);
  await page.waitForTimeout(1500); // the autosave (debounced 0.6 s) lands
  const output = await outputPixels(page);
  await page.evaluate(() => window.aevpDebug.crash().catch(() => {}));
  await page.waitForFunction(() => /Engine restarted/.test(document.getElementById('status').textContent), null, { timeout: 60 * SECONDS });
  assert.match(await page.textContent('#error-text'), /^The engine stopped \(unreachable/);
  assert.equal((await page.textContent('#error-text')).match(/engine stopped/gi).length, 1, 'the message says it once');
  await page.waitForTimeout(800);
  assert.equal(await page.inputValue('#cfg-latent_grid'), '1');
  assert.equal(await outputPixels(page), output, 'the restored model reconstructs identically');
  // The new engine trains.
  await page.fill('#cfg-epochs', '1');
  await page.click('#btn-train');
  await page.waitForFunction(() => /batch \d+\//.test(document.getElementById('train-numbers').textContent), null, { timeout: 30 * SECONDS });
  await page.click('#btn-stop');
  await page.waitForFunction(() => !document.getElementById('btn-train').disabled);
  // A crash in the middle of a run: the progress bar and the run's numbers do not stay behind.
  await page.click('#btn-train');
  await page.waitForFunction(() => document.getElementById('train-bar').value > 0, null, { timeout: 30 * SECONDS });
  await page.evaluate(() => window.aevpDebug.crash().catch(() => {}));
  await page.waitForFunction(() => /Engine restarted/.test(document.getElementById('status').textContent), null, { timeout: 60 * SECONDS });
  await page.waitForFunction(() => !document.getElementById('btn-train').disabled, null, { timeout: 10 * SECONDS });
  assert.equal(await page.evaluate(() => document.getElementById('train-bar').value), 0, 'the bar is reset');
  assert.match(await page.textContent('#train-numbers'), /^The engine stopped during this run/);
  // The trap itself is reported by Chromium as the worker's error: that one is expected.
  assert.ok(errors.every((e) => /unreachable|RuntimeError/.test(e)), errors.join('\n'));
});
