// engine.test.mjs — engine.js, the worker and both WASM builds from dist/ in headless Chromium:
// MNIST download, one full training epoch, pause/resume/stop, a trace during training, and the
// plain build beside the relaxed one. Not the UI.
import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';

import { launchChromium, openApp } from './chromium.mjs';

const MINUTES = 60_000;
let browser, app;

before(async () => {
  browser = await launchChromium();
  app = await openApp(browser);
});

after(async () => {
  await app?.close();
  await browser?.close();
});

afterEach(() => {
  assert.deepEqual(app.errors, [], 'the page and its worker reported no errors');
});

// Makes sure the page has window.enginePromise: an engine with MNIST loaded. The first test makes
// it while watching the download; the later ones reuse it, or make one if that test failed.
function ensureEngineInPage() {
  return app.page.evaluate(() => {
    window.enginePromise ??= import('./engine.js').then(async ({ createEngine }) => {
      const engine = await createEngine();
      await engine.loadDataset('mnist');
      return engine;
    });
  });
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length % 2 ? sorted[sorted.length >> 1] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
};

test('loadDataset downloads MNIST in the page with byte progress', { timeout: 2 * MINUTES }, async () => {
  const { info, events, heap } = await app.page.evaluate(async () => {
    const { createEngine } = await import('./engine.js');
    const engine = await createEngine();
    const events = [];
    const info = await engine.loadDataset('mnist', { onProgress: (e) => events.push(e) });
    window.enginePromise = Promise.resolve(engine);
    return { info, events, heap: await engine.heap() };
  });
  assert.equal(info.train, 60000);
  assert.equal(info.test, 10000);
  assert.deepEqual(info.shape, [28, 28, 1]);
  assert.ok(events.length > 0 && events.every((e) => e.kind === 'download' && e.dataset === 'mnist'));
  for (let i = 1; i < events.length; i++) assert.ok(events[i].loaded >= events[i - 1].loaded, 'loaded never falls');
  const last = events.at(-1);
  assert.ok(last.total > 0);
  assert.equal(last.loaded, last.total, 'the last download event has every byte');
  console.log(`  ${events.length} download events, ${(last.total / 2 ** 20).toFixed(1)} MiB gzip'd; ` +
              `WASM heap ${(heap.bytes / 2 ** 20).toFixed(0)} MiB, ${(heap.used / 2 ** 20).toFixed(1)} MiB in use`);
});

test('one epoch on the 60,000 MNIST images, with progress about every 100 ms', { timeout: 10 * MINUTES }, async () => {
  await ensureEngineInPage();
  const { model, result, batches, epochs, gaps } = await app.page.evaluate(async () => {
    const engine = await window.enginePromise;
    const model = await engine.configure({});
    const batches = [], epochs = [], arrivals = [];
    const result = await engine.train({
      epochs: 1,
      onProgress: (e) => {
        if (e.kind === 'batch') { batches.push(e); arrivals.push(performance.now()); }
        if (e.kind === 'epoch') epochs.push(e);
      },
    });
    const gaps = arrivals.slice(1).map((t, i) => t - arrivals[i]);
    return { model, result, batches, epochs, gaps };
  });

  assert.equal(result.epochs, 1);
  assert.equal(result.samples, 60000);
  assert.ok(batches.length > 10, `only ${batches.length} batch events`);
  assert.ok(batches.every((e) => e.epoch === 1 && e.batches === Math.ceil(60000 / model.config.batch_size)));
  assert.equal(batches.at(-1).batch, batches.at(-1).batches, 'the last batch event is the last batch');
  const gap = median(gaps);
  assert.ok(gap >= 50 && gap <= 300, `median gap between batch events ${gap.toFixed(0)} ms, not 50..300`);

  assert.equal(epochs.length, 1);
  const [epoch] = epochs;
  for (const key of ['trainLoss', 'valLoss', 'mse', 'psnr', 'ssim', 'seconds'])
    assert.ok(Number.isFinite(epoch[key]), `epoch.${key} is ${epoch[key]}`);
  assert.ok(epoch.valLoss < 0.20, `validation BCE ${epoch.valLoss} not under 0.20`);
  assert.ok(epoch.ssim > 0 && epoch.ssim <= 1 && epoch.psnr > 0);
  assert.deepEqual(result.history, epochs.map(({ type, kind, ...record }) => record));

  console.log(`  ${result.samplesPerSec.toFixed(0)} samples/s (${(result.samplesPerSec * model.flopsPerSample / 1e9).toFixed(2)} GFLOP/s), ` +
              `epoch ${epoch.seconds.toFixed(1)} s with evaluation; train BCE ${epoch.trainLoss.toFixed(4)}, ` +
              `val BCE ${epoch.valLoss.toFixed(4)}, PSNR ${epoch.psnr.toFixed(2)} dB, SSIM ${epoch.ssim.toFixed(4)}; ` +
              `${batches.length} batch events, median gap ${gap.toFixed(0)} ms`);
});

