// worker.js — owns the engine in a Web Worker and speaks the protocol: requests {id, type, ...},
// replies {id, ok, result | error}, pushed events {type: 'progress', ...}. No UI, no DOM.
import { EngineError } from './errors.js';
import { loadCore } from './core.js';

const PROGRESS_INTERVAL_MS = 100;
const SLICE_MS = 25;           // longest stretch of training between two looks at the inbox
const EVAL_CHUNK = 500;        // test images evaluated between two looks at the inbox
const MAP_MAX = 10000;         // the most test images on the latent map

const here = (path) => new URL(path, import.meta.url);

let coreHeap = null;
const corePromise = (async () => {
  const response = await fetch(here('aevp.wasm'));
  if (!response.ok) throw new EngineError('load', `could not load aevp.wasm (HTTP ${response.status})`);
  const core = await loadCore(await response.arrayBuffer());
  coreHeap = core.heap;
  return core;
})();

let manifestPromise = null;
let dataset = null;   // {name, train: {ptr, dataPtr, count}, test: {...}, testLabels, trainLabels, shape, classes}
let model = null;
let perm = 0;         // heap uint32 permutation of the training set
let run = null;       // the training run in progress: {paused, stopping, resume}

// ---------------------------------------------------------------- data-parallel peer
// With two workers, each holds a replica of the model and the data set; during training they
// swap gradients over a MessagePort every batch. Messages carry the run's id: those of a run that
// was stopped mid-exchange are dropped by the next.
let peer = null;
const peerInbox = [], peerWaiters = [];

function setPeer(port) {
  peer = port;
  port.onmessage = (event) => {
    const waiter = peerWaiters.shift();
    if (waiter) waiter(event.data);
    else peerInbox.push(event.data);
  };
}

async function fromPeer(runId) {
  for (;;) {
    const msg = peerInbox.length ? peerInbox.shift() : await new Promise((resolve) => peerWaiters.push(resolve));
    if (msg.runId === runId) return msg;
  }
}

// One batch split between the replicas: rank 0 takes the first half. Both combine the two shares
// in rank order, so both apply the same update. Returns the batch's loss and its two terms
// ({loss, recon, kl}), or null if rank 0 stopped.
// No allocation per batch: the gradients travel in a buffer that each replica fills and transfers,
// and the buffer it receives is the one it sends next time (a garbage collection in one replica
// would stall both).
async function parallelStep(m, d, idxPtr, count, par) {
  const share = Math.ceil(count / 2);
  const mine = par.rank === 0 ? share : count - share;
  let loss = 0, terms = { recon: 0, kl: 0 };
  const first = par.rank === 0 ? 0 : share;
  const t0 = performance.now();
  if (mine > 0) {
    loss = m.gradientsU8(d.train.dataPtr, idxPtr + first * 4, mine, first);
    terms = m.lastTerms();
  } else {
    m.gradientView().fill(0);
  }
  const own = m.gradientView();
  const sent = par.spare?.length === own.length ? par.spare : new Float32Array(own.length);
  sent.set(own);
  peer.postMessage({ runId: par.runId, n: mine, loss, recon: terms.recon, kl: terms.kl, grads: sent }, [sent.buffer]);
  const t1 = performance.now();
  const other = await fromPeer(par.runId);
  const t2 = performance.now();
  if (other.stop) return null;
  // In place over this replica's own share, with the same arithmetic on both: a first, then b.
  const buffer = m.gradientView(), theirs = other.grads;
  const total = mine + other.n;
  if (par.rank === 0) {
    const wa = mine / total, wb = other.n / total;
    for (let k = 0; k < buffer.length; k++) buffer[k] = wa * buffer[k] + wb * theirs[k];
  } else {
    const wa = other.n / total, wb = mine / total;
    for (let k = 0; k < buffer.length; k++) buffer[k] = wa * theirs[k] + wb * buffer[k];
  }
  par.spare = theirs;
  const [a, b] = par.rank === 0 ? [{ n: mine, loss, ...terms }, other] : [other, { n: mine, loss, ...terms }];
  const mean = (key) => (a.n * a[key] + b.n * b[key]) / total;
  m.applyGradients(mean('loss'));
  // Where the time goes, for the benchmark: this replica's share, waiting for the other's, and
  // combining and applying the two.
  par.timing.computeMs += t1 - t0;
  par.timing.waitMs += t2 - t1;
  par.timing.updateMs += performance.now() - t2;
  return { loss: mean('loss'), recon: mean('recon'), kl: mean('kl') };
}

