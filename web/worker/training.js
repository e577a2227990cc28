// training.js — the training run of the worker: the batch loop in slices, pause/resume/stop, the
// epoch's evaluation, and the two-worker gradient exchange. Knows no protocol and no download.
import { EngineError } from '../errors.js';
import { checkInputShape } from './datasets.js';
import { PROGRESS_INTERVAL_MS, SLICE_MS, progress, yieldToInbox } from './messages.js';

const EVAL_CHUNK = 500; // test images evaluated between two looks at the inbox

let run = null; // the training run in progress: {paused, stopping, resume}

export function isTraining() {
  return run !== null;
}

// pause, resume or stop the run in progress; says where it stands.
export function control(type) {
  if (!run) return { running: false };
  if (type === 'pause') run.paused = true;
  if (type === 'resume') run.paused = false;
  if (type === 'stop') run.stopping = true;
  if (type !== 'pause' && run.resume) { run.resume(); run.resume = null; }
  return { running: true, paused: run.paused, stopping: run.stopping };
}

// Holds the run here while it is paused; true if it was stopped meanwhile.
async function waitWhilePaused() {
  while (run.paused && !run.stopping) await new Promise((resolve) => { run.resume = resolve; });
  return run.stopping;
}

// ---------------------------------------------------------------- data-parallel peers
// With two or more workers, each holds a replica of the model and the data set; during training
// they combine gradients every batch. Two swap them over one MessagePort; three or more pass
// chunks round a ring (each sends to the next rank and hears from the previous one). Messages
// carry the run's id: those of a run that was stopped mid-exchange are dropped by the next.
let peer = null; // the port this replica sends on
const peerInbox = [], peerWaiters = [];

