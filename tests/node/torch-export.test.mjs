// torch-export.test.mjs — the exported PyTorch script on a deep model trained in the WASM engine
// (dist/): it reproduces the engine's reconstructions and trains on. Skipped without Debian's torch.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { torchScript } from '../../web/lib/torch-export.js';

const PYTHON = '/usr/bin/python3';
const distDir = new URL('../../dist/', import.meta.url);
const mnist = new URL('../../datasets/cache/mnist/train-images-idx3-ubyte', import.meta.url);
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status === 0;

// 3 stages, a residual block per stage, attention in the encoder and the decoder.
const CONFIG = { filters: [8, 8, 8], res_blocks: 1, attention: 'both', latent_grid: 3,
                 activation: 'relu', loss: 'bce', optimizer: 'adam', learning_rate: 0.002,
                 batch_size: 32, seed: 3, input: { h: 28, w: 28, c: 1 } };
const BATCHES = 8, IMAGES = 6;
const skip = hasTorch ? false : `${PYTHON} has no torch (Debian's python3-torch): the exported script cannot run`;

// Saves model and its script into dir, runs `reconstruct` on images; returns the worst
// |PyTorch - engine| over the reconstructions, and the script's runner.
function exportAndReconstruct(model, images, dir) {
  const want = model.decode(model.encode(images));
  writeFileSync(join(dir, 'model.safetensors'), model.save({ dataset: 'mnist' }));
  writeFileSync(join(dir, 'input.f32'), images);
  writeFileSync(join(dir, 'aevp_model.py'), torchScript({ config: model.config, tensors: model.tensors(), dataset: 'mnist' }));
  const run = (...args) => execFileSync(PYTHON, [join(dir, 'aevp_model.py'), ...args],
    { cwd: dir, encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  run('reconstruct', 'model.safetensors', '--input', 'input.f32', '--output', 'output.f32');
  const buf = readFileSync(join(dir, 'output.f32'));
  const got = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
  assert.equal(got.length, want.length);
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  return { worst, run };
}

test('the exported script reproduces a deep model\'s reconstructions and trains it on', {
  skip, timeout: 120000,
}, async () => {
  const { loadCore } = await import(new URL('core.js', distDir));
  const core = await loadCore(readFileSync(new URL('aevp.wasm', distDir)));
  const model = new core.Model(JSON.stringify(CONFIG));
  const dir = mkdtempSync(join(tmpdir(), 'aevp-torch-'));
  try {
    const idx = readFileSync(mnist);
    const count = BATCHES * CONFIG.batch_size;
    const pixels = idx.subarray(16, 16 + count * 784);
    const imagesPtr = core.malloc(pixels.length), idxPtr = core.malloc(CONFIG.batch_size * 4);
    core.heap().set(pixels, imagesPtr);
    const losses = [];
    for (let b = 0; b < BATCHES; b++) {
      const order = new Uint32Array(CONFIG.batch_size).map((_, i) => b * CONFIG.batch_size + i);
      core.heap().set(new Uint8Array(order.buffer), idxPtr);
      losses.push(model.trainBatchU8(imagesPtr, idxPtr, CONFIG.batch_size));
    }
    core.free(imagesPtr);
    core.free(idxPtr);
    assert.ok(losses.at(-1) < losses[0], `the engine learns: ${losses[0]} -> ${losses.at(-1)}`);

    const images = Float32Array.from(idx.subarray(16 + count * 784, 16 + (count + IMAGES) * 784), (v) => v / 255);
    const { worst, run } = exportAndReconstruct(model, images, dir);
    assert.match(run('--help'), /reconstruct[\s\S]*train/);
    console.log(`torch export: ${IMAGES} reconstructions, max |PyTorch - engine| ${worst.toExponential(2)}`);
    assert.ok(worst <= 1e-5, `reconstructions differ by ${worst}`);

    const report = JSON.parse(run('train', 'model.safetensors', '--images', mnist.pathname, '--steps', '1',
                                  '--out', 'trained.safetensors').trim().split('\n').at(-1));
    console.log(`torch export: one PyTorch step, first-batch loss ${report.first_batch_loss_before} -> ${report.first_batch_loss_after}`);
    assert.ok(report.first_batch_loss_after < report.first_batch_loss_before, JSON.stringify(report));

    // The page opens what the script saved: the engine loads it and gives PyTorch's numbers.
    const trained = new core.Model(null, new Uint8Array(readFileSync(join(dir, 'trained.safetensors'))));
    assert.deepEqual(trained.tensors(), model.tensors());
    trained.destroy();
  } finally {
    model.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});

// The other choices: max-pool, nearest upsampling, 5x5 kernels, a VAE (decoding z = mu), at an
// odd size; untrained (init "pytorch" gives every tensor information).
test('the exported script follows max-pool, nearest upsampling and 5x5 kernels in a VAE', { skip, timeout: 60000 }, async () => {
  const { loadCore } = await import(new URL('core.js', distDir));
  const core = await loadCore(readFileSync(new URL('aevp.wasm', distDir)));
  const model = new core.Model(JSON.stringify({
    filters: [4, 6, 5], kernel_size: 5, downsample: 'maxpool', upsample: 'nearest', res_blocks: 2,
    attention: 'decoder', variational: true, beta: 2, latent_grid: 2, activation: 'elu', loss: 'mse',
    optimizer: 'sgd', learning_rate: 0.01, batch_size: 4, seed: 5, input: { h: 13, w: 11, c: 2 } }));
  const dir = mkdtempSync(join(tmpdir(), 'aevp-torch-'));
  try {
    const images = Float32Array.from({ length: 3 * 13 * 11 * 2 }, (_, i) => (Math.sin(i * 12.9898) * 43758.5453) % 1 * 0.5 + 0.5);
    const { worst } = exportAndReconstruct(model, images, dir);
    console.log(`torch export (max-pool, nearest, 5x5, VAE): max |PyTorch - engine| ${worst.toExponential(2)}`);
    assert.ok(worst <= 1e-5, `reconstructions differ by ${worst}`);
  } finally {
    model.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
