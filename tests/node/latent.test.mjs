// latent.test.mjs — the latent explorer's engine side, through engine.js and the worker on the
// built WASM: the latent map and its PCA, t-SNE with progress and cancel, and the VAE's extra
// results (loss terms, sigma, the spread of the code).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { afterEach, test } from 'node:test';

import { distDir, nodeWorker } from './node-worker.mjs';

const { createEngine, EngineError } = await import(new URL('engine.js', distDir));
const PRESET = new URL('presets/mnist-3x3.safetensors', distDir);

const live = new Set();
afterEach(async () => {
  for (const engine of live) await engine.dispose().catch(() => {});
  live.clear();
});

async function engineWithPreset() {
  const engine = await createEngine({ worker: nodeWorker() });
  live.add(engine);
  await engine.loadDataset('mnist');
  await engine.load(new Uint8Array(readFileSync(PRESET)));
  return engine;
}

// The share of points whose k nearest neighbours (in `points`, n rows of dim) carry their label.
function knnAgreement(points, dim, labels, k = 10) {
  const n = labels.length;
  let agree = 0;
  for (let i = 0; i < n; i++) {
    const best = [];
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let d = 0;
      for (let c = 0; c < dim; c++) d += (points[i * dim + c] - points[j * dim + c]) ** 2;
      if (best.length < k || d < best.at(-1)[0]) {
        best.push([d, j]);
        best.sort((a, b) => a[0] - b[0]);
        if (best.length > k) best.pop();
      }
    }
    for (const [, j] of best) if (labels[j] === labels[i]) agree++;
  }
  return agree / (n * k);
}

test('the latent map encodes the test images and its PCA projects them', async () => {
  const engine = await engineWithPreset();
  const map = await engine.latentMap({ count: 2000 });
  assert.equal(map.count, 2000);
  assert.equal(map.dim, 9);
  assert.equal(map.latents.length, 2000 * 9);
  assert.equal(map.labels.length, 2000);
  // The same codes as encode() gives for the same images.
  const { images } = await engine.testImages({ count: 3, offset: 0 });
  const { latents } = await engine.encode(images);
  for (let i = 0; i < latents.length; i++) assert.ok(Math.abs(latents[i] - map.latents[i]) < 1e-5);
  // proj = (z - mean) . axes, axes orthonormal, variances in decreasing order and equal to the
  // variance of the projections.
  const { mean, components, variance, proj } = map.pca;
  assert.equal(components.length, 2 * 9);
  assert.ok(variance[0] >= variance[1] && variance[1] > 0);
  const dot = (a, b) => a.reduce((s, v, i) => s + v * b[i], 0);
  const [u, v] = [components.subarray(0, 9), components.subarray(9)];
  assert.ok(Math.abs(dot(u, u) - 1) < 1e-4 && Math.abs(dot(v, v) - 1) < 1e-4 && Math.abs(dot(u, v)) < 1e-4);
  let worst = 0, sq = [0, 0];
  for (let i = 0; i < map.count; i++)
    for (let k = 0; k < 2; k++) {
      let p = 0;
      for (let j = 0; j < 9; j++) p += (map.latents[i * 9 + j] - mean[j]) * components[k * 9 + j];
      worst = Math.max(worst, Math.abs(p - proj[i * 2 + k]));
      sq[k] += proj[i * 2 + k] ** 2;
    }
  assert.ok(worst < 1e-3, `projections differ from (z - mean) . axes by ${worst}`);
  for (let k = 0; k < 2; k++) {
    const observed = sq[k] / map.count;
    assert.ok(Math.abs(observed - variance[k]) / variance[k] < 0.01, `axis ${k}: variance ${variance[k]}, projections ${observed}`);
  }
  // PCA's first axis holds at least as much variance as any single unit.
  assert.ok(variance[0] >= Math.max(...Array.from(map.stats.std, (s) => s * s)) * 0.999);
  console.log(`  PCA of 2,000 codes of 9 numbers in the worker: ${map.pcaMs.toFixed(2)} ms`);
  for (const count of [1, 10001, 2.5])
    await assert.rejects(engine.latentMap({ count }), (e) => e instanceof EngineError && /the latent map takes 2\.\.10000 test images/.test(e.message));
});

