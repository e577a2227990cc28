// draw.test.mjs — the pure image helpers of web/views/draw.js in Node (no DOM): MNIST-style
// preprocessing of drawn strokes and the seeded corruption. The drawing pad itself is not tested here.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { corrupt, preprocessMnist } from '../../web/views/draw.js';

const PAD = 280;

// A black, opaque 280×280 RGBA buffer, as the pad's canvas reads back.
function blankPad() {
  const data = new Uint8ClampedArray(PAD * PAD * 4);
  for (let i = 3; i < data.length; i += 4) data[i] = 255;
  return { data, width: PAD, height: PAD };
}

// White ink wherever a pixel centre lies within `radius` of the segment (ax, ay)–(bx, by): a stroke
// with round caps, like the pad's.
function stroke(image, [ax, ay], [bx, by], radius) {
  const dx = bx - ax, dy = by - ay, length2 = dx * dx + dy * dy;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const px = x + 0.5, py = y + 0.5;
      const t = length2 > 0 ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / length2)) : 0;
      if (Math.hypot(px - (ax + t * dx), py - (ay + t * dy)) > radius) continue;
      const i = 4 * (y * image.width + x);
      image.data[i] = image.data[i + 1] = image.data[i + 2] = 255;
    }
  }
  return image;
}

// Ink bounding box (values > 0) and centre of mass, in pixel-index coordinates as MNIST uses.
function describe(image28) {
  let x0 = 28, y0 = 28, x1 = -1, y1 = -1, mass = 0, massX = 0, massY = 0;
  for (let i = 0; i < 784; i++) {
    const v = image28[i], x = i % 28, y = Math.floor(i / 28);
    if (v <= 0) continue;
    x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    mass += v; massX += v * x; massY += v * y;
  }
  return { width: x1 - x0 + 1, height: y1 - y0 + 1, centreX: massX / mass, centreY: massY / mass, x0, y0, x1, y1 };
}

function assertInUnitRange(image28) {
  for (let i = 0; i < image28.length; i++)
    assert.ok(image28[i] >= 0 && image28[i] <= 1, `pixel ${i} is ${image28[i]}, outside [0, 1]`);
}

function assertMnistFramed(image28, what) {
  const box = describe(image28);
  const longer = Math.max(box.width, box.height);
  assert.ok(Math.abs(longer - 20) <= 1, `${what}: longer side of the ink box is ${longer}, not 20 ± 1`);
  assert.ok(Math.abs(box.centreX - 14) <= 0.5 && Math.abs(box.centreY - 14) <= 0.5,
    `${what}: centre of mass at (${box.centreX.toFixed(2)}, ${box.centreY.toFixed(2)}), not within 0.5 of (14, 14)`);
  return box;
}

test('a thick diagonal stroke becomes a 20-px, mass-centred MNIST image', () => {
  const image = preprocessMnist(stroke(blankPad(), [60, 40], [220, 250], 10));
  assert.ok(image instanceof Float32Array);
  assert.equal(image.length, 784);
  assertInUnitRange(image);
  const box = assertMnistFramed(image, 'diagonal');
  assert.ok(box.width < box.height, 'the aspect ratio is kept (the stroke is taller than wide)');
  // Area averaging keeps a solid core: the stroke is about 1.8 px wide after scaling.
  assert.ok(Math.max(...image) > 0.9, `the stroke's core should stay near 1 (max ${Math.max(...image)})`);
});

test('a "7" (two strokes, top-heavy) is framed like MNIST', () => {
  const pad = blankPad();
  stroke(pad, [70, 60], [210, 60], 9);
  stroke(pad, [210, 60], [120, 240], 9);
  const image = preprocessMnist(pad);
  assertInUnitRange(image);
  assertMnistFramed(image, 'seven');
});

test('an off-centre blob is moved to the centre and scaled to 20 px', () => {
  const image = preprocessMnist(stroke(blankPad(), [40, 235], [40, 235], 18));
  assertInUnitRange(image);
  const box = assertMnistFramed(image, 'corner blob');
  assert.ok(Math.abs(box.width - box.height) <= 1, `a round blob stays round (${box.width}×${box.height})`);
});

test('a blob smaller than 20 px is scaled up to 20 px', () => {
  const image = preprocessMnist(stroke(blankPad(), [250, 20], [254, 24], 3));
  assertInUnitRange(image);
  assertMnistFramed(image, 'tiny blob');
});

test('a thin 1-px stroke survives the 10× reduction', () => {
  const pad = blankPad();
  stroke(pad, [140, 20], [140, 260], 0.5); // one pixel wide, 240 tall
  stroke(pad, [100, 20], [180, 20], 0.5);  // a thin cap so that the box is not degenerate
  const image = preprocessMnist(pad);
  const inked = image.filter((v) => v > 0).length;
  assert.ok(inked >= 20, `the thin vertical stroke left only ${inked} non-zero pixels`);
  assertInUnitRange(image);
});

