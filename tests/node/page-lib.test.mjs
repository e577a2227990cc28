// page-lib.test.mjs — the page's pure helpers in Node: the latent maths of web/lib/latent.js, the
// latest-wins runner of web/lib/latest.js and the engine start of web/lib/engine-start.js.
// No DOM and no engine: the views and controllers that use them are the browser tests' part.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { openEngine, workerChoices, workerCount, WORKERS_KEY } from '../../web/lib/engine-start.js';
import { alignAxes, along, gaussian, inversePca, jitter, manifoldLatents, nearestPlacement, pcaPoints, projectPca, totalVariance } from '../../web/lib/latent.js';
import { latestWins } from '../../web/lib/latest.js';

const close = (a, b, eps = 1e-5) => Math.abs(a - b) <= eps;
const norm = (v) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));

// A 3-D PCA with two orthonormal axes (x and y), mean (1, 2, 3).
const pca2 = () => ({ mean: Float32Array.from([1, 2, 3]), components: Float32Array.from([1, 0, 0, 0, 1, 0]),
                      variance: Float32Array.from([4, 1]), proj: Float32Array.from([1, 2, -3, 4]) });

test('projectPca and inversePca are inverse on the plane, and projectPca drops what is off it', () => {
  const pca = pca2();
  const z = inversePca(pca, 0.5, -1.5);
  assert.deepEqual(Array.from(z), [1.5, 0.5, 3]);
  assert.deepEqual(projectPca(pca, z), [0.5, -1.5]);
  assert.deepEqual(projectPca(pca, [1.5, 0.5, 99]), [0.5, -1.5], 'the third axis is not on the plane');
  const one = { ...pca, components: Float32Array.from([0, 0, 1]), variance: Float32Array.from([2]) };
  assert.deepEqual(Array.from(inversePca(one, 2, 123)), [1, 2, 5], 'y means nothing with one axis');
  assert.deepEqual(projectPca(one, [1, 2, 5]), [2, 0]);
});

test('alignAxes flips an axis (and its projections) that turned over, and only that one', () => {
  const before = pca2();
  const now = pca2();
  now.components[3] = 0; now.components[4] = -1;           // axis 2 turned over
  now.proj = Float32Array.from([1, -2, -3, -4]);
  alignAxes(now, before);
  assert.deepEqual(Array.from(now.components, (v) => v + 0), [1, 0, 0, 0, 1, 0]);
  assert.deepEqual(Array.from(now.proj), [1, 2, -3, 4]);
  const other = pca2();
  alignAxes(other, { ...before, mean: new Float32Array(2) });
  assert.deepEqual(Array.from(other.components), Array.from(before.components), 'another dimension: left alone');
  alignAxes(other, null);
});

test('pcaPoints: the plane as is, or a 1-D code against its class with a fixed jitter', () => {
  const map = { count: 2, pca: pca2(), labels: [0, 0] };
  assert.equal(pcaPoints(map), map.pca.proj);
  const oneD = { count: 3, pca: { variance: [1], proj: Float32Array.from([0.5, -1, 2]) }, labels: [7, 0, 3] };
  const points = pcaPoints(oneD);
  assert.deepEqual([points[0], points[2], points[4]], [0.5, -1, 2]);
  for (const [i, label] of [7, 0, 3].entries()) {
    assert.ok(Math.abs(points[2 * i + 1] - label) <= 0.35, `row ${i} stays near class ${label}`);
    assert.ok(close(points[2 * i + 1], label + jitter(i)));
  }
  assert.equal(jitter(5), jitter(5), 'deterministic');
});

test('totalVariance is the sum of the squared spreads', () => {
  assert.equal(totalVariance(Float32Array.from([1, 2, 3])), 14);
  assert.equal(totalVariance([]), 0);
});

test('nearestPlacement: on a neighbour itself, and between equally near ones', () => {
  const t = { count: 4, dim: 2, latents: Float32Array.from([0, 0, 10, 0, 0, 10, 10, 10]),
              embedding: Float32Array.from([1, 1, 5, 1, 1, 5, 5, 5]) };
  const [x, y] = nearestPlacement(t, [10, 10], 1);
  assert.ok(close(x, 5) && close(y, 5), `k=1 at a point: (${x}, ${y})`);
  const [mx, my] = nearestPlacement(t, [5, 5], 4);
  assert.ok(close(mx, 3) && close(my, 3), `all four equally near: their mean (${mx}, ${my})`);
  const [ax, ay] = nearestPlacement(t, [0, 0.001], 8);
  assert.ok(close(ax, 1, 1e-2) && close(ay, 1, 1e-2), `k larger than the count, weighted to the nearest: (${ax}, ${ay})`);
});

