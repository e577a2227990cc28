// engine.test.mjs — engine.js and the worker against the built WASM (dist/), in Node worker
// threads: training on real MNIST, errors, stage shapes, pause/resume/stop, and heap leaks.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';

import { distDir, nodeWorker } from './node-worker.mjs';

const { createEngine, EngineError } = await import(new URL('engine.js', distDir));

// Every engine a test makes is disposed when the test ends, pass or fail: a live worker thread
// would otherwise keep Node running until the file's timeout.
const live = new Set();
afterEach(async () => {
  for (const engine of live) await engine.dispose().catch(() => {});
  live.clear();
});

async function newEngine() {
  const engine = await createEngine({ worker: nodeWorker() });
  live.add(engine);
  return engine;
}

async function engineWithMnist() {
  const engine = await newEngine();
  await engine.loadDataset('mnist');
  return engine;
}

test('loadDataset reports download progress and describes MNIST', async () => {
  const engine = await newEngine();
  const events = [];
  const info = await engine.loadDataset('mnist', { onProgress: (e) => events.push(e) });
  assert.equal(info.name, 'mnist');
  assert.equal(info.train, 60000);
  assert.equal(info.test, 10000);
  assert.deepEqual(info.shape, [28, 28, 1]);
  assert.equal(info.classes.length, 10);
  assert.ok(events.length > 0 && events.every((e) => e.kind === 'download'));
  const last = events.at(-1);
  assert.equal(last.loaded, last.total, 'the last download event has every byte');
  const heap = await engine.heap();
  console.log(`  WASM heap with MNIST loaded: ${(heap.bytes / 2 ** 20).toFixed(0)} MiB, ${(heap.used / 2 ** 20).toFixed(1)} MiB in use`);
  await assert.rejects(engine.loadDataset('cifar'), (e) => e instanceof EngineError && /unknown data set "cifar"/.test(e.message));
  await engine.dispose();
});

test('configure fills defaults; a bad config is an EngineError naming the field and keeps the model', async () => {
  const engine = await newEngine();
  const model = await engine.configure({ latent_grid: 2 });
  assert.equal(model.config.latent_grid, 2);
  assert.deepEqual(model.config.filters, [16, 8]);
  assert.equal(model.latentDim, 4);
  assert.ok(model.params > 0 && model.flopsPerSample > 0);
  await assert.rejects(engine.configure({ latent_grid: 12 }), (e) =>
    e instanceof EngineError && e.code === 'config' && e.message === 'config: latent_grid must be 1..8 (got 12)');
  await assert.rejects(engine.configure({ activation: 'swish' }), /activation must be one of/);
  // The earlier model still answers.
  const { latent } = await engine.trace(new Float32Array(784).fill(0.5));
  assert.equal(latent.length, 4);
  await engine.dispose();
});

test('trace returns every stage with its shape', async () => {
  const engine = await newEngine();
  await engine.configure({ filters: [6, 5], latent_grid: 3 });
  const result = await engine.trace(new Float32Array(784).map((_, i) => (i % 7) / 7));
  const want = [['conv1', [14, 14, 6]], ['conv2', [7, 7, 5]], ['latent', [3, 3, 1]], ['dense', [7, 7, 5]],
                ['convT1', [14, 14, 5]], ['convT2', [28, 28, 6]], ['output', [28, 28, 1]]];
  assert.deepEqual(result.stages.map((s) => [s.name, s.shape]), want);
  for (const s of result.stages) assert.equal(s.data.length, s.shape[0] * s.shape[1] * s.shape[2], s.name);
  assert.equal(result.latent.length, 9);
  assert.ok(result.output.every((v) => v >= 0 && v <= 1));
  const decoded = await engine.decode(result.latent);
  assert.deepEqual(Array.from(decoded.images), Array.from(result.output), 'decode(latent of trace) == trace output');
  assert.deepEqual(decoded.stages.map((s) => s.name), ['latent', 'dense', 'convT1', 'convT2', 'output']);
  await assert.rejects(engine.trace(new Float32Array(10)), /image must be a Float32Array of 784 values/);
  await engine.dispose();
});