function post(message, transfer = []) {
  self.postMessage(message, transfer);
}

function progress(event) {
  post({ type: 'progress', ...event });
}

function manifest() {
  manifestPromise ??= fetch(here('data/manifest.json')).then((r) => {
    if (!r.ok) throw new EngineError('load', `could not load data/manifest.json (HTTP ${r.status})`);
    return r.json();
  });
  return manifestPromise;
}

// Lets queued messages (pause, stop, trace, ...) run before the next slice of work. Browsers
// deliver a worker's inbox and a MessageChannel in order, so a channel message is a cheap yield
// (setTimeout is clamped to 4 ms there); Node drains one port before another, so it gets a timer.
const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';
const channel = new MessageChannel();
const waiting = [];
channel.port1.onmessage = () => waiting.shift()?.();
function yieldToInbox() {
  if (isNode) return new Promise((resolve) => setTimeout(resolve, 0));
  return new Promise((resolve) => {
    waiting.push(resolve);
    channel.port2.postMessage(0);
  });
}

async function sha256Hex(bytes) {
  if (!globalThis.crypto?.subtle) return null; // not a secure context: sizes and headers still checked
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

// Fetches one gzip'd IDX file with byte progress, decompresses it, checks it and copies it into
// the WASM heap. Returns {ptr, length, rank, dims}; the caller frees ptr.
async function fetchIdx(core, setName, key, spec, onBytes) {
  const url = here(`data/${setName}/${spec.name}`);
  let response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new EngineError('load', `could not download ${spec.name} (${e.message}): ${globalThis.navigator?.onLine === false
      ? 'you are offline, and this data set was not downloaded on an earlier visit' : 'check the connection and try again'}`);
  }
  if (!response.ok || !response.body)
    throw new EngineError('load', `could not download ${spec.name} (HTTP ${response.status}); is the data set part of this build?`);
  const total = Number(response.headers.get('content-length')) || 0;
  let loaded = 0;
  const counter = new TransformStream({
    transform(chunk, controller) {
      loaded += chunk.byteLength;
      onBytes(key, loaded, total);
      controller.enqueue(chunk);
    },
  });
  const chunks = [];
  let length = 0;
  try {
    const reader = response.body.pipeThrough(counter).pipeThrough(new DecompressionStream('gzip')).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      length += value.byteLength;
      if (length > spec.idx_size)
        throw new EngineError('data', `${spec.name} is larger than the ${spec.idx_size} bytes the manifest lists`);
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof EngineError) throw e;
    throw new EngineError('data', `${spec.name} is not a valid gzip file (${e.message})`);
  }
  if (length !== spec.idx_size)
    throw new EngineError('data', `${spec.name}: expected ${spec.idx_size} bytes after decompression, got ${length}`);
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  const hash = await sha256Hex(bytes);
  if (hash && hash !== spec.idx_sha256)
    throw new EngineError('data', `${spec.name}: SHA-256 ${hash} does not match the manifest's ${spec.idx_sha256}`);
  const ptr = core.malloc(length);
  core.heap().set(bytes, ptr);
  try {
    return { ptr, length, bytes, ...core.idxInfo(ptr, length) };
  } catch (e) {
    core.free(ptr);
    throw e;
  }
}

function freeDataset(core) {
  if (!dataset) return;
  core.free(dataset.train.ptr);
  core.free(dataset.test.ptr);
  if (perm) core.free(perm);
  perm = 0;
  dataset = null;
}

