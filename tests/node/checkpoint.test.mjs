// checkpoint.test.mjs — engine.save({}, {optimizer: true}) and load() through the worker (dist/):
// training resumed from a checkpoint goes on exactly as the run that was not interrupted.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { distDir, nodeWorker } from './node-worker.mjs';

const { createEngine } = await import(new URL('engine.js', distDir));

const LIMIT = 320; // training images per run: ten batches of 32

const [going, resumed] = await Promise.all([createEngine({ worker: nodeWorker() }), createEngine({ worker: nodeWorker() })]);
after(() => Promise.all([going.dispose(), resumed.dispose()]));
await Promise.all([going.loadDataset('mnist'), resumed.loadDataset('mnist')]);

// One run of LIMIT images: the first batch's loss, the epoch's training loss and the weights after.
async function runOnce(engine) {
  let firstLoss = null;
  const { history } = await engine.train({
    epochs: 1, limit: LIMIT,
    onProgress: (e) => { if (e.kind === 'batch' && e.batch === 1) firstLoss = e.loss; },
  });
  return { firstLoss, trainLoss: history[0].trainLoss, weights: await engine.getWeights() };
}

function sameBits(a, b) {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

for (const config of [{ batch_size: 32, seed: 5 }, { batch_size: 32, seed: 6, variational: true, optimizer: 'rmsprop' }]) {
  test(`a checkpoint resumes training exactly (${JSON.stringify(config)})`, async () => {
    await going.configure(config);
    await going.train({ epochs: 1, limit: LIMIT });
    const checkpoint = await going.save({ note: 'checkpoint' }, { optimizer: true });
    const plain = await going.save({ note: 'plain' });
    const uninterrupted = await runOnce(going);

    const loaded = await resumed.load(checkpoint);
    assert.equal(Number(loaded.metadata.optimizer_steps), LIMIT / 32, 'the checkpoint holds the step count');
    const fromCheckpoint = await runOnce(resumed);
    assert.equal(fromCheckpoint.firstLoss, uninterrupted.firstLoss, 'the next batch has the same loss');
    assert.equal(fromCheckpoint.trainLoss, uninterrupted.trainLoss);
    assert.ok(sameBits(fromCheckpoint.weights, uninterrupted.weights), 'the weights after the run are the same bits');

    // A plain model file starts the optimizer afresh: the same check would tell it apart.
    const loadedPlain = await resumed.load(plain);
    assert.equal(loadedPlain.metadata.optimizer_steps, undefined);
    const fromPlain = await runOnce(resumed);
    assert.ok(!sameBits(fromPlain.weights, uninterrupted.weights), 'a plain file does not resume the optimizer');
  });
}
