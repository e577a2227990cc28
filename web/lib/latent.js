// latent.js — the latent maths of the page: PCA projections and their inverse, the marker's place
// on a t-SNE map, interpolation paths, samples from the prior. Pure: no DOM, no engine, no state.

// One draw from N(0, 1) (Box–Muller); `random` is a uniform [0, 1) source.
export function gaussian(random = Math.random) {
  const u = 1 - random(), v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

// Keeps each principal axis of `pca` pointing the way it pointed in `before` (flipping the axis and
// the projections along it in place), so the map does not flip over between two updates.
export function alignAxes(pca, before) {
  if (!before || before.mean.length !== pca.mean.length) return;
  const d = pca.mean.length, k = pca.variance.length;
  for (let a = 0; a < k; a++) {
    let dot = 0;
    for (let j = 0; j < d; j++) dot += pca.components[a * d + j] * before.components[a * d + j];
    if (dot >= 0) continue;
    for (let j = 0; j < d; j++) pca.components[a * d + j] *= -1;
    for (let i = a; i < pca.proj.length; i += k) pca.proj[i] *= -1;
  }
}

// A deterministic spread in [-0.35, 0.35) for the strip plot of a 1-D code (classes on rows).
export const jitter = (i) => (((i * 2654435761) >>> 0) % 1000 / 1000 - 0.5) * 0.7;

// The map's points for the PCA view: the two leading axes, or a 1-D code against its class.
export function pcaPoints({ count, pca, labels }) {
  if (pca.variance.length === 2) return pca.proj;
  const points = new Float32Array(count * 2);
  for (let i = 0; i < count; i++) {
    points[2 * i] = pca.proj[i];
    points[2 * i + 1] = labels[i] + jitter(i);
  }
  return points;
}

// The codes' total variance: the sum over units of std² (what the PCA plane keeps a share of).
export const totalVariance = (std) => Array.from(std).reduce((a, s) => a + s * s, 0);

// Code z's coordinates along the PCA axes: [p1, p2], or [p1, 0] for a single axis.
export function projectPca({ mean, components, variance }, z) {
  const d = mean.length, p = [0, 0];
  for (let k = 0; k < variance.length; k++)
    for (let j = 0; j < d; j++) p[k] += (z[j] - mean[j]) * components[k * d + j];
  return p;
}

// The code at a point of the PCA plane: the mean plus the point's coordinates along the axes
// (y is ignored when there is one axis).
export function inversePca({ mean, components, variance }, x, y) {
  const d = mean.length, z = Float32Array.from(mean);
  for (let j = 0; j < d; j++) z[j] += x * components[j] + (variance.length > 1 ? y * components[d + j] : 0);
  return z;
}

// t-SNE places nothing new: a code sits at the inverse-distance-weighted mean place of its k nearest
// neighbours in code space. latents: count×dim, embedding: count×2. Returns [x, y].
export function nearestPlacement({ latents, embedding, count, dim }, z, k = 8) {
  const best = [];
  for (let i = 0; i < count; i++) {
    let dist = 0;
    for (let j = 0; j < dim; j++) dist += (latents[i * dim + j] - z[j]) ** 2;
    if (best.length < k || dist < best.at(-1)[0]) {
      best.push([dist, i]);
      best.sort((a, b) => a[0] - b[0]);
      if (best.length > k) best.pop();
    }
  }
  let x = 0, y = 0, wsum = 0;
  for (const [dist, i] of best) {
    const w = 1 / (Math.sqrt(dist) + 1e-6);
    x += w * embedding[2 * i];
    y += w * embedding[2 * i + 1];
    wsum += w;
  }
  return [x / wsum, y / wsum];
}

// The code at t in [0, 1] from a to b: a straight line, or with `spherical` (a VAE) the great
// circle between them (slerp), which keeps the norm a sample from the prior would have instead of
// cutting through the low-probability middle. Nearly parallel codes fall back to the line.
export function along(a, b, t, { spherical = false } = {}) {
  const z = new Float32Array(a.length);
  let omega = 0;
  if (spherical) {
    let ab = 0, aa = 0, bb = 0;
    for (let j = 0; j < a.length; j++) { ab += a[j] * b[j]; aa += a[j] * a[j]; bb += b[j] * b[j]; }
    omega = Math.acos(Math.min(1, Math.max(-1, ab / Math.sqrt(aa * bb || 1))));
  }
  if (omega < 1e-4) {
    for (let j = 0; j < a.length; j++) z[j] = (1 - t) * a[j] + t * b[j];
    return z;
  }
  const wa = Math.sin((1 - t) * omega) / Math.sin(omega), wb = Math.sin(t * omega) / Math.sin(omega);
  for (let j = 0; j < a.length; j++) z[j] = wa * a[j] + wb * b[j];
  return z;
}

// The codes of a rows×cols grid of cell centres over bounds {x0, x1, y0, y1} of the PCA plane,
// top row first (y1 at the top), row-major: rows·cols·dim numbers for one decode.
export function manifoldLatents(pca, bounds, rows, cols) {
  const d = pca.mean.length, oneAxis = pca.variance.length === 1, out = new Float32Array(rows * cols * d);
  const { x0, x1, y0, y1 } = bounds;
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const x = x0 + (c + 0.5) * (x1 - x0) / cols, y = y1 - (r + 0.5) * (y1 - y0) / rows;
      out.set(inversePca(pca, x, oneAxis ? 0 : y), (r * cols + c) * d);
    }
  return out;
}