test('pause, resume and stop during training; a trace is answered within 200 ms', { timeout: 5 * MINUTES }, async () => {
  await ensureEngineInPage();
  const r = await app.page.evaluate(async () => {
    const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    const engine = await window.enginePromise;
    await engine.configure({});
    let step = 0;
    const run = engine.train({ epochs: 2, onProgress: (e) => { if (e.kind === 'batch') step = e.step; } });
    await sleep(500);
    const startedStep = step;
    const paused = await engine.pause();
    await sleep(150);
    const pausedAt = step;
    await sleep(500);
    const afterPause = step;
    const resumed = await engine.resume();
    await sleep(500);
    const afterResume = step;
    const latencies = [];
    const image = new Float32Array(784).fill(0.5);
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const traced = await engine.trace(image);
      latencies.push(performance.now() - t0);
      if (traced.output.length !== 784) throw new Error(`trace output has ${traced.output.length} values`);
      await sleep(100);
    }
    const t1 = performance.now();
    const stopped = await engine.stop();
    const result = await run;
    const stopMs = performance.now() - t1;
    const stepsAfterStop = step;
    await sleep(300);
    const idle = await engine.pause(); // no run: {running: false}
    await engine.dispose();
    window.enginePromise = null;
    return { startedStep, paused, pausedAt, afterPause, resumed, afterResume, latencies, stopped, result,
             stopMs, stepsAfterStop, stepAtEnd: step, idle };
  });

  assert.ok(r.startedStep > 0, 'training had started');
  assert.deepEqual(r.paused, { running: true, paused: true, stopping: false });
  assert.ok(r.afterPause <= r.pausedAt + 1, `steps went on while paused: ${r.pausedAt} -> ${r.afterPause}`);
  assert.deepEqual(r.resumed, { running: true, paused: false, stopping: false });
  assert.ok(r.afterResume > r.afterPause, 'training went on after resume');
  assert.equal(r.stopped.stopping, true);
  assert.equal(r.result.epochs, 0, 'stopped mid-epoch: no epoch completed, no evaluation');
  assert.ok(r.result.samples > 0 && r.result.samplesPerSec > 0);
  assert.equal(r.stepAtEnd, r.stepsAfterStop, 'no progress after the run ended');
  assert.deepEqual(r.idle, { running: false });
  const worst = Math.max(...r.latencies);
  console.log(`  trace during training answered in ${r.latencies.map((ms) => ms.toFixed(0)).join(', ')} ms; ` +
              `stop took ${r.stopMs.toFixed(0)} ms; ${r.result.samples} samples at ${r.result.samplesPerSec.toFixed(0)} samples/s`);
  assert.ok(worst < 200, `a trace during training took ${worst.toFixed(0)} ms`);
});

test('Chromium runs the relaxed-SIMD build by default and the plain one when asked; they train alike', { timeout: 5 * MINUTES }, async () => {
  const runs = await app.page.evaluate(async () => {
    const { createEngine } = await import('./engine.js');
    const out = {};
    for (const simd of ['auto', 'plain']) {
      const engine = await createEngine({ simd });
      await engine.loadDataset('mnist');
      await engine.configure({ seed: 5, batch_size: 32, filters: [8, 8], res_blocks: 1 });
      const result = await engine.train({ epochs: 1, limit: 32 * 40 });
      out[simd] = { build: engine.build, valLoss: result.history[0].valLoss, rate: result.samplesPerSec };
      await engine.dispose();
    }
    return out;
  });
  assert.equal(runs.auto.build, 'relaxed');
  assert.equal(runs.plain.build, 'plain');
  console.log(`  40 steps: val loss relaxed ${runs.auto.valLoss.toPrecision(9)} (${runs.auto.rate.toFixed(0)} samples/s), ` +
              `plain ${runs.plain.valLoss.toPrecision(9)} (${runs.plain.rate.toFixed(0)} samples/s)`);
  assert.ok(Math.abs(runs.auto.valLoss - runs.plain.valLoss) < 2e-3 * runs.plain.valLoss);
});
