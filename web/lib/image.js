// image.js — the pure image helpers of the page: MNIST-style preprocessing of a drawing and seeded
// corruption (noise, occlusion). Plain arrays in, plain arrays out: no DOM, no engine.
const SIDE = 28;            // MNIST images are 28×28
const BOX = 20;             // MNIST fits each digit's longer side into 20 px...
const CENTRE = 14;          // ...and puts its centre of mass at (14, 14) in pixel-index coordinates
const INK_THRESHOLD = 0.1;  // fainter pixels (anti-aliasing left by the eraser) are not ink

// Grey level in [0, 1] of every pixel. RGBA input is read as red × alpha so that white ink reads
// the same on an opaque black background and on a transparent one (where alpha carries the ink).
function greyLevels({ data, width, height }) {
  const count = width * height;
  const channels = data.length / count;
  if (channels !== 1 && channels !== 4)
    throw new RangeError(`preprocessMnist: data must hold 1 or 4 values per pixel (got ${data.length} for ${width}×${height})`);
  const grey = new Float32Array(count);
  const floats = data instanceof Float32Array || data instanceof Float64Array;
  if (channels === 1) {
    for (let i = 0; i < count; i++) grey[i] = floats ? data[i] : data[i] / 255;
  } else {
    for (let i = 0; i < count; i++)
      grey[i] = floats ? data[4 * i] * data[4 * i + 3] : (data[4 * i] * data[4 * i + 3]) / 65025;
  }
  return grey;
}

// Area-averaging resample of one axis: each output sample is the mean of the source interval it
// covers, with partial pixels weighted by overlap, so a 2-px stroke shrunk 10× still leaves a trace
// (nearest neighbour would drop it or not, depending on where it falls).
function resampleAxis(src, srcLen, dstLen, lines, srcStride, srcStep, dst, dstStride, dstStep) {
  const ratio = srcLen / dstLen;
  for (let line = 0; line < lines; line++) {
    for (let t = 0; t < dstLen; t++) {
      const start = t * ratio, end = start + ratio;
      let sum = 0;
      for (let s = Math.floor(start); s < Math.min(srcLen, Math.ceil(end)); s++)
        sum += src[line * srcStride + s * srcStep] * (Math.min(end, s + 1) - Math.max(start, s));
      dst[line * dstStride + t * dstStep] = sum / ratio;
    }
  }
}

// The MNIST recipe (LeCun et al.): crop the ink, scale its longer side to 20 px keeping the aspect
// ratio, then place it in 28×28 so that its centre of mass sits at (14, 14). Input: an ImageData
// or {data, width, height} with RGBA or single-channel data. Output: Float32Array(784) in [0, 1].
export function preprocessMnist(image) {
  const { width, height } = image;
  const grey = greyLevels(image);
  const out = new Float32Array(SIDE * SIDE);

  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (grey[y * width + x] <= INK_THRESHOLD) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  if (x1 < 0) return out;

  const boxWidth = x1 - x0 + 1, boxHeight = y1 - y0 + 1;
  const scale = BOX / Math.max(boxWidth, boxHeight);
  const patchWidth = Math.max(1, Math.min(BOX, Math.round(boxWidth * scale)));
  const patchHeight = Math.max(1, Math.min(BOX, Math.round(boxHeight * scale)));

  // Rows first (boxHeight × patchWidth), then columns (patchHeight × patchWidth).
  const crop = grey.subarray(y0 * width + x0);
  const rows = new Float32Array(boxHeight * patchWidth);
  resampleAxis(crop, boxWidth, patchWidth, boxHeight, width, 1, rows, patchWidth, 1);
  const patch = new Float32Array(patchHeight * patchWidth);
  resampleAxis(rows, boxHeight, patchHeight, patchWidth, 1, patchWidth, patch, 1, patchWidth);

  let mass = 0, massX = 0, massY = 0;
  for (let i = 0; i < patch.length; i++) {
    const v = Math.min(1, Math.max(0, patch[i]));
    patch[i] = v;
    mass += v;
    massX += v * (i % patchWidth);
    massY += v * Math.floor(i / patchWidth);
  }
  const centreX = mass > 0 ? massX / mass : (patchWidth - 1) / 2;
  const centreY = mass > 0 ? massY / mass : (patchHeight - 1) / 2;
  // Whole-pixel shifts keep the resampled values intact; clamping keeps lopsided digits in frame.
  const left = Math.min(SIDE - patchWidth, Math.max(0, Math.round(CENTRE - centreX)));
  const top = Math.min(SIDE - patchHeight, Math.max(0, Math.round(CENTRE - centreY)));
  for (let i = 0; i < patch.length; i++)
    out[(top + Math.floor(i / patchWidth)) * SIDE + left + (i % patchWidth)] = patch[i];
  return out;
}

// Small, fast, seedable PRNG (mulberry32): the same seed gives the same corruption everywhere.
function mulberry32(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function checkFraction(name, value) {
  if (!(value >= 0 && value <= 1)) throw new RangeError(`corrupt: ${name} must be 0..1 (got ${value})`);
}

// Gaussian noise of σ = noise (clipped to [0, 1]) and a black square of side occlusion × 28.
// The square's position is drawn before the noise so that moving the noise slider does not move it.
export function corrupt(image, { noise = 0, occlusion = 0, seed = 1 } = {}) {
  if (!image || image.length !== SIDE * SIDE)
    throw new RangeError(`corrupt: image must hold ${SIDE * SIDE} values (got ${image?.length})`);
  checkFraction('noise', noise);
  checkFraction('occlusion', occlusion);
  const out = Float32Array.from(image);
  const random = mulberry32(seed);
  const side = Math.round(occlusion * SIDE);
  const left = Math.floor(random() * (SIDE - side + 1));
  const top = Math.floor(random() * (SIDE - side + 1));

  if (noise > 0) {
    for (let i = 0; i < out.length; i += 2) {
      // Box–Muller gives two independent normals per pair of uniforms; 1 − u keeps log away from 0.
      const radius = noise * Math.sqrt(-2 * Math.log(1 - random()));
      const angle = 2 * Math.PI * random();
      out[i] = Math.min(1, Math.max(0, out[i] + radius * Math.cos(angle)));
      if (i + 1 < out.length) out[i + 1] = Math.min(1, Math.max(0, out[i + 1] + radius * Math.sin(angle)));
    }
  }
  for (let y = top; y < top + side; y++) out.fill(0, y * SIDE + left, y * SIDE + left + side);
  return out;
}