test('along: a line by default; a great circle for a VAE, keeping the norm', () => {
  const a = Float32Array.from([1, 0]), b = Float32Array.from([0, 1]);
  assert.deepEqual(Array.from(along(a, b, 0.5)), [0.5, 0.5]);
  assert.deepEqual(Array.from(along(a, b, 0)), [1, 0]);
  assert.deepEqual(Array.from(along(a, b, 1)), [0, 1]);
  const mid = along(a, b, 0.5, { spherical: true });
  assert.ok(close(mid[0], Math.SQRT1_2) && close(mid[1], Math.SQRT1_2), `slerp midpoint ${Array.from(mid)}`);
  for (const t of [0.1, 0.3, 0.7]) assert.ok(close(norm(along(a, b, t, { spherical: true })), 1), `norm at t=${t}`);
  const same = along(a, Float32Array.from([2, 0]), 0.5, { spherical: true });
  assert.deepEqual(Array.from(same), [1.5, 0], 'parallel codes fall back to the line');
});

test('manifoldLatents: cell centres, top row first, decoded through inversePca', () => {
  const pca = pca2();
  const grid = manifoldLatents(pca, { x0: 0, x1: 2, y0: 0, y1: 2 }, 2, 2);
  assert.equal(grid.length, 2 * 2 * 3);
  assert.deepEqual(Array.from(grid.subarray(0, 3)), Array.from(inversePca(pca, 0.5, 1.5)), 'top-left');
  assert.deepEqual(Array.from(grid.subarray(9, 12)), Array.from(inversePca(pca, 1.5, 0.5)), 'bottom-right');
});

test('gaussian: mean 0 and spread 1 over many draws of a seeded source', () => {
  let seed = 12345;
  const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
  const n = 20000, draws = Array.from({ length: n }, () => gaussian(random));
  const mean = draws.reduce((s, x) => s + x, 0) / n;
  const sd = Math.sqrt(draws.reduce((s, x) => s + (x - mean) ** 2, 0) / n);
  assert.ok(Math.abs(mean) < 0.03 && Math.abs(sd - 1) < 0.03, `mean ${mean}, sd ${sd}`);
  assert.ok(draws.every(Number.isFinite));
});

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

test('latestWins: one run at a time; of the requests made meanwhile only the newest runs', async () => {
  const started = [];
  let running = 0, most = 0;
  const run = latestWins(async (arg) => {
    running++;
    most = Math.max(most, running);
    started.push(arg);
    await tick();
    running--;
  });
  const first = run(1);
  run(2);
  run(3);
  const last = run(4);
  assert.equal(first, last, 'every caller waits for the same drain');
  await last;
  assert.deepEqual(started, [1, 4]);
  assert.equal(most, 1);
  await run(5);
  assert.deepEqual(started, [1, 4, 5], 'idle again: a request runs at once');
});

test('latestWins: superseded() says a newer request came in, so a stale result can be dropped', async () => {
  const shown = [];
  const run = latestWins(async (arg, { superseded }) => {
    await tick();
    if (!superseded()) shown.push(arg);
  });
  run('a');
  run('b');
  await run('c');
  assert.deepEqual(shown, ['c']);
});

test('latestWins: an error goes to onError and the waiting request still runs; without onError the callers see it', async () => {
  const errors = [], ran = [];
  const run = latestWins(async (arg) => {
    await tick();
    if (arg === 'bad') throw new Error('boom');
    ran.push(arg);
  }, { onError: (e) => errors.push(e.message) });
  run('bad');
  await run('good');
  assert.deepEqual(errors, ['boom']);
  assert.deepEqual(ran, ['good']);
  const loud = latestWins(async () => { throw new Error('loud'); });
  await assert.rejects(loud(), /loud/);
  await loud().catch(() => {});
});

test('latestWins: a job may ask again from inside (the model changed meanwhile)', async () => {
  let calls = 0;
  const run = latestWins(async () => {
    calls++;
    await tick();
    if (calls === 1) run();
  });
  await run();
  assert.equal(calls, 2);
});

test('workerCount: the stored choice, else two where there are two cores; workerChoices; openEngine falls back to one', async () => {
  const storage = (value) => ({ getItem: (key) => (key === WORKERS_KEY ? value : null) });
  assert.equal(workerCount(storage(null), 8), 2);
  assert.equal(workerCount(storage(null), 1), 1);
  assert.equal(workerCount(storage(null), undefined), 1);
  assert.equal(workerCount(storage('1'), 8), 1);
  assert.equal(workerCount(storage('2'), 1), 2);
  assert.equal(workerCount(storage('7'), 4), 7, 'a stored choice up to 8 is kept');
  assert.equal(workerCount(storage('9'), 4), 2, 'a stored value out of range is ignored');
  assert.equal(workerCount(storage('2.5'), 4), 2, 'a stored value out of range is ignored');
  assert.deepEqual(workerChoices(1), [1, 2]);
  assert.deepEqual(workerChoices(4), [1, 2, 3, 4]);
  assert.deepEqual(workerChoices(64), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(workerChoices(2, 5), [1, 2, 3, 4, 5], 'the running count is offered');
  const asked = [];
  const engine = await openEngine(async ({ workers }) => {
    asked.push(workers);
    if (workers === 2) throw new Error('no SharedArrayBuffer');
    return { workers };
  }, 2);
  assert.deepEqual(asked, [2, 1]);
  assert.equal(engine.workers, 1);
  await assert.rejects(openEngine(async () => { throw new Error('no SIMD'); }, 1), /no SIMD/);
});
