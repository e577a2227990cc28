// probe.test.mjs — weights that are finite but absurd (±3e38: a hostile link, a damaged file) are
// refused before they replace a model: the forward pass of a probe batch must stay finite. The
// engine and its worker in a Node worker thread, against the built WASM (dist/).
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';

import { distDir, nodeWorker } from './node-worker.mjs';

const { createEngine } = await import(new URL('engine.js', distDir));

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

// A model file's tensors rewritten: every float becomes f(old, index).
function rewriteTensors(bytes, f) {
  const out = new Uint8Array(bytes);
  const view = new DataView(out.buffer);
  const n = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(out.subarray(8, 8 + n)));
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__' || t.dtype !== 'F32') continue;
    for (let o = t.data_offsets[0], i = 0; o < t.data_offsets[1]; o += 4, i++) {
      const at = 8 + n + o;
      view.setFloat32(at, f(view.getFloat32(at, true), i), true);
    }
  }
  return out;
}

const huge = (v, i) => (i % 2 ? -3e38 : 3e38);

test('a model file with weights of ±3e38 is refused in words, and the model in use stays', async () => {
  const engine = await newEngine();
  await engine.loadDataset('mnist');
  await engine.configure({ latent_grid: 2 });
  const before = await engine.getWeights();
  const file = await engine.save({});
  await assert.rejects(engine.load(rewriteTensors(file, huge)), (e) => {
    assert.equal(e.code, 'model');
    assert.match(e.message, /^its weights are finite but absurd \(far too large for a trained network, or damaged\): on 8 probe images the (bottleneck gives -?(Infinity|NaN|[\d.e+]+)|reconstruction has NaN)/);
    assert.doesNotMatch(e.message, /pca|x\[0\]/, 'no engine-internal words');
    return true;
  });
  assert.deepEqual(await engine.getWeights(), before, 'the model in use is unchanged');
  // The same file unharmed loads; so does one with small changes.
  await engine.load(file);
  await engine.load(rewriteTensors(file, (v) => v * 1.01));
});

test('weights of ±3e38 from a link are refused and the model keeps its own; no data set needed', async () => {
  const engine = await newEngine();
  const model = await engine.configure({});
  const before = await engine.getWeights();
  const absurd = Float32Array.from({ length: model.params }, huge);
  await assert.rejects(engine.setWeights(absurd), (e) => e.code === 'model' &&
    /^its weights are finite but absurd .*: on 4 probe images/.test(e.message));
  assert.deepEqual(await engine.getWeights(), before);
  // Ordinary weights pass.
  await engine.setWeights(before.map((v) => v * 0.5));
  assert.deepEqual(await engine.getWeights(), before.map((v) => Math.fround(v * 0.5)));
});
