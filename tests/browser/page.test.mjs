// page.test.mjs — the page end to end in headless Chromium, driven as a person would: load, train
// and stop, draw, move sliders, bad config values, Fashion-MNIST, screenshots, latency. Not the engine.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, test } from 'node:test';

import { launchChromium, openApp } from './chromium.mjs';

const SECONDS = 1000;
const ARTIFACTS = fileURLToPath(new URL('../../out/artifacts/', import.meta.url));
const OUTPUT = '.stage[data-stage=output] canvas';
const CONV1 = '.stage[data-stage=conv1] .tiles canvas';
const INPUT = '.stage[data-stage=input] canvas';
const SLIDERS = '.stage[data-stage=latent] .slider input[type=range]';
const TRAIN_SECONDS = 5;          // of training watched for long tasks
const LATENCY_MOVES = 30;

let browser, app, page;

before(async () => {
  browser = await launchChromium();
  app = await openApp(browser, { path: '' });
  page = app.page;
});

after(async () => {
  await app?.close();
  await browser?.close();
});

// Each test owns the errors reported while it ran (passed or failed): none may be left over.
afterEach(() => {
  assert.deepEqual(app?.errors.splice(0) ?? [], [], 'the page and its worker reported no errors');
});

// In the page: statistics of every canvas a selector matches, read back with getImageData.
// hash: FNV-1a over all pixels (changes when any pixel does); varied: canvases with more than one
// colour (a uniform canvas is blank); maxLevel: the brightest channel value seen.
function installCanvasProbe() {
  return page.evaluate(() => {
    window.aevpTestCanvas = (selector) => {
      let hash = 2166136261, varied = 0, maxLevel = 0;
      const canvases = document.querySelectorAll(selector);
      for (const canvas of canvases) {
        const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
        const first = (data[0] << 16) | (data[1] << 8) | data[2];
        let uniform = true;
        for (let i = 0; i < data.length; i += 4) {
          const rgb = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
          if (rgb !== first) uniform = false;
          maxLevel = Math.max(maxLevel, data[i], data[i + 1], data[i + 2]);
          hash = Math.imul(hash ^ rgb, 16777619) >>> 0;
        }
        if (!uniform) varied++;
      }
      return { count: canvases.length, varied, maxLevel, hash };
    };
  });
}

const canvasStats = (selector) => page.evaluate((s) => window.aevpTestCanvas(s), selector);

// Resolves once the canvases of `selector` differ from the `hash` seen before.
function canvasChange(selector, hash, timeout = 10 * SECONDS) {
  return page.waitForFunction(([s, h]) => window.aevpTestCanvas(s).hash !== h, [selector, hash], { timeout });
}

const text = (selector) => page.locator(selector).textContent();

// The batch number in the progress text, "epoch 1/5 · batch 37/938 · loss ...", or 0.
// Batches trained so far in the run, counted across epochs ("epoch 2/5 · batch 10/938" is 948):
// training is fast enough that an epoch can end within a test's few seconds.
async function batchShown() {
  const match = /epoch (\d+)\/\d+ · batch (\d+)\/(\d+)/.exec(await text('#train-numbers'));
  return match ? (Number(match[1]) - 1) * Number(match[3]) + Number(match[2]) : 0;
}

// Pixels of the loss chart in the training series' colour (#5cc8ff), within a small tolerance.
function lossChartInk() {
  return page.evaluate(() => {
    let ink = 0;
    for (const canvas of document.querySelectorAll('#loss-chart canvas')) {
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      for (let i = 0; i < data.length; i += 4)
        if (data[i + 3] > 200 && Math.abs(data[i] - 92) < 30 && Math.abs(data[i + 1] - 200) < 30 && Math.abs(data[i + 2] - 255) < 30) ink++;
    }
    return ink;
  });
}

async function drawStroke(points) {
  const box = await page.locator('#draw-host canvas.draw-canvas').boundingBox();
  assert.ok(box && box.width > 50, `the draw pad is on screen (${JSON.stringify(box)})`);
  const at = ([x, y]) => [box.x + x * box.width, box.y + y * box.height];
  await page.mouse.move(...at(points[0]));
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps: 6 });
  await page.mouse.up();
}

const median = (sorted) => sorted[Math.floor((sorted.length - 1) / 2)];
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];

