// projection.test.mjs — the PCA and t-SNE wrappers of core.js on the built aevp.wasm (dist/), in
// Node: results copied out, errors as EngineErrors, no heap left behind, and timings (printed only).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';

const distDir = new URL('../../dist/', import.meta.url);
const { loadCore, EngineError } = await import(new URL('core.js', distDir));
const core = await loadCore(await readFile(new URL('aevp.wasm', distDir)));

// A seeded uniform generator (mulberry32) and Gaussian (Box-Muller): the same data every run.
function random(seed) {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, gaussian };
}

// n points in d dimensions around `clusters` centres 8 apart (the origin and 8 e_i), unit noise.
function clustered(n, d, clusters, seed) {
  const { gaussian } = random(seed);
  const x = new Float32Array(n * d), labels = new Int32Array(n);
  for (let p = 0; p < n; p++) {
    labels[p] = p % clusters;
    for (let j = 0; j < d; j++) x[p * d + j] = (labels[p] > 0 && j === labels[p] - 1 ? 8 : 0) + gaussian();
  }
  return { x, labels };
}

// Mean fraction of each point's k nearest neighbours (2-D) that share its label.
function knnAgreement(y, labels, k) {
  const n = labels.length;
  let total = 0;
  const d2 = new Float64Array(n), order = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      d2[j] = (y[2 * i] - y[2 * j]) ** 2 + (y[2 * i + 1] - y[2 * j + 1]) ** 2;
      order[j] = j;
    }
    d2[i] = Infinity;
    const nearest = Array.from(order).sort((a, b) => d2[a] - d2[b]).slice(0, k);
    total += nearest.filter((j) => labels[j] === labels[i]).length / k;
  }
  return total / n;
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

test('pca: a known line, copied-out results, errors and no leak', () => {
  const before = core.heapUsed();
  // Points t * (0.6, 0.8) + (1, 2) for t = -2..2: one axis, variance mean(t^2) = 2.
  const x = new Float32Array([-2, -1, 0, 1, 2].flatMap((t) => [1 + 0.6 * t, 2 + 0.8 * t]));
  const { mean, components, variance, proj } = core.pca(x, 5, 2, 2);
  assert.ok(mean instanceof Float32Array && components instanceof Float32Array);
  assert.deepEqual([mean.length, components.length, variance.length, proj.length], [2, 4, 2, 10]);
  assert.ok(Math.abs(mean[0] - 1) < 1e-6 && Math.abs(mean[1] - 2) < 1e-6, `mean ${mean}`);
  assert.ok(Math.abs(components[0] - 0.6) < 1e-6 && Math.abs(components[1] - 0.8) < 1e-6, `axis ${components}`);
  assert.ok(Math.abs(variance[0] - 2) < 1e-5 && Math.abs(variance[1]) < 1e-6, `variance ${variance}`);
  for (let p = 0; p < 5; p++) assert.ok(Math.abs(proj[2 * p] - (p - 2)) < 1e-5, `projection ${p}: ${proj[2 * p]}`);

  assert.throws(() => core.pca(x, 5, 2, 3), (e) => e instanceof EngineError && e.code === 'arg' && /k must be 1\.\.d = 2 \(got 3\)/.test(e.message));
  assert.throws(() => core.pca(x, 4, 2, 1), (e) => e instanceof EngineError && e.code === 'arg' && /n \* d = 8/.test(e.message));
  assert.throws(() => core.pca(new Float32Array([1, NaN]), 1, 2, 1), (e) => e instanceof EngineError && e.code === 'data' && /NaN/.test(e.message));
  assert.throws(() => core.pca(new Float32Array(257), 1, 257, 1), (e) => e instanceof EngineError && e.code === 'arg' && /d must be 1\.\.256/.test(e.message));
  assert.equal(core.heapUsed(), before, 'pca leaves nothing allocated, on success or failure');
});

