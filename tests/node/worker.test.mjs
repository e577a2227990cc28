// worker.test.mjs — the worker's protocol (dist/worker.js in a Node worker thread): an unknown
// request is an error, what would change the model or data set during a run is refused as busy,
// and a model whose input is not the data set's shape is refused before it reads the images.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { distDir, nodeWorker } from './node-worker.mjs';

const { createEngine, EngineError } = await import(new URL('engine.js', distDir));

const engine = await createEngine({ worker: nodeWorker() });
after(() => engine.dispose());
await engine.loadDataset('mnist');

test('an unknown request type is answered with an error', async () => {
  await assert.rejects(engine.request('latentStats', { count: 10 }),
                       (e) => e instanceof EngineError && e.code === 'arg' && e.message === 'unknown request type "latentStats"');
});

test('during a run, every request that would change the model or the data set is refused as busy', async () => {
  await engine.configure({ batch_size: 16 });
  const weights = await engine.getWeights();
  const file = await engine.save();
  let started;
  const firstBatch = new Promise((resolve) => { started = resolve; });
  const run = engine.train({ epochs: 1, onProgress: (e) => { if (e.kind === 'batch') started(); } });
  await firstBatch;
  const busy = (what) => (e) => e instanceof EngineError && e.code === 'busy' &&
    e.message === `cannot ${what} while training: stop the run first`;
  await assert.rejects(engine.configure({}), busy('reconfigure'));
  await assert.rejects(engine.load(file), busy('load a model'));
  await assert.rejects(engine.setWeights(weights), busy('set weights'));
  await assert.rejects(engine.loadDataset('fashion'), busy('change the data set'));
  await assert.rejects(engine.request('train', { epochs: 1 }), busy('start a run'));
  // What only reads the model is answered meanwhile.
  const { latent } = await engine.trace(new Float32Array(784));
  assert.equal(latent.length, 9);
  await engine.stop();
  assert.equal((await run).epochs, 0);
  await engine.configure({}); // and once the run is over, the same request is served
});

test('a model whose input is not the data set shape is refused by training and by the latent map', async () => {
  await engine.configure({ input: { h: 32, w: 32, c: 1 } });
  const wrongShape = (e) => e instanceof EngineError && e.code === 'config' &&
    e.message === 'config: input is 32x32x1 but mnist images are 28x28x1';
  await assert.rejects(engine.train({ epochs: 1, limit: 64 }), wrongShape);
  await assert.rejects(engine.latentMap({ count: 100 }), wrongShape);
  await engine.configure({});
  const map = await engine.latentMap({ count: 100 });
  assert.equal(map.latents.length, 100 * 9);
});