test('loads, says MNIST is ready and draws the pipeline', { timeout: 60 * SECONDS }, async () => {
  assert.equal(await page.title(), 'AeVP — AutoEncoder Visualization Project');
  await page.waitForFunction(() => /ready/.test(document.getElementById('status').textContent), null, { timeout: 50 * SECONDS });
  // The data set's word or, already, the first-visit preset's.
  assert.match(await text('#status'), /^MNIST ready$|^MNIST, 3×3 latent: ready in \d+ ms$/);
  assert.match(await text('#classes'), /60,000 training and 10,000 test images of 10 classes/);
  await page.waitForSelector(OUTPUT);
  await installCanvasProbe();
  // start() draws a test image through the model; wait for the output to be painted.
  await page.waitForFunction((s) => window.aevpTestCanvas(s).maxLevel > 0, OUTPUT);
  for (const stage of ['input', 'conv1', 'conv2', 'latent', 'dense', 'convT1', 'convT2', 'output'])
    assert.equal(await page.locator(`.stage[data-stage=${stage}]`).count(), 1, `a ${stage} card`);
  const conv1 = await canvasStats(CONV1);
  assert.equal(conv1.count, 16, 'conv1 has one tile per filter (F1 = 16)');
  assert.ok(conv1.varied > 0, 'conv1 shows the test image');
  assert.equal(await page.locator(SLIDERS).count(), 9, 'a 3×3 latent grid has 9 sliders');
  assert.equal(await page.locator('#btn-train').isEnabled(), true);
  assert.equal(await page.locator('#error-banner').isHidden(), true);
});

test('an invalid learning rate is explained beside the field, in its label\'s words, and the disabled Train says why', { timeout: 30 * SECONDS }, async () => {
  const field = page.locator('#cfg-learning_rate');
  const err = page.locator('#cfg-learning_rate-err');
  const train = page.locator('#btn-train');
  const why = page.locator('#train-why');
  assert.equal(await why.isHidden(), true, 'no reason shown while Train is on');
  for (const [value, message] of [['0', /^Learning rate must be > 0 \(got 0\)$/], ['11', /^Learning rate must be 10 or less \(got 11\)$/]]) {
    await field.fill(value);
    assert.match(await err.textContent(), message, `learning rate ${value}`);
    assert.equal(await field.getAttribute('aria-invalid'), 'true');
    assert.equal(await train.isDisabled(), true, `Train is disabled with learning rate ${value}`);
    assert.equal(await why.isVisible(), true, 'the reason is shown beside Train');
    assert.equal(await why.textContent(), `Train is off: ${await err.textContent()}.`);
  }
  // Two bad fields: the first is named, the rest counted.
  const epochs = await page.inputValue('#cfg-epochs');
  await page.locator('#cfg-epochs').fill('0');
  assert.match(await why.textContent(), /^Train is off: Learning rate must be 10 or less \(got 11\) \(and 1 more above\)\.$/);
  assert.match(await page.locator('#cfg-epochs-err').textContent(), /^Epochs must be 1 or more/);
  await page.locator('#cfg-epochs').fill(epochs);
  // A number input takes no letters: typed "abc" leaves it empty, which the form must refuse too.
  await field.fill('');
  await field.pressSequentially('abc');
  const abcMessage = await err.textContent();
  assert.notEqual(abcMessage, '', `typed "abc": a message (value seen "${await field.inputValue()}")`);
  console.log(`  typed "abc" into the learning rate: "${abcMessage}"`);
  assert.equal(await train.isDisabled(), true, 'Train is disabled after typing "abc"');

  await field.fill('0.001');
  assert.equal(await err.textContent(), '');
  assert.equal(await field.getAttribute('aria-invalid'), 'false');
  await page.waitForFunction(() => !document.getElementById('btn-train').disabled);
  // The engine's own check (describe) must agree: Train stays enabled once it has answered.
  await page.waitForTimeout(300);
  assert.equal(await train.isEnabled(), true, 'Train is enabled again');
  assert.equal(await why.isHidden(), true, 'and the reason is gone');
});