test('pca timing: 10,000 latents of 9 and 64 (printed, not asserted)', () => {
  for (const d of [9, 64]) {
    const { gaussian } = random(d);
    const x = Float32Array.from({ length: 10000 * d }, gaussian);
    const times = [];
    for (let r = 0; r < 5; r++) {
      const t0 = performance.now();
      const { proj } = core.pca(x, 10000, d, 2);
      times.push(performance.now() - t0);
      assert.equal(proj.length, 20000);
    }
    console.log(`  pca of 10,000 x ${d}, k = 2, with copies in and out: median of 5 ${median(times).toFixed(1)} ms`);
  }
});

test('Tsne: 2,000 clustered points in slices keep the clusters apart; timing printed', () => {
  const before = core.heapUsed();
  const { x, labels } = clustered(2000, 9, 10, 7);
  const t0 = performance.now();
  const tsne = new core.Tsne(x, 2000, 9, 30, 1);
  const t1 = performance.now();
  assert.equal(tsne.total, 1000);
  let done = 0, slices = 0, slowest = 0;
  while (done < tsne.total) {
    // Slices of 25 iterations, as the worker runs them between progress reports.
    const s0 = performance.now();
    const now = tsne.run(25);
    slowest = Math.max(slowest, performance.now() - s0);
    assert.ok(now > done, `a slice advanced from ${done} to ${now}`);
    done = now;
    slices++;
  }
  const t2 = performance.now();
  assert.equal(tsne.run(25), 1000, 'nothing runs past the total');
  const y = tsne.embedding();
  assert.ok(y instanceof Float32Array && y.length === 4000 && y.every(Number.isFinite));
  tsne.destroy();
  tsne.destroy();
  console.log(`  t-SNE of 2,000 x 9 (perplexity 30): create ${(t1 - t0).toFixed(0)} ms, 1000 iterations ${(t2 - t1).toFixed(0)} ms in ${slices} slices (slowest slice of 25: ${slowest.toFixed(1)} ms)`);
  const agreement = knnAgreement(y, labels, 10);
  console.log(`  10-NN label agreement of the embedding: ${agreement.toFixed(4)}`);
  assert.ok(agreement >= 0.95, `10-NN label agreement ${agreement} < 0.95: clusters merged`);
  assert.throws(() => tsne.run(1), (e) => e instanceof EngineError && e.code === 'state');
  assert.throws(() => tsne.embedding(), (e) => e instanceof EngineError && e.code === 'state');
  assert.equal(core.heapUsed(), before, 'a destroyed t-SNE leaves nothing allocated');
});

test('Tsne: errors are EngineErrors with the rule, and leave no heap behind', () => {
  const before = core.heapUsed();
  const { x } = clustered(100, 3, 2, 1);
  assert.throws(() => new core.Tsne(x, 100, 3, 40, 1),
    (e) => e instanceof EngineError && e.code === 'arg' && /perplexity must be >= 2 and < \(n - 1\) \/ 3 = 33/.test(e.message));
  assert.throws(() => new core.Tsne(x, 100, 3, 5, -1), (e) => e instanceof EngineError && e.code === 'arg' && /seed/.test(e.message));
  assert.throws(() => new core.Tsne(x, 99, 3, 5, 1), (e) => e instanceof EngineError && e.code === 'arg');
  const bad = x.slice();
  bad[5] = Infinity;
  assert.throws(() => new core.Tsne(bad, 100, 3, 5, 1), (e) => e instanceof EngineError && e.code === 'data' && /infinite/.test(e.message));
  const tsne = new core.Tsne(x, 100, 3, 5, 1);
  assert.throws(() => tsne.run(-1), (e) => e instanceof EngineError && e.code === 'arg' && /iterations must be >= 0/.test(e.message));
  const a = tsne.embedding();
  assert.equal(tsne.run(10), 10);
  assert.notDeepEqual(tsne.embedding(), a, 'the copy taken before the run is not a live view');
  tsne.destroy();
  assert.equal(core.heapUsed(), before);
});