test('200 steps on real MNIST lower the loss', async () => {
  const engine = await engineWithMnist();
  await engine.configure({ batch_size: 32, seed: 4 });
  const before = await engine.evaluate({ limit: 1000 });
  const losses = [];
  let runPromise;
  const stopAt200 = new Promise((resolve) => {
    runPromise = engine.train({
      epochs: 1,
      onProgress: (e) => {
        if (e.kind !== 'batch') return;
        losses.push(e.loss);
        if (e.step >= 200) resolve();
      },
    });
  });
  await stopAt200;
  await engine.stop();
  const result = await runPromise;
  const after = await engine.evaluate({ limit: 1000 });
  assert.equal(result.epochs, 0, 'a run stopped mid-epoch completes no epoch');
  assert.ok(result.samples >= 200 * 32);
  console.log(`  validation BCE on 1000 test images: ${before.loss.toFixed(4)} -> ${after.loss.toFixed(4)} after ${result.samples / 32} steps (${result.samplesPerSec.toFixed(0)} samples/s)`);
  assert.ok(after.loss < 0.5 * before.loss, `validation loss ${after.loss} not under half of ${before.loss}`);
  assert.ok(losses.at(-1) < losses[0], 'batch loss fell');
  await engine.dispose();
});

test('pause, resume and stop; requests are answered during training', async () => {
  const engine = await engineWithMnist();
  await engine.configure({ batch_size: 64 });
  let steps = 0;
  const run = engine.train({ epochs: 2, onProgress: (e) => { if (e.kind === 'batch') steps = e.step; } });
  await new Promise((r) => setTimeout(r, 300));
  const paused = await engine.pause();
  assert.equal(paused.paused, true);
  await new Promise((r) => setTimeout(r, 100));
  const at = steps;
  await new Promise((r) => setTimeout(r, 400));
  assert.ok(steps <= at + 1, `steps went on while paused: ${at} -> ${steps}`);
  const t0 = performance.now();
  const traced = await engine.trace(new Float32Array(784));
  assert.equal(traced.output.length, 784);
  assert.ok(performance.now() - t0 < 1000, 'trace answered while paused');
  await engine.resume();
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(steps > at, 'training went on after resume');
  const t1 = performance.now();
  await engine.trace(new Float32Array(784));
  console.log(`  a trace during training was answered in ${(performance.now() - t1).toFixed(0)} ms`);
  await engine.stop();
  const result = await run;
  assert.ok(result.epochs < 2, 'stop ended the run early');
  await assert.rejects(engine.train({ epochs: 0 }), /epochs must be an integer 1..1000/);
  await engine.dispose();
});

test('100 configure/dispose cycles and 10 epochs leave the heap where it was', async () => {
  const engine = await engineWithMnist();
  const start = await engine.heap();
  const cycles = async () => {
    for (let i = 0; i < 100; i++) {
      await engine.configure({ filters: [4 + (i % 13), 2 + (i % 7)], latent_grid: 1 + (i % 8), batch_size: 8 + i });
      await engine.trace(new Float32Array(784));
      await engine.disposeModel();
    }
    return engine.heap();
  };
  // WASM memory never shrinks: the first 100 cycles may grow it once for the largest model; the
  // next 100 must fit in what is there, and every cycle must give back all it allocated.
  const first = await cycles();
  assert.equal(first.used, start.used, `malloc'd bytes grew from ${start.used} to ${first.used} over 100 cycles`);
  const afterCycles = await cycles();
  assert.equal(afterCycles.used, start.used, `malloc'd bytes grew from ${start.used} to ${afterCycles.used} over 200 cycles`);
  assert.equal(afterCycles.bytes, first.bytes, `the WASM memory grew from ${first.bytes} to ${afterCycles.bytes} on the second 100 cycles`);
  await engine.configure({ batch_size: 64 });
  const { history } = await engine.train({ epochs: 10, limit: 640 });
  assert.equal(history.length, 10);
  await engine.disposeModel();
  const end = await engine.heap();
  assert.equal(end.used, start.used, `malloc'd bytes grew from ${start.used} to ${end.used} after 10 epochs`);
  assert.equal(end.bytes, first.bytes, 'the WASM memory grew during training');
  console.log(`  heap in use: ${start.used} bytes before, ${end.used} after 200 configure/dispose cycles and 10 epochs (memory ${start.bytes / 2 ** 20} -> ${end.bytes / 2 ** 20} MiB)`);
});

test('a limit trains on a subset; a bad limit is refused', async () => {
  const engine = await engineWithMnist();
  await engine.configure({ batch_size: 100 });
  const result = await engine.train({ epochs: 1, limit: 1000 });
  assert.equal(result.samples, 1000);
  await assert.rejects(engine.train({ epochs: 1, limit: 0 }), /limit must be an integer 1..60000/);
});