async function loadDataset(core, { name }) {
  if (run) throw new EngineError('busy', 'cannot change the data set while training: stop the run first');
  if (dataset?.name === name) return describe(dataset);
  const all = (await manifest()).datasets;
  const spec = all[name];
  if (!spec) throw new EngineError('arg', `unknown data set "${name}": choose one of ${Object.keys(all).join(', ')}`);
  const files = spec.files;
  const sizes = {};
  const onBytes = (key, loaded, total) => {
    sizes[key] = { loaded, total };
    const sum = Object.values(sizes).reduce((a, s) => ({ loaded: a.loaded + s.loaded, total: a.total + s.total }), { loaded: 0, total: 0 });
    progress({ kind: 'download', dataset: name, file: files[key].name, ...sum });
  };
  const got = {};
  try {
    for (const key of ['train_images', 'train_labels', 'test_images', 'test_labels'])
      got[key] = await fetchIdx(core, name, key, files[key], onBytes);
    const [h, w, c] = spec.shape;
    for (const split of ['train', 'test']) {
      const images = got[`${split}_images`], labels = got[`${split}_labels`];
      if (images.rank !== 3 || images.dims[1] !== h || images.dims[2] !== w)
        throw new EngineError('data', `${split} images are ${images.dims.join('x')}, expected Nx${h}x${w}`);
      if (labels.rank !== 1 || labels.dims[0] !== images.dims[0])
        throw new EngineError('data', `${split} labels: ${labels.dims[0]} for ${images.dims[0]} images`);
    }
  } catch (e) {
    for (const f of Object.values(got)) core.free(f.ptr);
    throw e;
  }
  if (run) {
    // A run started while this download was under way: it keeps its data set.
    for (const f of Object.values(got)) core.free(f.ptr);
    throw new EngineError('busy', 'cannot change the data set while training: stop the run first');
  }
  freeDataset(core);
  const split = (images, labels) => {
    // Labels are small and read by JS: they leave the heap; images stay there as uint8.
    const labelCopy = labels.bytes.slice(8);
    core.free(labels.ptr);
    return { ptr: images.ptr, dataPtr: images.ptr + 16, count: images.dims[0], labels: labelCopy };
  };
  dataset = {
    name,
    displayName: spec.display_name,
    shape: spec.shape,
    classes: spec.classes,
    train: split(got.train_images, got.train_labels),
    test: split(got.test_images, got.test_labels),
  };
  perm = core.malloc(dataset.train.count * 4);
  return describe(dataset);
}

function describe(d) {
  return { name: d.name, displayName: d.displayName, train: d.train.count, test: d.test.count,
           shape: d.shape, classes: d.classes, testLabels: d.test.labels.slice() };
}

function describeModel(m) {
  return { config: m.config, params: m.paramCount, flopsPerSample: m.flopsPerSample,
           latentDim: m.latentDim, stages: m.stages.map((s) => ({ name: s.name, shape: s.shape })),
           tensors: m.tensors() };
}

function configure(core, { config }) {
  if (run) throw new EngineError('busy', 'cannot reconfigure while training: stop the run first');
  if (config === null || typeof config !== 'object' || Array.isArray(config))
    throw new EngineError('config', 'config: must be an object');
  // The new model is built first: a bad config leaves the current one working.
  const next = new core.Model(JSON.stringify(config));
  model?.destroy();
  model = next;
  return describeModel(model);
}

function requireModel() {
  if (!model) throw new EngineError('state', 'no model: call configure first');
  return model;
}

function requireDataset() {
  if (!dataset) throw new EngineError('state', 'no data set: call loadDataset first');
  return dataset;
}

// The mean training image's validation metrics under the model's loss, once per data set and loss.
function meanImageBaseline(m, d) {
  d.baselines ??= new Map();
  const key = `${m.config.loss}:${m.inputSize}`;
  if (!d.baselines.has(key)) d.baselines.set(key, m.meanImageU8(d.train.dataPtr, d.train.count, d.test.dataPtr, d.test.count));
  return d.baselines.get(key);
}

async function evaluateTest(core, m, d, limit = d.test.count) {
  const sums = { loss: 0, mse: 0, psnr: 0, ssim: 0, kl: 0 };
  const size = m.inputSize;
  for (let start = 0; start < limit; start += EVAL_CHUNK) {
    const n = Math.min(EVAL_CHUNK, limit - start);
    const r = m.evaluateU8(d.test.dataPtr + start * size, n);
    for (const k in sums) sums[k] += r[k] * n;
    if (run) {
      await yieldToInbox();
      if (run?.stopping) return null; // stopped or disposed meanwhile: the model may be gone
    }
  }
  for (const k in sums) sums[k] /= limit;
  return sums;
}

