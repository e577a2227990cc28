// architectures.test.mjs — deep models through engine.js and the worker on the built WASM: the
// stage list with kinds and attention weights, two data-parallel workers and a model file round
// trip (the rollback of a diverging deep model is test_arch.c's). Not the page (tests/browser) nor the maths (the C tests).
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';

import { distDir, nodeWorker } from './node-worker.mjs';

const { createEngine } = await import(new URL('engine.js', distDir));

const live = new Set();
afterEach(async () => {
  for (const engine of live) await engine.dispose().catch(() => {});
  live.clear();
});

async function engine(options = { worker: nodeWorker() }) {
  const e = await createEngine(options);
  live.add(e);
  await e.loadDataset('mnist');
  return e;
}

const DEEP = { filters: [8, 8, 8], res_blocks: 1, attention: 'both', latent_grid: 2, batch_size: 32, seed: 3 };
const digit = new Float32Array(784).map((_, i) => ((i % 28) > 9 && (i % 28) < 18 && i > 200 && i < 600 ? 1 : 0));

test('a deep model traces every stage with its kind; attention weights are distributions', async () => {
  const e = await engine();
  await e.configure(DEEP);
  const result = await e.trace(digit);
  assert.deepEqual(result.stages.map((s) => `${s.name}:${s.kind}:${s.shape.join('x')}`), [
    'conv1:conv:14x14x8', 'enc1.res1:residual:14x14x8', 'conv2:conv:7x7x8', 'enc2.res1:residual:7x7x8',
    'conv3:conv:4x4x8', 'enc3.res1:residual:4x4x8', 'attn_enc:attention:4x4x8',
    'attn_enc.weights:attention_weights:4x4x16', 'latent:latent:2x2x1', 'dense:dense:4x4x8',
    'attn_dec:attention:4x4x8', 'attn_dec.weights:attention_weights:4x4x16', 'dec1.res1:residual:4x4x8',
    'convT1:up:7x7x8', 'dec2.res1:residual:7x7x8', 'convT2:up:14x14x8', 'dec3.res1:residual:14x14x8',
    'convT3:up:28x28x8', 'output:output:28x28x1']);
  for (const s of result.stages.filter((stage) => stage.kind === 'attention_weights')) {
    const [h, w, queries] = s.shape;
    for (let q = 0; q < queries; q++) {
      let sum = 0;
      for (let key = 0; key < h * w; key++) sum += s.data[key * queries + q];
      assert.ok(Math.abs(sum - 1) < 1e-5, `${s.name} query ${q} sums to ${sum}`);
    }
  }
  const decoded = await e.decode(result.latent);
  assert.deepEqual(Array.from(decoded.images), Array.from(result.output), 'decode(latent of trace) == trace output');
  assert.equal(decoded.stages[0].name, 'latent');
  assert.equal(decoded.stages.length, result.stages.length - 8, 'decode gives the stages from the latent on');
});

test('two workers train a deep max-pool VAE to the weights of one; its file reloads to the same trace', async () => {
  const config = { ...DEEP, attention: 'decoder', downsample: 'maxpool', upsample: 'nearest', kernel_size: 5,
                   variational: true, beta: 0.5 };
  const one = await engine();
  const two = await engine({ workers: 2, workerFactory: nodeWorker });
  for (const e of [one, two]) await e.configure(config);
  const a = await one.train({ epochs: 1, limit: 32 * 12 });
  const b = await two.train({ epochs: 1, limit: 32 * 12 });
  const [wa, wb] = [await one.getWeights(), await two.getWeights()];
  let worst = 0;
  for (let i = 0; i < wa.length; i++) worst = Math.max(worst, Math.abs(wa[i] - wb[i]) / (0.1 + Math.abs(wa[i])));
  assert.ok(worst < 1e-3, `the two-worker weights differ by ${worst}`);
  assert.ok(Math.abs(a.history[0].valLoss - b.history[0].valLoss) < 1e-3);

  const bytes = await one.save({ dataset: 'mnist' });
  const before = await one.trace(digit);
  const fresh = await engine();
  await fresh.load(bytes);
  const after = await fresh.trace(digit);
  assert.deepEqual(Array.from(after.output), Array.from(before.output), 'the reloaded model reconstructs the same');
});