test('an empty pad gives all zeros', () => {
  const image = preprocessMnist(blankPad());
  assert.equal(image.length, 784);
  assert.ok(image.every((v) => v === 0));
});

test('faint specks below the ink threshold count as empty', () => {
  const pad = blankPad();
  for (let i = 0; i < pad.data.length; i += 4 * 97) pad.data[i] = 12; // ~5 % grey, like eraser residue
  assert.ok(preprocessMnist(pad).every((v) => v === 0));
});

test('white ink on a transparent canvas reads like ink on black', () => {
  const opaque = stroke(blankPad(), [80, 80], [200, 200], 12);
  const transparent = { data: new Uint8ClampedArray(opaque.data.length), width: PAD, height: PAD };
  for (let i = 0; i < opaque.data.length; i += 4) {
    const ink = opaque.data[i];
    transparent.data.set([255, 255, 255, ink], i);
  }
  assert.deepEqual(preprocessMnist(transparent), preprocessMnist(opaque));
});

test('single-channel input (a 28×28 MNIST-like image) is accepted', () => {
  const grey = new Float32Array(784);
  for (let y = 4; y < 24; y++) for (let x = 12; x < 16; x++) grey[y * 28 + x] = 1;
  const image = preprocessMnist({ data: grey, width: 28, height: 28 });
  assertMnistFramed(image, 'a bar');
  assert.throws(() => preprocessMnist({ data: new Uint8Array(10), width: 28, height: 28 }), RangeError);
});

// A smooth test image: values spread over [0, 1].
function ramp() {
  const image = new Float32Array(784);
  for (let i = 0; i < 784; i++) image[i] = (i % 28) / 27;
  return image;
}

test('corrupt with no noise and no occlusion is the identity, as a new array', () => {
  const image = ramp();
  const out = corrupt(image, { noise: 0, occlusion: 0, seed: 7 });
  assert.notEqual(out, image);
  assert.deepEqual(out, image);
  assert.deepEqual(corrupt(image), image);
});

test('corrupt is deterministic for a seed and varies between seeds', () => {
  const image = ramp();
  const options = { noise: 0.3, occlusion: 0.25, seed: 42 };
  assert.deepEqual(corrupt(image, options), corrupt(image, options));
  assert.notDeepEqual(corrupt(image, options), corrupt(image, { ...options, seed: 43 }));
  assert.deepEqual(image, ramp(), 'the input is left untouched');
});

test('corrupt noise has the requested σ and is clipped to [0, 1]', () => {
  const grey = new Float32Array(784).fill(0.5);
  const noisy = corrupt(grey, { noise: 0.1, seed: 3 });
  const mean = noisy.reduce((a, v) => a + v, 0) / 784;
  const sigma = Math.sqrt(noisy.reduce((a, v) => a + (v - mean) ** 2, 0) / 784);
  assert.ok(Math.abs(mean - 0.5) < 0.02, `mean ${mean}`);
  assert.ok(Math.abs(sigma - 0.1) < 0.015, `σ ${sigma}`);
  assertInUnitRange(corrupt(ramp(), { noise: 1, seed: 3 }));
});

test('occlusion 0.5 zeroes one 14×14 square, wherever the seed puts it', () => {
  for (const seed of [1, 2, 3, 99, 123456]) {
    const ones = new Float32Array(784).fill(1);
    const out = corrupt(ones, { occlusion: 0.5, seed });
    const zeros = [];
    out.forEach((v, i) => { if (v === 0) zeros.push(i); });
    assert.equal(zeros.length, 196, `seed ${seed}: ${zeros.length} zeroed pixels`);
    const xs = zeros.map((i) => i % 28), ys = zeros.map((i) => Math.floor(i / 28));
    assert.equal(Math.max(...xs) - Math.min(...xs) + 1, 14, `seed ${seed}: width`);
    assert.equal(Math.max(...ys) - Math.min(...ys) + 1, 14, `seed ${seed}: height`);
  }
});

test('the occluder does not move when only the noise changes', () => {
  const ones = new Float32Array(784).fill(1);
  const clean = corrupt(ones, { occlusion: 0.3, seed: 5 });
  const noisy = corrupt(ones, { occlusion: 0.3, noise: 0.2, seed: 5 });
  for (let i = 0; i < 784; i++) if (clean[i] === 0) assert.equal(noisy[i], 0, `pixel ${i}`);
});

test('corrupt rejects out-of-range settings and wrong sizes', () => {
  assert.throws(() => corrupt(ramp(), { noise: 1.5 }), /noise must be 0\.\.1 \(got 1\.5\)/);
  assert.throws(() => corrupt(ramp(), { occlusion: -0.1 }), /occlusion must be 0\.\.1/);
  assert.throws(() => corrupt(new Float32Array(10)), RangeError);
});