async function train(core, { epochs, limit, parallel }) {
  const m = requireModel(), d = requireDataset();
  if (run) throw new EngineError('busy', 'a training run is already in progress');
  const [h, w, c] = d.shape;
  const { input } = m.config;
  if (input.h !== h || input.w !== w || input.c !== c)
    throw new EngineError('config', `config: input is ${input.h}x${input.w}x${input.c} but ${d.name} images are ${h}x${w}x${c}`);
  epochs = epochs ?? m.config.epochs;
  if (!Number.isInteger(epochs) || epochs < 1 || epochs > 1000)
    throw new EngineError('arg', `epochs must be an integer 1..1000 (got ${epochs})`);
  limit = limit ?? d.train.count;
  if (!Number.isInteger(limit) || limit < 1 || limit > d.train.count)
    throw new EngineError('arg', `limit must be an integer 1..${d.train.count} (got ${limit})`);
  // A limit trains on the first `limit` training images, shuffled among themselves.
  const n = limit, batch = m.batchSize, batches = Math.ceil(n / batch);
  m.planRun(batches); // a cosine or one-cycle schedule spans the config's epochs of these batches
  if (parallel && !peer) throw new EngineError('state', 'parallel training needs a peer worker');
  const follower = parallel?.rank > 0;   // rank 0 reports progress and evaluates; the other follows
  const history = [];
  run = { paused: false, stopping: false, resume: null };
  if (parallel) parallel.timing = { computeMs: 0, waitMs: 0, updateMs: 0 };
  const started = performance.now();
  let samplesDone = 0, activeMs = 0;
  try {
    for (let epoch = 1; epoch <= epochs && !run.stopping; epoch++) {
      m.shuffle(perm, n);
      let lossSum = 0, reconSum = 0, klSum = 0, done = 0;
      const epochStart = performance.now();
      let sliceStart = performance.now(), lastProgress = 0, rateSamples = 0, rateStart = sliceStart;
      for (let b = 0; b < batches; b++) {
        // A pause that arrived between slices (or during the last epoch's evaluation) holds here,
        // before the next batch.
        if (run.paused && !follower) {
          activeMs += performance.now() - sliceStart;
          while (run.paused && !run.stopping) await new Promise((resolve) => { run.resume = resolve; });
          sliceStart = performance.now();
        }
        if (run.stopping) break;
        const count = Math.min(batch, n - b * batch);
        let loss, terms;
        try {
          if (parallel) {
            const step = await parallelStep(m, d, perm + b * batch * 4, count, parallel);
            if (step === null) { run.stopping = true; break; }
            ({ loss, ...terms } = step);
          } else {
            loss = m.trainBatchU8(d.train.dataPtr, perm + b * batch * 4, count);
            terms = m.lastTerms();
          }
        } catch (e) {
          if (e.code !== 'diverged') throw e;
          if (follower) { b--; continue; } // rank 0 decides; this replica retries with it
          // The engine refused the batch and put the model back to its last sane state (before the
          // update that blew it up): pause here and let the person decide (stop, or lower the
          // learning rate and resume). The batch is tried again on resume.
          run.paused = true;
          progress({ kind: 'diverged', step: m.steps + 1, epoch, batch: b + 1, message: e.message });
          while (run.paused && !run.stopping) await new Promise((resolve) => { run.resume = resolve; });
          if (run.stopping) break;
          b--;
          sliceStart = performance.now();
          continue;
        }
        lossSum += loss;
        reconSum += terms.recon;
        klSum += terms.kl;
        done++;
        samplesDone += count;
        rateSamples += count;
        const now = performance.now();
        if (follower) continue;
        if (now - lastProgress >= PROGRESS_INTERVAL_MS || b === batches - 1) {
          const rate = rateSamples / Math.max(now - rateStart, 1e-3) * 1000;
          const remaining = (epochs - epoch) * n + (n - (b + 1) * batch);
          progress({ kind: 'batch', step: m.steps, epoch, epochs, batch: b + 1, batches, loss, ...terms,
                     samplesPerSec: rate, eta: Math.max(remaining, 0) / rate });
          lastProgress = now;
        }
        if (now - sliceStart >= SLICE_MS) {
          activeMs += now - sliceStart;
          await yieldToInbox();
          while (run.paused && !run.stopping) await new Promise((resolve) => { run.resume = resolve; });
          sliceStart = performance.now();
          if (run.stopping) break;
          if (now - rateStart > 2000) { rateStart = sliceStart; rateSamples = 0; }
        }
      }
      if (run.stopping) break; // a stopped epoch is not evaluated, even if its last batch ran
      activeMs += performance.now() - sliceStart;
      if (follower) continue;
      const val = await evaluateTest(core, m, d);
      if (!val) break;
      const record = { epoch, trainLoss: lossSum / done, valLoss: val.loss, mse: val.mse, psnr: val.psnr,
                       ssim: val.ssim, seconds: (performance.now() - epochStart) / 1000 };
      if (m.config.variational) {
        // The two terms of the loss, each as the engine defines it: reconstruction per pixel, KL
        // in nats per image (the loss adds beta * KL / pixels).
        Object.assign(record, { trainRecon: reconSum / done, trainKl: klSum / done, valKl: val.kl,
                                valRecon: val.loss - m.config.beta * val.kl / m.inputSize });
      }
      // A run can collapse without diverging: worse than the mean image is worse than ignoring
      // the input. Its figure comes with the record so the page can say so with the number.
      const baseline = meanImageBaseline(m, d);
      record.baselineLoss = baseline.loss;
      record.collapsed = val.loss > baseline.loss;
      history.push(record);
      progress({ kind: 'epoch', ...record });
    }
  } finally {
    // Whichever replica ends first (stop, error, or the last batch) releases the other, which may
    // be waiting for its gradients; after a normal end the message is a stale one, dropped later.
    if (parallel) peer.postMessage({ runId: parallel.runId, stop: true });
    run = null;
  }
  return { epochs: history.length, history, samples: samplesDone, ...(parallel ? { timing: parallel.timing } : {}),
           samplesPerSec: samplesDone / Math.max(activeMs, 1e-3) * 1000,
           seconds: (performance.now() - started) / 1000 };
}