test('drawing strokes drives conv1 and the output', { timeout: 30 * SECONDS }, async () => {
  await page.check('input[name=source][value=draw]');
  assert.equal(await page.locator('#draw-host').isVisible(), true);
  // The draw pad starts black: conv1 and the output show the model's answer to an empty image.
  await page.waitForFunction((s) => window.aevpTestCanvas(s).maxLevel === 0, INPUT, { timeout: 5 * SECONDS });
  const empty = { conv1: await canvasStats(CONV1), output: await canvasStats(OUTPUT) };

  await drawStroke([[0.5, 0.2], [0.5, 0.5], [0.52, 0.8]]);               // a "1"
  await canvasChange(OUTPUT, empty.output.hash);
  await canvasChange(CONV1, empty.conv1.hash);
  const one = { conv1: await canvasStats(CONV1), output: await canvasStats(OUTPUT), input: await canvasStats(INPUT) };
  assert.ok(one.input.maxLevel > 200, 'the input card shows the stroke');
  assert.ok(one.conv1.varied >= 4, `conv1 tiles are not blank (${one.conv1.varied}/16 vary)`);
  assert.equal(one.output.varied, 1, 'the output is not blank');

  await drawStroke([[0.25, 0.45], [0.5, 0.47], [0.75, 0.5]]);            // a crossbar: now a "+"
  await canvasChange(OUTPUT, one.output.hash);
  await canvasChange(CONV1, one.conv1.hash);
  const plus = { conv1: await canvasStats(CONV1), output: await canvasStats(OUTPUT) };
  assert.ok(plus.conv1.varied >= 4, `conv1 tiles are not blank (${plus.conv1.varied}/16 vary)`);
  assert.equal(plus.output.varied, 1, 'the output is not blank');
  console.log(`  conv1 tiles that vary: empty pad ${empty.conv1.varied}/16, "1" ${one.conv1.varied}/16, "+" ${plus.conv1.varied}/16`);
});

test('each slider shows the number that is decoded: no step grid between the encoder\'s code and the slider', { timeout: 30 * SECONDS }, async () => {
  const shown = await page.$$eval(SLIDERS, (inputs) => inputs.map((i) => ({
    value: i.value, out: i.closest('.slider').querySelector('output').textContent, step: i.step })));
  assert.equal(shown.length, 9);
  for (const [k, s] of shown.entries()) {
    assert.equal(s.step, 'any', `slider ${k + 1} snaps to a grid`);
    assert.equal(s.out, Number(s.value).toFixed(2), `slider ${k + 1} shows ${s.out} but holds ${s.value}`);
  }
  assert.ok(shown.some((s) => s.value.replace(/^-?\d*\.?/, '').length > 3), 'the code comes with its full precision');
});

test('moving a latent slider redraws the output', { timeout: 30 * SECONDS }, async () => {
  const slider = page.locator(SLIDERS).first();
  const before = await canvasStats(OUTPUT);
  const value = await slider.evaluate((input) => {
    input.value = Number(input.min) + 0.9 * (Number(input.max) - Number(input.min));
    input.dispatchEvent(new Event('input', { bubbles: true }));
    return input.value;
  });
  await canvasChange(OUTPUT, before.hash);
  assert.equal(await page.locator('.stage[data-stage=latent] .slider output').first().textContent(), Number(value).toFixed(2));
  // The keyboard moves it too.
  const moved = await canvasStats(OUTPUT);
  await slider.focus();
  for (let i = 0; i < 8; i++) await page.keyboard.press('ArrowLeft');
  await canvasChange(OUTPUT, moved.hash);
  assert.match(await text('#metric-cards'), /sliders moved/, 'the metrics say they no longer describe the input');
});