// port: where to send; from: where the messages come from (the same port with two workers).
export function setPeer(port, from = port) {
  peer = port;
  from.onmessage = (event) => {
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
// ({loss, recon, kl}: the engine's figures for each share, weighted by its images), or null if
// rank 0 stopped.
// No allocation per batch: the gradients travel in a buffer that each replica fills and transfers,
// and the buffer it receives is the one it sends next time (a garbage collection in one replica
// would stall both).
// This replica's share of a batch: images first .. first + mine - 1 of it. Leaves the share's mean
// gradient in the engine's gradient buffer (zeros for an empty share); {loss, terms} of the share.
function shareGradient(m, d, idxPtr, first, mine) {
  if (mine === 0) {
    m.gradientView().fill(0);
    return { loss: 0, terms: { recon: 0, kl: 0 } };
  }
  const loss = m.gradientsU8(d.train.dataPtr, idxPtr + first * 4, mine, first);
  return { loss, terms: m.lastTerms() };
}

async function parallelStep(m, d, idxPtr, count, par) {
  const share = Math.ceil(count / 2);
  const mine = par.rank === 0 ? share : count - share;
  const first = par.rank === 0 ? 0 : share;
  const t0 = performance.now();
  const { loss, terms } = shareGradient(m, d, idxPtr, first, mine);
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

// One batch split between `size` >= 3 replicas round a ring: rank r takes images
// floor(r * count / size) .. floor((r + 1) * count / size) - 1, weights its share's mean gradient by
// its images, and the weighted gradients are summed chunk by chunk (a ring all-reduce: size - 1
// steps that add, size - 1 that pass the finished chunks on). Each chunk is summed in one fixed
// order, and every replica ends with the same finished chunks, so all apply the same update.
// Returns {loss, recon, kl} for the batch, or null if a replica stopped. The chunks travel in
// buffers that come back to a pool: nothing but small views is allocated per batch.
async function ringStep(m, d, idxPtr, count, par) {
  const { rank, size } = par;
  const first = Math.floor(rank * count / size), mine = Math.floor((rank + 1) * count / size) - first;
  const t0 = performance.now();
  const { loss, terms } = shareGradient(m, d, idxPtr, first, mine);
  const g = m.gradientView(), P = g.length, weight = mine / count;
  for (let k = 0; k < P; k++) g[k] *= weight;
  const lo = (c) => Math.floor(c * P / size), hi = (c) => Math.floor((c + 1) * P / size);
  const longest = Math.ceil(P / size);
  par.pool ??= [];
  const send = (chunk, stat) => {
    let buffer = par.pool.pop();
    if (!buffer || buffer.byteLength < longest * 4) buffer = new ArrayBuffer(longest * 4);
    const data = new Float32Array(buffer, 0, hi(chunk) - lo(chunk));
    data.set(g.subarray(lo(chunk), hi(chunk)));
    peer.postMessage({ runId: par.runId, chunk, stat, data }, [buffer]);
  };
  const t1 = performance.now();
  let waitMs = 0;
  const receive = async () => {
    const w0 = performance.now();
    const msg = await fromPeer(par.runId);
    waitMs += performance.now() - w0;
    return msg;
  };
  const stats = new Array(size);
  stats[rank] = { n: mine, loss, ...terms };
  // Reduce: at step s this replica sends its partial sum of chunk rank - s and adds its own share
  // to the partial sum of chunk rank - s - 1 that arrives; the stats of rank - s ride along.
  for (let s = 0; s < size - 1; s++) {
    send((rank - s + size) % size, stats[(rank - s + size) % size]);
    const msg = await receive();
    if (msg.stop) return null;
    const c = msg.chunk, part = msg.data;
    stats[(rank - s - 1 + size) % size] = msg.stat;
    for (let k = lo(c), j = 0; k < hi(c); k++, j++) g[k] = part[j] + g[k];
    par.pool.push(part.buffer);
  }
  // Gather: the finished chunk rank + 1 goes round; each replica copies the others in.
  for (let s = 0; s < size - 1; s++) {
    send((rank + 1 - s + size) % size, null);
    const msg = await receive();
    if (msg.stop) return null;
    g.set(msg.data, lo(msg.chunk));
    par.pool.push(msg.data.buffer);
  }
  const t2 = performance.now();
  const mean = (key) => stats.reduce((sum, st) => sum + st.n * st[key], 0) / count;
  m.applyGradients(mean('loss'));
  par.timing.computeMs += t1 - t0;
  par.timing.waitMs += waitMs;
  par.timing.updateMs += performance.now() - t2 + (t2 - t1 - waitMs);
  return { loss: mean('loss'), recon: mean('recon'), kl: mean('kl') };
}

// ---------------------------------------------------------------- evaluation
// The mean of the engine's metrics over the first `limit` test images, EVAL_CHUNK at a time; null
// if a run in progress was stopped meanwhile (the model may be gone).
export async function evaluateTest(m, d, limit = d.test.count) {
  const sums = { loss: 0, mse: 0, psnr: 0, ssim: 0, kl: 0, recon: 0 };
  const size = m.inputSize;
  for (let start = 0; start < limit; start += EVAL_CHUNK) {
    const n = Math.min(EVAL_CHUNK, limit - start);
    const r = m.evaluateU8(d.test.dataPtr + start * size, n);
    for (const k in sums) sums[k] += r[k] * n;
    if (run) {
      await yieldToInbox();
      if (run?.stopping) return null;
    }
  }
  for (const k in sums) sums[k] /= limit;
  return sums;
}

// The mean training image's validation metrics under the model's loss, once per data set and loss.
function meanImageBaseline(m, d) {
  d.baselines ??= new Map();
  const key = `${m.config.loss}:${m.inputSize}`;
  if (!d.baselines.has(key)) d.baselines.set(key, m.meanImageU8(d.train.dataPtr, d.train.count, d.test.dataPtr, d.test.count));
  return d.baselines.get(key);
}

// The epoch's record: the training figures summed over its batches and the validation set's.
async function epochRecord(m, d, epoch, sums, epochStart) {
  const val = await evaluateTest(m, d);
  if (!val) return null;
  const record = { epoch, trainLoss: sums.loss / sums.batches, valLoss: val.loss, mse: val.mse, psnr: val.psnr,
                   ssim: val.ssim, seconds: (performance.now() - epochStart) / 1000 };
  if (m.config.variational) {
    // The two terms of the loss, each as the engine reports it: reconstruction per pixel, KL in
    // nats per image.
    Object.assign(record, { trainRecon: sums.recon / sums.batches, trainKl: sums.kl / sums.batches, valKl: val.kl,
                            valRecon: val.recon });
  }
  // A run can collapse without diverging: worse than the mean image is worse than ignoring the
  // input. Its figure comes with the record so the page can say so with the number.
  const baseline = meanImageBaseline(m, d);
  record.baselineLoss = baseline.loss;
  record.collapsed = val.loss > baseline.loss;
  return record;
}

// ---------------------------------------------------------------- the run
// Checks the run's arguments against the model and the data set; returns {epochs, limit}.
function checkRun(m, d, epochRange, { epochs, limit }) {
  checkInputShape(m, d);
  epochs = epochs ?? m.config.epochs;
  if (!Number.isInteger(epochs) || epochs < epochRange.min || epochs > epochRange.max)
    throw new EngineError('arg', `epochs must be an integer ${epochRange.min}..${epochRange.max} (got ${epochs})`);
  limit = limit ?? d.train.count;
  if (!Number.isInteger(limit) || limit < 1 || limit > d.train.count)
    throw new EngineError('arg', `limit must be an integer 1..${d.train.count} (got ${limit})`);
  return { epochs, limit };
}

// Trains model m on data set d. epochRange: the config's range for epochs ({min, max}, from the
// engine's schema); args: {epochs, limit, parallel: {rank, size, runId} with two or more workers}.
export async function train(m, d, epochRange, args) {
  const { epochs, limit } = checkRun(m, d, epochRange, args);
  const { parallel } = args;
  // A limit trains on the first `limit` training images, shuffled among themselves.
  const n = limit, batch = m.batchSize, batches = Math.ceil(n / batch);
  m.planRun(batches); // a cosine or one-cycle schedule spans the config's epochs of these batches
  if (parallel && !peer) throw new EngineError('state', 'parallel training needs a peer worker');
  const follower = parallel?.rank > 0;   // rank 0 reports progress and evaluates; the others follow
  const history = [];
  run = { paused: false, stopping: false, resume: null };
  if (parallel) parallel.timing = { computeMs: 0, waitMs: 0, updateMs: 0 };
  const started = performance.now();
  let samplesDone = 0, activeMs = 0;
  try {
    for (let epoch = 1; epoch <= epochs && !run.stopping; epoch++) {
      m.shuffle(d.perm, n);
      const sums = { loss: 0, recon: 0, kl: 0, batches: 0 };
      const epochStart = performance.now();
      let sliceStart = performance.now(), lastProgress = 0, rateSamples = 0, rateStart = sliceStart;
      for (let b = 0; b < batches; b++) {
        // A pause that arrived between slices (or during the last epoch's evaluation) holds here,
        // before the next batch.
        if (run.paused && !follower) {
          activeMs += performance.now() - sliceStart;
          await waitWhilePaused();
          sliceStart = performance.now();
        }
        if (run.stopping) break;
        const count = Math.min(batch, n - b * batch);
        let loss, terms;
        try {
          if (parallel) {
            const exchange = parallel.size > 2 ? ringStep : parallelStep;
            const step = await exchange(m, d, d.perm + b * batch * 4, count, parallel);
            if (step === null) { run.stopping = true; break; }
            ({ loss, ...terms } = step);
          } else {
            loss = m.trainBatchU8(d.train.dataPtr, d.perm + b * batch * 4, count);
            terms = m.lastTerms();
          }
        } catch (e) {
          if (e.code !== 'diverged') throw e;
          if (follower) { b--; continue; } // rank 0 decides; this replica retries with it
          // The engine refused the batch and put the model back to its last sane state (before the
          // update that blew it up): pause here and let the person decide (stop, or lower the
          // learning rate and Train more). The batch is tried again on Resume.
          run.paused = true;
          progress({ kind: 'diverged', step: m.steps + 1, epoch, batch: b + 1, message: e.message });
          if (await waitWhilePaused()) break;
          b--;
          sliceStart = performance.now();
          continue;
        }
        sums.loss += loss;
        sums.recon += terms.recon;
        sums.kl += terms.kl;
        sums.batches++;
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
          await waitWhilePaused();
          sliceStart = performance.now();
          if (run.stopping) break;
          if (now - rateStart > 2000) { rateStart = sliceStart; rateSamples = 0; }
        }
      }
      if (run.stopping) break; // a stopped epoch is not evaluated, even if its last batch ran
      activeMs += performance.now() - sliceStart;
      if (follower) continue;
      const record = await epochRecord(m, d, epoch, sums, epochStart);
      if (!record) break;
      history.push(record);
      progress({ kind: 'epoch', ...record });
    }
  } finally {
    // Whichever replica ends first (stop, error, or the last batch) releases the next one, which
    // may be waiting for its gradients and passes the stop on round a ring; after a normal end the
    // message is a stale one, dropped later.
    if (parallel) peer.postMessage({ runId: parallel.runId, stop: true });
    run = null;
  }
  return { epochs: history.length, history, samples: samplesDone, ...(parallel ? { timing: parallel.timing } : {}),
           samplesPerSec: samplesDone / Math.max(activeMs, 1e-3) * 1000,
           seconds: (performance.now() - started) / 1000 };
}
