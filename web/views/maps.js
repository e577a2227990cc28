// maps.js — colour scales and the drawing of one feature map (or image) into a canvas: one
// ImageData per canvas, filled in a flat loop. Knows nothing of the engine or the page layout.

// Viridis, as a degree-6 polynomial fit per channel (perceptually uniform, colour-blind safe).
const VIRIDIS = [
  [0.2777273272234177, 0.005407344544966578, 0.3340998053353061],
  [0.1050930431085774, 1.404613529898575, 1.384590162594685],
  [-0.3308618287255563, 0.214847559468213, 0.09509516302823659],
  [-4.634230498983486, -5.799100973351585, -19.33244095627987],
  [6.228269936347081, 14.17993336680509, 56.69055260068105],
  [4.776384997670288, -13.74514537774601, -65.35303263337234],
  [-5.435455855934631, 4.645852612178535, 26.3124352495832],
];

function lut(fn) {
  const table = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const rgb = fn(i / 255);
    for (let k = 0; k < 3; k++) table[i * 3 + k] = Math.max(0, Math.min(255, Math.round(rgb[k] * 255)));
  }
  return table;
}

export const viridis = lut((t) => [0, 1, 2].map((k) => {
  let v = 0;
  for (let p = VIRIDIS.length - 1; p >= 0; p--) v = v * t + VIRIDIS[p][k];
  return v;
}));

// Blue - near-black - orange, for signed values such as weights (0 sits in the middle).
export const diverging = lut((t) => {
  const s = t * 2 - 1, a = Math.abs(s) ** 0.8;
  return s < 0 ? [0.08 + 0.2 * a, 0.1 + 0.5 * a, 0.15 + 0.85 * a] : [0.1 + 0.9 * a, 0.1 + 0.6 * a, 0.15 + 0.1 * a];
});

// Greyscale for images, as MNIST shows them.
export const grey = lut((t) => [t, t, t]);

export function range(data, channel = 0, channels = 1) {
  let min = Infinity, max = -Infinity;
  for (let i = channel; i < data.length; i += channels) {
    const v = data[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

// Draws channel `channel` of an (h, w, channels) tensor into canvas (sized h x w) with the
// colour table, mapping [min, max] to [0, 1]. A zero-width range draws the low colour.
export function drawMap(canvas, data, { h, w, channel = 0, channels = 1, min, max, table = viridis }) {
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(w, h);
  const px = image.data;
  const scale = max > min ? 255 / (max - min) : 0;
  for (let i = 0, n = h * w; i < n; i++) {
    let t = Math.round((data[i * channels + channel] - min) * scale);
    t = t < 0 ? 0 : t > 255 ? 255 : t;
    px[i * 4] = table[t * 3];
    px[i * 4 + 1] = table[t * 3 + 1];
    px[i * 4 + 2] = table[t * 3 + 2];
    px[i * 4 + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

// Draws a colour-bar of the table into a canvas.
export function drawLegend(canvas, table = viridis) {
  canvas.width = 256;
  canvas.height = 1;
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(256, 1);
  for (let i = 0; i < 256; i++) {
    image.data.set([table[i * 3], table[i * 3 + 1], table[i * 3 + 2], 255], i * 4);
  }
  ctx.putImageData(image, 0, 0);
}

export function format(v, digits = 3) {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e4)) return v.toExponential(2);
  return v.toFixed(digits);
}