test('slider-to-frame latency (printed)', { timeout: 40 * SECONDS }, async () => {
  const { latencies, missed } = await page.evaluate(async ({ selector, output, moves }) => {
    const slider = document.querySelector(selector);
    const lo = Number(slider.min), hi = Number(slider.max);
    const latencies = [];
    let missed = 0, inputAt = 0;
    // A capturing listener on the document runs before the pipeline's own; timeStamp is when the event was made.
    document.addEventListener('input', (e) => { if (e.target === slider) inputAt = e.timeStamp; }, true);
    for (let i = 0; i < moves; i++) {
      const before = window.aevpTestCanvas(output).hash;
      const fraction = i % 2 ? 0.1 + 0.01 * i : 0.9 - 0.01 * i;
      slider.value = lo + fraction * (hi - lo);
      slider.dispatchEvent(new Event('input', { bubbles: true }));
      // The first animation frame that finds the output changed is the one that paints it.
      const frameAt = await new Promise((resolve) => {
        const deadline = performance.now() + 2000;
        const tick = () => {
          if (window.aevpTestCanvas(output).hash !== before) resolve(performance.now());
          else if (performance.now() > deadline) resolve(null);
          else requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      });
      if (frameAt === null) missed++;
      else latencies.push(frameAt - inputAt);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return { latencies, missed };
  }, { selector: SLIDERS, output: OUTPUT, moves: LATENCY_MOVES });
  const sorted = latencies.sort((a, b) => a - b);
  console.log(`  slider → frame over ${latencies.length} moves: median ${median(sorted).toFixed(1)} ms, ` +
              `p95 ${percentile(sorted, 0.95).toFixed(1)} ms, max ${sorted.at(-1).toFixed(1)} ms` +
              (missed ? `; ${missed} moves changed nothing within 2 s` : ''));
  assert.ok(latencies.length >= LATENCY_MOVES * 0.9, `most moves redraw the output (${missed} did not)`);
});

test('training through the UI: progress, loss chart, live maps, pause/resume, stop; long tasks (printed)',
  { timeout: 60 * SECONDS }, async () => {
    const train = page.locator('#btn-train'), pause = page.locator('#btn-pause'), stop = page.locator('#btn-stop');
    assert.equal(await pause.isDisabled(), true);
    assert.equal(await stop.isDisabled(), true);
    const before = { conv1: await canvasStats(CONV1), output: await canvasStats(OUTPUT) };
    await page.evaluate(() => {
      window.aevpTestLongTasks = [];
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) window.aevpTestLongTasks.push(entry.duration);
      }).observe({ type: 'longtask' });
    });
    // The observer works: an 80 ms task of our own is seen (and then forgotten). It runs from a
    // timer: a page.evaluate itself is not an event-loop task of the page.
    await page.evaluate(() => setTimeout(() => { const start = performance.now(); while (performance.now() - start < 80); }));
    await page.waitForFunction(() => window.aevpTestLongTasks.length > 0, null, { timeout: 5 * SECONDS });
    await page.evaluate(() => { window.aevpTestLongTasks.length = 0; });

    await train.click();
    await page.waitForFunction(() => /batch \d+\//.test(document.getElementById('train-numbers').textContent),
                               null, { timeout: 15 * SECONDS });
    const started = Date.now();
    assert.equal(await train.isDisabled(), true, 'Train is disabled while training');
    assert.equal(await page.locator('#cfg-learning_rate').isDisabled(), true, 'the form is locked while training');
    assert.equal(await page.locator('input[name=dataset][value=fashion]').isDisabled(), true);
    assert.match(await text('#status'), /Training/);
    await page.waitForTimeout(Math.max(0, TRAIN_SECONDS * SECONDS - (Date.now() - started)));
    const longTasks = await page.evaluate(() => window.aevpTestLongTasks.slice());
    const batches = await batchShown();
    assert.ok(batches >= 10, `some batches were trained (${batches})`);
    assert.ok(await lossChartInk() > 20, 'the loss chart draws the training loss');
    assert.notEqual((await canvasStats(CONV1)).hash, before.conv1.hash, 'conv1 maps follow the training model');
    assert.notEqual((await canvasStats(OUTPUT)).hash, before.output.hash, 'the output follows the training model');
    assert.ok(await page.locator('#train-bar').evaluate((bar) => bar.value) > 0, 'the progress bar moved');

    await pause.click();
    assert.equal(await pause.textContent(), 'Resume');
    await page.waitForFunction(() => document.getElementById('status').textContent === 'Paused');
    await page.waitForTimeout(300);    // a progress event already on its way may still land
    const pausedAt = await batchShown();
    await page.waitForTimeout(700);
    assert.equal(await batchShown(), pausedAt, 'no batches while paused');
    await pause.click();
    assert.equal(await pause.textContent(), 'Pause');
    await page.waitForFunction((b) => {
      const match = /epoch (\d+)\/\d+ · batch (\d+)\/(\d+)/.exec(document.getElementById('train-numbers').textContent);
      return match && (Number(match[1]) - 1) * Number(match[3]) + Number(match[2]) > b;
    }, pausedAt, { timeout: 5 * SECONDS });

    await stop.click();
    await page.waitForFunction(() => !document.getElementById('btn-train').disabled, null, { timeout: 10 * SECONDS });
    assert.equal(await pause.isDisabled(), true, 'Pause is disabled when idle');
    assert.equal(await stop.isDisabled(), true, 'Stop is disabled when idle');
    assert.equal(await pause.textContent(), 'Pause');
    assert.equal(await page.locator('#cfg-learning_rate').isEnabled(), true, 'the form is unlocked');
    assert.equal(await page.locator('#error-banner').isHidden(), true, 'stopping is not an error');
    const status = await text('#status');
    assert.doesNotMatch(status, /Training…|Paused/, `the status leaves training (${status})`);

    const longest = longTasks.length ? Math.max(...longTasks) : 0;
    console.log(`  trained ${batches} batches in the first ${TRAIN_SECONDS} s; ` +
                `long tasks on the main thread: ${longTasks.length}, longest ${longest.toFixed(0)} ms; ` +
                `status after Stop: "${status}"`);
    assert.ok(longest <= 200, `no main-thread task over 200 ms during training (longest ${longest.toFixed(0)} ms)`);
  });

