// latent.js — the worker's latent-space analyses: the latent map (codes, unit statistics and PCA
// of test images) and t-SNE run in slices with progress and cancel. Knows no protocol or training.
import { EngineError } from '../errors.js';
import { checkInputShape, forTestImages } from './datasets.js';
import { PROGRESS_INTERVAL_MS, SLICE_MS, progress, yieldToInbox } from './messages.js';

const MAP_MAX = 10000;   // the most test images on the latent map
const ENCODE_CHUNK = 1000;

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

// The latent map: the latents (the means, for a VAE) of the first `count` test images, their
// labels, per-unit statistics (the sliders' ranges, dead units) and their PCA.
export function latentMap(core, m, d, { count = 2000 }) {
  if (!Number.isInteger(count) || count < 2 || count > Math.min(MAP_MAX, d.test.count))
    throw new EngineError('arg', `the latent map takes 2..${Math.min(MAP_MAX, d.test.count)} test images (got ${count})`);
  checkInputShape(m, d);
  const dim = m.latentDim, variational = Boolean(m.config.variational);
  const latents = new Float32Array(count * dim);
  const sigmaMean = variational ? new Float32Array(dim) : null;
  forTestImages(core, d, count, ENCODE_CHUNK, (images, start, n) => {
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
export async function tsne(core, { points, dim, perplexity = 30, seed = 1 }) {
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

// Ends the t-SNE under way (its call rejects with code 'cancelled'); says whether there was one.
export function cancelTsne() {
  const running = Boolean(tsneJob);
  if (tsneJob) tsneJob.cancelled = true;
  return { cancelled: running };
}
