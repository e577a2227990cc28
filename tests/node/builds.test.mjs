// builds.test.mjs — the two WASM builds (build/wasm.cmake): the worker picks aevp-relaxed.wasm
// where relaxed SIMD runs and aevp.wasm when asked for 'plain'; the relaxed module really needs
// relaxed SIMD; both train MNIST to the same loss up to rounding, and the plain build repeats a run
// bit for bit (the deterministic path).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, test } from 'node:test';
import v8 from 'node:v8';

// Node 20 runs relaxed SIMD behind this flag (set before any module is compiled); later Node
// versions have it on.
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

const { distDir, nodeWorker } = await import('./node-worker.mjs');
const { createEngine } = await import(new URL('engine.js', distDir));

const live = new Set();
afterEach(async () => {
  for (const engine of live) await engine.dispose().catch(() => {});
  live.clear();
});

async function trained(simd) {
  const engine = await createEngine({ worker: nodeWorker(), simd });
  live.add(engine);
  await engine.loadDataset('mnist');
  await engine.configure({ seed: 3, batch_size: 32, filters: [8, 8], res_blocks: 1 });
  const run = await engine.train({ epochs: 1, limit: 32 * 30 });
  return { engine, run, weights: await engine.getWeights() };
}

test('the worker loads the relaxed build by default here and the plain one when asked', async () => {
  const auto = await createEngine({ worker: nodeWorker() });
  const plain = await createEngine({ workers: 2, workerFactory: nodeWorker, simd: 'plain' });
  live.add(auto).add(plain);
  assert.equal(auto.build, 'relaxed');
  assert.equal(plain.build, 'plain');
  assert.equal(plain.workers, 2);
  await assert.rejects(createEngine({ workerFactory: nodeWorker, simd: 'fast' }), /simd must be 'auto' or 'plain'/);
});

test('aevp-relaxed.wasm uses relaxed SIMD: a Node without it cannot compile it, but compiles aevp.wasm', (t) => {
  const check = `const fs = require('fs'); const ok = (f) => WebAssembly.validate(fs.readFileSync(f));
    console.log(JSON.stringify([ok(${JSON.stringify(new URL('aevp.wasm', distDir).pathname)}),
                                ok(${JSON.stringify(new URL('aevp-relaxed.wasm', distDir).pathname)})]));`;
  const bare = spawnSync(process.execPath, ['-e', check], { encoding: 'utf8' });
  const flagged = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', '-e', check], { encoding: 'utf8' });
  assert.deepEqual(JSON.parse(flagged.stdout), [true, true]);
  const [plainOk, relaxedOk] = JSON.parse(bare.stdout);
  if (relaxedOk) return t.skip('this Node runs relaxed SIMD without a flag: nothing to tell apart');
  assert.equal(plainOk, true);
  assert.equal(relaxedOk, false);
  assert.ok(readFileSync(new URL('aevp-relaxed.wasm', distDir)).length > 0);
});

test('both builds train to the same loss; the plain build repeats its weights bit for bit', async () => {
  const relaxed = await trained('auto');
  const plain = await trained('plain');
  const again = await trained('plain');
  assert.equal(relaxed.engine.build, 'relaxed');
  const [r, p] = [relaxed.run.history[0], plain.run.history[0]];
  let apart = 0;
  relaxed.weights.forEach((w, i) => { apart = Math.max(apart, Math.abs(w - plain.weights[i])); });
  console.log(`  30 steps: val loss relaxed ${r.valLoss.toPrecision(9)}, plain ${p.valLoss.toPrecision(9)}; weights ` +
              `at most ${apart.toExponential(2)} apart; ${relaxed.run.samplesPerSec.toFixed(0)} vs ` +
              `${plain.run.samplesPerSec.toFixed(0)} samples/s`);
  assert.ok(Math.abs(r.valLoss - p.valLoss) < 2e-3 * p.valLoss, `val loss ${r.valLoss} vs ${p.valLoss}`);
  assert.deepEqual(again.weights, plain.weights, 'two plain runs of one config and seed differ');
  assert.equal(again.run.history[0].valLoss, p.valLoss);
});