test('screenshots: desktop 1440×1000 and phone 390×844, full page', { timeout: 30 * SECONDS }, async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.mouse.move(0, 0);  // no zoom tooltip over the maps
  for (const [name, viewport] of [['desktop', { width: 1440, height: 1000 }], ['phone', { width: 390, height: 844 }]]) {
    await page.setViewportSize(viewport);
    await page.waitForTimeout(300);   // the charts follow their hosts' size through a ResizeObserver
    const path = `${ARTIFACTS}page-${name}.png`;
    await page.screenshot({ path, fullPage: true });
    // Anything wider than the viewport makes the page scroll sideways; anything below the footer
    // leaves an empty band at the bottom.
    const overflow = await page.evaluate(() => {
      const width = document.documentElement.clientWidth;
      const footBottom = document.querySelector('.foot').getBoundingClientRect().bottom;
      const name = (el) => el.id ? `#${el.id}` : `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`;
      const shown = [...document.querySelectorAll('body *')].filter((el) => el.getClientRects().length);
      return {
        scrollWidth: document.documentElement.scrollWidth, scrollHeight: document.documentElement.scrollHeight, width,
        wide: shown.filter((el) => el.getBoundingClientRect().right > width + 1).map(name).slice(0, 8),
        low: shown.filter((el) => el.getBoundingClientRect().bottom > footBottom + 1).map(name).slice(0, 8),
      };
    });
    console.log(`  ${path}: page ${overflow.scrollWidth}×${overflow.scrollHeight} px, viewport ${overflow.width} px wide` +
                (overflow.wide.length ? `; past the right edge: ${overflow.wide.join(', ')}` : '') +
                (overflow.low.length ? `; below the footer: ${overflow.low.join(', ')}` : ''));
  }
  await page.setViewportSize({ width: 1280, height: 720 });
});

test('switching to Fashion-MNIST shows its classes and a test image', { timeout: 60 * SECONDS }, async () => {
  await page.check('input[name=dataset][value=fashion]');
  await page.waitForFunction(() => document.getElementById('status').textContent === 'Fashion-MNIST ready',
                             null, { timeout: 50 * SECONDS });
  assert.match(await text('#classes'), /Ankle boot/);
  assert.match(await text('#classes'), /T-shirt\/top/);
  assert.ok(await page.locator('#class-select option', { hasText: 'Ankle boot' }).count() === 1, 'the class menu lists Fashion classes');

  const before = await canvasStats(INPUT);
  await page.check('input[name=source][value=test]');
  assert.equal(await page.locator('#test-host').isVisible(), true);
  const classes = (await text('#classes')).replace(/^.*classes: /, '').replace(/\.$/, '').split(', ');
  // The caption of the MNIST image may still be up for a moment: wait for the new one, then check it.
  await page.waitForFunction((names) => {
    const caption = document.getElementById('test-caption').textContent;
    return /label: /.test(caption) && names.includes(caption.replace(/^.*label: /, ''));
  }, classes, { timeout: 10 * SECONDS }).catch(() => {});
  const caption = await text('#test-caption');
  assert.ok(classes.includes(caption.replace(/^.*label: /, '')), `the caption names a Fashion class: "${caption}"`);
  await canvasChange(INPUT, before.hash);
  assert.ok((await canvasStats(INPUT)).maxLevel > 100, 'the input card shows the test image');

  // Picking a class shows an image of that class.
  await page.selectOption('#class-select', { label: 'Ankle boot' });
  await page.waitForFunction(() => /label: Ankle boot$/.test(document.getElementById('test-caption').textContent));
});

test('two quick clicks on the data sets: the last one chosen is the one loaded, nothing else reported', { timeout: 60 * SECONDS }, async () => {
  // Fashion-MNIST is loaded (the test above). MNIST takes a while to load again; Fashion-MNIST,
  // chosen right after it, is at hand. The MNIST load must neither win late nor report anything.
  await page.click('input[name=dataset][value=mnist]');
  await page.click('input[name=dataset][value=fashion]');
  await page.waitForFunction(() => document.getElementById('status').textContent === 'Fashion-MNIST ready', null, { timeout: 50 * SECONDS });
  await page.waitForTimeout(3 * SECONDS);     // longer than an MNIST load from the browser's cache
  assert.equal(await text('#status'), 'Fashion-MNIST ready');
  assert.equal(await page.isChecked('input[name=dataset][value=fashion]'), true);
  assert.match(await text('#classes'), /Ankle boot/);
  assert.equal(await page.locator('#download').isHidden(), true, 'no download bar is left up');
});