// Per-unit statistics of n codes of dim numbers: min, max, mean and standard deviation.
function unitStats(z, count, dim) {
  const min = new Float32Array(dim).fill(Infinity), max = new Float32Array(dim).fill(-Infinity);
  const mean = new Float64Array(dim), variance = new Float64Array(dim);
  for (let i = 0; i < count; i++)
    for (let k = 0; k < dim; k++) {
      const v = z[i * dim + k];
      if (v < min[k]) min[k] = v;
      if (v > max[k]) max[k] = v;
      mean[k] += v / count;
    }
  for (let i = 0; i < count; i++)
    for (let k = 0; k < dim; k++) variance[k] += (z[i * dim + k] - mean[k]) ** 2 / count;
  return { count, min, max, mean: Float32Array.from(mean), std: Float32Array.from(variance, Math.sqrt) };
}

// The statistics of the codes of the first `count` test images: the sliders' ranges.
function latentStats(m, d, count) {
  count = Math.min(Math.max(1, count | 0), d.test.count);
  const z = new Float32Array(count * m.latentDim);
  forTestImages(m, d, count, 1000, (images, start) => z.set(m.encode(images), start * m.latentDim));
  return unitStats(z, count, m.latentDim);
}

// The first `count` test images as floats, `chunk` at a time: fn(images, offset, n).
function forTestImages(m, d, count, chunk, fn) {
  const size = m.inputSize;
  for (let start = 0; start < count; start += chunk) {
    const n = Math.min(chunk, count - start);
    const bytes = coreHeap().subarray(d.test.dataPtr + start * size, d.test.dataPtr + (start + n) * size);
    const images = new Float32Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) images[i] = bytes[i] / 255;
    fn(images, start, n);
  }
}