test('two workers train data-parallel to the weights of one, up to summation order', async () => {
  const one = await newEngine();
  const two = await createEngine({ workers: 2, workerFactory: nodeWorker });
  live.add(two);
  assert.equal(two.workers, 2);
  for (const engine of [one, two]) {
    await engine.loadDataset('mnist');
    await engine.configure({ batch_size: 64, seed: 11 });
  }
  const a = await one.train({ epochs: 1, limit: 64 * 40 });
  const b = await two.train({ epochs: 1, limit: 64 * 40 });
  assert.equal(b.history.length, 1);
  const [wa, wb] = [await one.getWeights(), await two.getWeights()];
  let worst = 0;
  for (let i = 0; i < wa.length; i++) worst = Math.max(worst, Math.abs(wa[i] - wb[i]) / (0.1 + Math.abs(wa[i])));
  console.log(`  40 steps: one worker ${a.samplesPerSec.toFixed(0)} samples/s, two ${b.samplesPerSec.toFixed(0)}; largest relative weight difference ${worst.toExponential(2)}`);
  assert.ok(worst < 1e-3, `the two-worker weights differ by ${worst}`);
  assert.ok(Math.abs(a.history[0].valLoss - b.history[0].valLoss) < 1e-3);
  // Pause and stop reach both replicas: the run ends and the engine answers.
  let steps = 0;
  const run = two.train({ epochs: 1, onProgress: (e) => { if (e.kind === 'batch') steps = e.step; } });
  await new Promise((r) => setTimeout(r, 400));
  await two.pause();
  await new Promise((r) => setTimeout(r, 200));
  const at = steps;
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(steps <= at + 1, 'steps went on while paused');
  await two.resume();
  await new Promise((r) => setTimeout(r, 200));
  await two.stop();
  const stopped = await run;
  assert.equal(stopped.epochs, 0);
  const again = await two.train({ epochs: 1, limit: 640 });
  assert.equal(again.epochs, 1, 'a run after a stopped one works (stale messages dropped)');
});

test('three and four workers pass gradients round a ring: the weights of one, replicas identical', async () => {
  const one = await newEngine();
  await one.loadDataset('mnist');
  await one.configure({ batch_size: 64, seed: 11 });
  const a = await one.train({ epochs: 1, limit: 64 * 40 });
  const wa = await one.getWeights();
  for (const workers of [3, 4]) {
    const many = await createEngine({ workers, workerFactory: nodeWorker });
    live.add(many);
    assert.equal(many.workers, workers);
    await many.loadDataset('mnist');
    await many.configure({ batch_size: 64, seed: 11 });
    const b = await many.train({ epochs: 1, limit: 64 * 40 });
    assert.equal(b.timing.length, workers);
    const replicas = await many.replicaWeights();
    for (const w of replicas.slice(1))
      assert.ok(w.every((v, i) => Object.is(v, replicas[0][i])), `${workers} workers: the replicas' weights differ`);
    let worst = 0;
    for (let i = 0; i < wa.length; i++) worst = Math.max(worst, Math.abs(wa[i] - replicas[0][i]) / (0.1 + Math.abs(wa[i])));
    console.log(`  ${workers} workers, 40 steps: ${b.samplesPerSec.toFixed(0)} samples/s (2 cores); largest relative weight difference to one worker ${worst.toExponential(2)}`);
    assert.ok(worst < 1e-3, `the ${workers}-worker weights differ by ${worst}`);
    assert.ok(Math.abs(a.history[0].valLoss - b.history[0].valLoss) < 1e-3);
    // A stop reaches every replica round the ring; a run after it works (stale messages dropped).
    const run = many.train({ epochs: 1 });
    await new Promise((r) => setTimeout(r, 400));
    await many.stop();
    assert.equal((await run).epochs, 0);
    const again = await many.train({ epochs: 1, limit: 640 });
    assert.equal(again.epochs, 1);
    // A diverging run pauses with every replica rolled back to the same weights.
    await many.trainFurther({ learning_rate: 10 });
    let diverged = null;
    const wild = many.train({ epochs: 1, onProgress: (e) => { if (e.kind === 'diverged') diverged = e; } });
    for (let i = 0; i < 100 && !diverged; i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(diverged, 'a learning rate of 10 diverges');
    await many.stop();
    await wild;
    const kept = await many.replicaWeights();
    assert.ok(kept[0].every(Number.isFinite), 'the weights kept are finite');
    for (const w of kept.slice(1)) assert.ok(w.every((v, i) => Object.is(v, kept[0][i])), 'the replicas rolled back alike');
  }
});