test('t-SNE reports progress, keeps MNIST neighbourhoods and can be cancelled', async () => {
  const engine = await engineWithPreset();
  const map = await engine.latentMap({ count: 1000 });
  const events = [];
  const t0 = performance.now();
  const result = await engine.tsne(map.latents, map.dim, { onProgress: (e) => events.push(e) });
  const ms = performance.now() - t0;
  assert.equal(result.embedding.length, 2000);
  assert.ok(result.embedding.every(Number.isFinite));
  assert.ok(events.length >= 2, `${events.length} progress events`);
  assert.ok(events.every((e) => e.kind === 'tsne' && e.embedding.length === 2000 && e.done < e.total));
  assert.ok(events.every((e, i) => i === 0 || e.done > events[i - 1].done), 'progress moves forward');
  // t-SNE keeps neighbourhoods: the labels of each point's 10 nearest neighbours agree about as
  // often in the 2-D embedding as in the 9-D codes themselves (at least 90% as often).
  const inCodes = knnAgreement(map.latents, map.dim, map.labels);
  const inMap = knnAgreement(result.embedding, 2, map.labels);
  console.log(`  t-SNE of 1,000 codes: ${result.iterations} iterations in ${ms.toFixed(0)} ms; 10-NN label agreement ${inMap.toFixed(3)} in 2-D, ${inCodes.toFixed(3)} in the codes`);
  assert.ok(inMap >= 0.9 * inCodes, `10-NN agreement ${inMap} in the embedding, ${inCodes} in the codes`);
  // Cancel after the first progress event; the engine goes on answering.
  let cancelled = false;
  const run = engine.tsne(map.latents, map.dim, {
    onProgress: () => { if (!cancelled) { cancelled = true; engine.cancelTsne(); } },
  });
  await assert.rejects(run, (e) => e instanceof EngineError && e.code === 'cancelled');
  const { output } = await engine.trace(new Float32Array(784));
  assert.equal(output.length, 784);
  await assert.rejects(engine.tsne(map.latents.subarray(0, 9 * 5), 9), /perplexity/);
});

test('a trace is answered while t-SNE runs', async () => {
  const engine = await engineWithPreset();
  const map = await engine.latentMap({ count: 2000 });
  let first;
  const started = new Promise((resolve) => { first = resolve; });
  const run = engine.tsne(map.latents, map.dim, { onProgress: () => first() });
  await started;
  const t0 = performance.now();
  await engine.trace(new Float32Array(784));
  const waited = performance.now() - t0;
  console.log(`  a trace during t-SNE was answered in ${waited.toFixed(0)} ms`);
  assert.ok(waited < 1000);
  await engine.cancelTsne();
  await assert.rejects(run, /cancelled/);
});

test('a VAE reports its two loss terms, the spread of its codes and sigma per trace', async () => {
  const engine = await createEngine({ worker: nodeWorker() });
  live.add(engine);
  await engine.loadDataset('mnist');
  const model = await engine.configure({ variational: true, beta: 1, latent_grid: 2, batch_size: 64 });
  assert.equal(model.config.variational, true);
  const batches = [];
  const { history } = await engine.train({ epochs: 2, limit: 64 * 60, onProgress: (e) => { if (e.kind === 'batch') batches.push(e); } });
  assert.ok(batches.length > 0 && batches.every((e) => e.recon > 0 && e.kl >= 0));
  const last = batches.at(-1);
  // loss = recon + beta * KL / pixels
  assert.ok(Math.abs(last.loss - (last.recon + last.kl / 784)) < 1e-4 * last.loss, JSON.stringify(last));
  const [, second] = history;
  assert.ok(second.valKl > 0 && second.valRecon > 0);
  assert.ok(Math.abs(second.valLoss - (second.valRecon + second.valKl / 784)) < 1e-6);
  console.log(`  VAE, 2 short epochs: reconstruction ${second.valRecon.toFixed(4)}, KL ${second.valKl.toFixed(2)} nats per image`);
  const { images } = await engine.testImages({ count: 1, offset: 0 });
  const trace = await engine.trace(images);
  assert.equal(trace.sigma.length, 4);
  assert.ok(trace.sigma.every((s) => s > 0 && Number.isFinite(s)));
  const map = await engine.latentMap({ count: 500 });
  assert.equal(map.stats.sigmaMean.length, 4);
  // A plain autoencoder has no sigma.
  await engine.configure({});
  assert.equal((await engine.trace(images)).sigma, null);
});