// The latent map: the latents (the means, for a VAE) of the first `count` test images, their
// labels, per-unit statistics (the sliders' ranges, dead units) and their PCA.
function latentMap(core, m, d, { count = 2000 }) {
  if (!Number.isInteger(count) || count < 2 || count > Math.min(MAP_MAX, d.test.count))
    throw new EngineError('arg', `the latent map takes 2..${Math.min(MAP_MAX, d.test.count)} test images (got ${count})`);
  const dim = m.latentDim, variational = Boolean(m.config.variational);
  const latents = new Float32Array(count * dim);
  const sigmaMean = variational ? new Float32Array(dim) : null;
  forTestImages(m, d, count, 1000, (images, start, n) => {
    if (!variational) {
      latents.set(m.encode(images), start * dim);
      return;
    }
    const { mu, logvar } = m.encodeDist(images);
    latents.set(mu, start * dim);
    for (let i = 0; i < n * dim; i++) sigmaMean[i % dim] += Math.exp(0.5 * logvar[i]) / count;
  });
  const started = performance.now();
  const pca = core.pca(latents, count, dim, Math.min(2, dim));
  const pcaMs = performance.now() - started;
  return { count, dim, latents, labels: d.test.labels.slice(0, count), pca, pcaMs,
           stats: { ...unitStats(latents, count, dim), sigmaMean } };
}

// t-SNE of the given points, run in slices of about SLICE_MS so that the inbox (cancel, trace,
// training) is served; progress carries the embedding as it forms. One t-SNE at a time: a new one
// cancels the one before.
let tsneJob = null;
async function tsne(core, { points, dim, perplexity = 30, seed = 1 }) {
  if (!(points instanceof Float32Array) || !Number.isInteger(dim) || dim < 1 || points.length % dim !== 0)
    throw new EngineError('arg', 't-SNE needs points as a Float32Array of n x dim values');
  const started = performance.now();
  const t = new core.Tsne(points, points.length / dim, dim, perplexity, seed); // may refuse: nothing to cancel then
  if (tsneJob) tsneJob.cancelled = true;
  const job = { cancelled: false };
  tsneJob = job;
  try {
    const total = t.total;
    let done = 0, step = 2, lastProgress = 0;
    while (done < total) {
      const sliceStart = performance.now();
      done = t.run(Math.min(step, total - done));
      const now = performance.now();
      // As many iterations per slice as fit in SLICE_MS, judged by the last slice.
      step = Math.max(1, Math.min(100, Math.round(step * SLICE_MS / Math.max(now - sliceStart, 0.1))));
      if (now - lastProgress >= PROGRESS_INTERVAL_MS && done < total) {
        progress({ kind: 'tsne', done, total, embedding: t.embedding() });
        lastProgress = now;
      }
      await yieldToInbox();
      if (job.cancelled) throw new EngineError('cancelled', 't-SNE was cancelled');
    }
    return { embedding: t.embedding(), iterations: done, ms: performance.now() - started };
  } finally {
    t.destroy();
    if (tsneJob === job) tsneJob = null;
  }
}

function control(type) {
  if (!run) return { running: false };
  if (type === 'pause') run.paused = true;
  if (type === 'resume') run.paused = false;
  if (type === 'stop') run.stopping = true;
  if (type !== 'pause' && run.resume) { run.resume(); run.resume = null; }
  return { running: true, paused: run.paused, stopping: run.stopping };
}

function testImages(core, { count = 1, offset = 0 }) {
  const d = requireDataset();
  if (!Number.isInteger(count) || !Number.isInteger(offset) || count < 1 || offset < 0 || offset + count > d.test.count)
    throw new EngineError('arg', `testImages: count and offset must select within the ${d.test.count} test images (got count ${count}, offset ${offset})`);
  const size = d.shape[0] * d.shape[1] * d.shape[2];
  const bytes = core.heap().subarray(d.test.dataPtr + offset * size, d.test.dataPtr + (offset + count) * size);
  const images = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) images[i] = bytes[i] / 255;
  return { images, labels: d.test.labels.slice(offset, offset + count), shape: d.shape };
}

async function handle(core, msg) {
  switch (msg.type) {
    case 'ping': return { ready: true };
    case 'schema': return { schema: core.schema() };
    case 'peer': setPeer(msg.port); return { peer: true };
    case 'loadDataset': return loadDataset(core, msg);
    case 'configure': return configure(core, msg);
    case 'train': return train(core, msg);
    case 'pause': case 'resume': case 'stop': return control(msg.type);
    case 'trace': {
      // metrics compare the output with msg.target (the clean image when the input is corrupted).
      const m = requireModel();
      const stages = m.trace(msg.image);
      const latent = stages[2].data, output = stages[6].data;
      // A VAE's latent stage is the mean; the spread of the code for this image comes with it.
      const sigma = m.config.variational ? m.encodeDist(msg.image).logvar.map((v) => Math.exp(0.5 * v)) : null;
      return { stages, latent, sigma, output, metrics: m.compare(output, msg.target ?? msg.image) };
    }
    case 'load': {
      // A model file: metadata first (it explains a refusal better), then the strict load.
      if (run) throw new EngineError('busy', 'cannot load a model while training: stop the run first');
      if (!(msg.bytes instanceof Uint8Array)) throw new EngineError('arg', 'load needs the file as a Uint8Array');
      const metadata = core.fileMetadata(msg.bytes);
      const next = new core.Model(null, msg.bytes);
      model?.destroy();
      model = next;
      return { ...describeModel(model), metadata };
    }
    case 'describe': {
      // Sizes of a config without replacing the current model: for the config panel.
      const probe = new core.Model(JSON.stringify(msg.config ?? {}));
      try {
        return describeModel(probe);
      } finally {
        probe.destroy();
      }
    }
    case 'latentStats': return latentStats(requireModel(), requireDataset(), msg.count ?? 1000);
    case 'latentMap': return latentMap(core, requireModel(), requireDataset(), msg);
    case 'tsne': return tsne(core, msg);
    case 'tsneCancel': {
      const running = Boolean(tsneJob);
      if (tsneJob) tsneJob.cancelled = true;
      return { cancelled: running };
    }
    case 'decode': {
      const m = requireModel();
      const images = m.decode(msg.latents);
      const stages = m.traceLatent(msg.latents.slice(0, m.latentDim));
      return { images, stages };
    }
    case 'encode': return { latents: requireModel().encode(msg.images) };
    case 'evaluate': {
      const result = await evaluateTest(core, requireModel(), requireDataset(), msg.limit);
      if (!result) throw new EngineError('busy', 'the run stopped during this evaluation: ask again');
      return result;
    }
    case 'testImages': return testImages(core, msg);
    case 'getWeights': return { weights: requireModel().getParams() };
    case 'setWeights': {
      if (run) throw new EngineError('busy', 'cannot set weights while training: stop the run first');
      requireModel().setParams(msg.weights);
      return { params: model.paramCount };
    }
    case 'save': return { bytes: requireModel().save(msg.metadata) };
    case 'trap': return core.trap(); // for the crash-recovery tests: a deliberate WASM trap
    case 'heap': return { bytes: core.heapBytes(), used: core.heapUsed() };
    case 'dispose': {
      if (run) { run.stopping = true; run.resume?.(); }
      model?.destroy();
      model = null;
      return { disposed: true };
    }
    default: throw new EngineError('arg', `unknown request type "${msg.type}"`);
  }
}

// Every typed array's buffer in a result is transferred, not copied.
function transferables(value, out = []) {
  if (ArrayBuffer.isView(value)) out.push(value.buffer);
  else if (Array.isArray(value)) value.forEach((v) => transferables(v, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => transferables(v, out));
  return out;
}

self.onmessage = async (event) => {
  const msg = event.data ?? {};
  try {
    const core = await corePromise;
    const result = await handle(core, msg);
    post({ id: msg.id, ok: true, result }, [...new Set(transferables(result))]);
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError) {
      // A trap leaves the module's memory in an unknown state: this worker is done. The page
      // starts a new one and restores the model from its autosave.
      post({ type: 'fatal', message: `the engine stopped: ${e.message}` });
      post({ id: msg.id, ok: false, error: { code: 'crashed', message: `the engine stopped: ${e.message}` } });
      self.close();
      return;
    }
    const error = e instanceof EngineError ? { code: e.code, message: e.message }
                                           : { code: 'internal', message: String(e?.message ?? e) };
    post({ id: msg.id, ok: false, error });
  }
};
