// main.js — wires the page: the engine, the views and the user's actions. Holds the page state
// in one object; the views draw what they are given and the engine does all the computing.
import * as autosave from './autosave.js';
import { createEngine } from './engine.js';
import { cacheDataset, onOfflineReady } from './pwa.js';
import { decodeWeights, encodeWeights, fitsInLink, listenHash, parseHash, serializeHash, writeHash } from './state.js';
import { createLossChart, createRunsChart, RUN_COLOURS } from './views/charts.js';
import { createConfigForm, DEFAULT_CONFIG } from './views/config.js';
import { corrupt, createDrawPad } from './views/draw.js';
import { createInterpolation, STRIP } from './views/interpolate.js';
import { createLatentMap } from './views/latent.js';
import { drawMap, format, viridis } from './views/maps.js';
import { createPipeline } from './views/pipeline.js';

const $ = (id) => document.getElementById(id);
const LIVE_TRACE_MS = 350;            // how often the maps follow the training model
const LIVE_STATS_MS = 2500;           // how often the latent map and the sliders' ranges follow it
const MANIFOLD_GRID = 12;             // decoded images per side of the plane (a 1-D code: a row of 16)
const DEFAULT_GFLOPS = 10;            // speed assumed for estimates before the first run here
const GFLOPS_KEY = 'aevp.measuredGflops';

const state = {
  engine: null,
  dataset: null,       // what loadDataset returned
  model: null,         // what configure returned
  config: structuredClone(DEFAULT_CONFIG),
  source: 'test',
  testIndex: 0,
  testImage: null,
  noise: 0,
  occlusion: 0,
  training: false,
  paused: false,
  runs: [],
  runNumber: 0,
  lastTrace: null,
  history: [],
  epochOffset: 0,      // epochs already done when a run resumes after a reload
  epochsPlanned: 0,
  slidersMoved: false,
  restoring: true,     // no autosave or hash writes until the page has been set up
  map: null,           // what latentMap returned for the current model
  mapUpdates: 0,       // how many it has returned (for the tests)
  mapCount: 2000,
  projection: 'pca',
  tsne: null,          // {embedding, latents, labels, dim, count, stale, ms}
  ends: { A: null, B: null },  // the interpolation's inputs: {image, caption}
  endLatents: null,    // their codes under the current model: [zA, zB]
};

const status = (text) => { $('status').textContent = text; };

function showError(message) {
  $('error-text').textContent = message;
  $('error-banner').hidden = false;
}
$('error-close').addEventListener('click', () => { $('error-banner').hidden = true; });

// ---------------------------------------------------------------- views
const lossChart = createLossChart($('loss-chart'));
const runsChart = createRunsChart($('runs-chart'));
const pipeline = createPipeline($('pipeline'), $('legend'), {
  onLatent: (latent) => { state.slidersMoved = true; requestDecode(latent); updateMarker(); viewChanged(); },
  onReset: () => {
    if (!state.lastTrace) return;
    state.slidersMoved = false;
    pipeline.setSliders(state.lastTrace.latent);
    requestDecode(state.lastTrace.latent);
    updateMarker();
    viewChanged();
  },
  onRandom: () => setLatent(pipeline.randomLatent()),
  // N(0, 1) per unit: what a VAE's decoder was trained to turn into images.
  onPrior: () => setLatent(Float32Array.from({ length: state.model.latentDim }, gaussian)),
});
const form = createConfigForm($('config-form'), { onChange: ({ config }) => configChanged(config) });
const pad = createDrawPad($('draw-host'), { onChange: () => { if (state.source === 'draw') { state.slidersMoved = false; refresh(); viewChanged(); } } });

function gaussian() {
  const u = 1 - Math.random(), v = Math.random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

// The sliders take a code (from the map, the interpolation, a sample): the decoder follows.
function setLatent(z) {
  state.slidersMoved = true;
  pipeline.setSliders(z);
  requestDecode(z);
  updateMarker();
  viewChanged();
}

// ---------------------------------------------------------------- input
function cleanInput() {
  if (state.source === 'draw') return pad.getImage();
  return state.testImage ?? new Float32Array(784);
}

function currentInput() {
  const clean = cleanInput();
  if (!state.noise && !state.occlusion) return clean;
  return corrupt(clean, { noise: state.noise, occlusion: state.occlusion, seed: state.testIndex + 1 });
}

// Traces coalesce: while one is in flight, only the newest request waits behind it.
let traceBusy = false, traceAgain = false;
async function refresh() {
  if (!state.model || state.engineDead) return;
  if (traceBusy) { traceAgain = true; return; }
  traceBusy = true;
  try {
    do {
      traceAgain = false;
      const input = currentInput();
      const trace = await state.engine.trace(input, { target: cleanInput() });
      state.lastTrace = trace;
      pipeline.renderInput(input);
      if (state.slidersMoved) {
        // The user's slider values stay: only the encoder side follows the new input.
        pipeline.renderTrace({ ...trace, stages: trace.stages.slice(0, 2) }, { keepSliders: true });
        requestDecode(pipeline.currentLatent());
      } else {
        pipeline.renderTrace(trace);
        renderMetrics(trace.output, cleanInput(), trace.metrics);
      }
      updateMarker();
    } while (traceAgain);
  } catch (e) {
    showError(e.message);
  } finally {
    traceBusy = false;
  }
}

let decodeBusy = false, nextLatent = null;
async function requestDecode(latent) {
  nextLatent = latent;
  if (decodeBusy || !state.model) return;
  decodeBusy = true;
  try {
    while (nextLatent) {
      const z = nextLatent;
      nextLatent = null;
      const { stages } = await state.engine.decode(z);
      pipeline.renderDecoder(stages);
      const output = stages.at(-1).data;
      renderMetrics(output, cleanInput(), null);
    }
  } catch (e) {
    showError(e.message);
  } finally {
    decodeBusy = false;
  }
}

async function pickTestImage(index) {
  const d = state.dataset;
  if (!d) return;
  state.testIndex = index;
  const { images, labels } = await state.engine.testImages({ count: 1, offset: index });
  state.testImage = images;
  $('test-caption').textContent = `Test image #${index} · label: ${d.classes[labels[0]]}`;
  if (state.source === 'test') { state.slidersMoved = false; refresh(); }
  viewChanged();
}

function randomTestIndex() {
  const d = state.dataset;
  const want = $('class-select').value;
  if (want === '') return Math.floor(Math.random() * d.test);
  const matches = [];
  d.testLabels.forEach((l, i) => { if (String(l) === want) matches.push(i); });
  return matches[Math.floor(Math.random() * matches.length)];
}

$('btn-random').addEventListener('click', () => pickTestImage(randomTestIndex()));
$('class-select').addEventListener('change', () => pickTestImage(randomTestIndex()));

function setSource(source) {
  state.source = source;
  document.querySelector(`input[name=source][value=${source}]`).checked = true;
  $('draw-host').hidden = source !== 'draw';
  $('test-host').hidden = source !== 'test';
}

for (const radio of document.querySelectorAll('input[name=source]')) {
  radio.addEventListener('change', () => {
    setSource(radio.value);
    state.slidersMoved = false;
    refresh();
    viewChanged();
  });
}

function setCorruption(key, value) {
  state[key] = value;
  $(key).value = value;
  $(`${key}-out`).textContent = value.toFixed(2);
}

for (const [id, key] of [['noise', 'noise'], ['occlusion', 'occlusion']]) {
  $(id).addEventListener('input', () => {
    setCorruption(key, Number($(id).value));
    refresh();
    viewChanged();
  });
}

for (const radio of document.querySelectorAll('input[name=range]'))
  radio.addEventListener('change', () => pipeline.setRangeMode(radio.value));

// ---------------------------------------------------------------- metrics
const errorCanvas = $('error-map');
function renderMetrics(output, target, metrics) {
  const err = new Float32Array(output.length);
  for (let i = 0; i < err.length; i++) err[i] = Math.abs(output[i] - target[i]);
  drawMap(errorCanvas, err, { h: 28, w: 28, min: 0, max: 1, table: viridis });
  const cards = metrics
    ? [['MSE', format(metrics.mse, 4)], ['PSNR', `${metrics.psnr.toFixed(2)} dB`], ['SSIM', metrics.ssim.toFixed(3)]]
    : [['MSE', '—'], ['PSNR', '—'], ['SSIM', '—']];
  $('metric-cards').replaceChildren(...cards.map(([name, value]) => {
    const el = document.createElement('div');
    el.className = 'metric';
    const label = document.createElement('div');
    label.className = 'name';
    label.textContent = metrics ? name : `${name} (sliders moved)`;
    const number = document.createElement('div');
    number.className = 'value';
    number.textContent = value;
    el.append(label, number);
    return el;
  }));
}

function renderTestAverages(history) {
  if (!history.length) return;
  const table = document.createElement('table');
  const head = table.createTHead().insertRow();
  const vae = history.some((h) => h.valKl !== undefined);
  for (const name of ['epoch', 'val loss', ...(vae ? ['KL'] : []), 'MSE', 'PSNR', 'SSIM']) {
    const th = document.createElement('th');
    th.textContent = name;
    head.append(th);
  }
  const body = document.createElement('tbody');
  for (const h of history.slice(-6)) {
    const tr = document.createElement('tr');
    const kl = vae ? [h.valKl === undefined ? '—' : h.valKl.toFixed(2)] : [];
    for (const v of [h.epoch, h.valLoss.toFixed(4), ...kl, h.mse.toFixed(4), `${h.psnr.toFixed(2)} dB`, h.ssim.toFixed(3)]) {
      const td = document.createElement('td');
      td.textContent = v;
      tr.append(td);
    }
    body.append(tr);
  }
  table.append(body);
  const title = document.createElement('h3');
  title.textContent = 'Test-set averages (10,000 images)';
  $('test-averages').replaceChildren(title, table);
}

// ---------------------------------------------------------------- latent map
const latentMap = createLatentMap($('latent-map-host'), $('latent-legend'), {
  onPick: pickOnMap,
  thumbnail: async (index) => {
    const { images, labels } = await state.engine.testImages({ count: 1, offset: index });
    return { image: images, label: labels[0] };
  },
});

// Keeps each principal axis pointing the way it pointed before, so the map does not flip over
// between two updates during training.
function alignAxes(pca, before) {
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

// A deterministic spread for the strip plot of a 1-D code (classes on rows).
const jitter = (i) => (((i * 2654435761) >>> 0) % 1000 / 1000 - 0.5) * 0.7;

// The map's points for the PCA view: the two leading axes, or a 1-D code against its class.
function pcaPoints(map) {
  const n = map.count, points = new Float32Array(n * 2);
  if (map.pca.variance.length === 2) return map.pca.proj;
  for (let i = 0; i < n; i++) {
    points[2 * i] = map.pca.proj[i];
    points[2 * i + 1] = map.labels[i] + jitter(i);
  }
  return points;
}

let mapBusy = false, mapAgain = false;
async function updateLatentMap() {
  if (!state.dataset || !state.model || state.engineDead) return;
  if (mapBusy) { mapAgain = true; return; }
  mapBusy = true;
  try {
    do {
      mapAgain = false;
      const count = Math.min(state.mapCount, state.dataset.test);
      const map = await state.engine.latentMap({ count });
      // The model changed meanwhile: ask again for the new one (if there is one).
      if (map.dim !== state.model?.latentDim) { mapAgain = Boolean(state.model); continue; }
      alignAxes(map.pca, state.map?.pca);
      state.map = map;
      state.mapUpdates++;
      if (state.tsne && (state.tsne.count !== map.count)) state.tsne.stale = true;
      pipeline.setStats(map.stats);
      renderLatentMap();
      await updateStrip();
    } while (mapAgain);
  } catch (e) {
    if (e.code !== 'crashed') showError(e.message);
  } finally {
    mapBusy = false;
  }
}

// The codes' total variance: the sum over units (what the PCA plane keeps a share of).
const totalVariance = (map) => Array.from(map.stats.std).reduce((a, s) => a + s * s, 0);

function renderLatentMap() {
  const map = state.map, d = state.dataset;
  if (!map || !d) { latentMap.clear(); return; }
  const tsne = state.projection === 'tsne' ? state.tsne : null;
  $('manifold-label').hidden = state.projection === 'tsne';
  if (state.projection === 'tsne') {
    if (tsne?.embedding) latentMap.setData({ points: tsne.embedding, labels: tsne.labels, classes: d.classes, axes: ['t-SNE 1', 't-SNE 2'], origin: false });
    latentMap.setManifold(null);
  } else {
    const total = totalVariance(map);
    const share = (k) => (total > 0 ? `${Math.round(100 * map.pca.variance[k] / total)}% of the variance` : '');
    const axes = map.pca.variance.length === 2 ? [`PC 1 · ${share(0)}`, `PC 2 · ${share(1)}`] : ['z1, the one number of the code', 'class'];
    const yTicks = map.dim > 1 ? null : d.classes.map((name, c) => [c, name]);
    latentMap.setData({ points: pcaPoints(map), labels: map.labels, classes: d.classes, axes, origin: map.dim > 1, yTicks });
    updateManifold();
  }
  renderMapCaption();
  updateMarker();
}

function renderMapCaption() {
  const map = state.map;
  let text = '';
  if (state.projection === 'pca' && map) {
    const total = totalVariance(map);
    const kept = map.pca.variance.reduce((a, v) => a + v, 0);
    text = map.dim === 1 ? `${map.count.toLocaleString('en')} test images along the one latent number, one row per class.`
      : `PCA of ${map.count.toLocaleString('en')} codes of ${map.dim} numbers: this plane shows ${Math.round(100 * kept / Math.max(total, 1e-30))}% of their variance (computed in ${map.pcaMs.toFixed(1)} ms).`;
  } else if (state.tsne?.running) {
    text = `t-SNE of ${state.tsne.count.toLocaleString('en')} codes: iteration ${state.tsne.done ?? 0} of ${state.tsne.total ?? '…'}…`;
  } else if (state.tsne?.embedding) {
    text = (state.tsne.cancelled
      ? `t-SNE of ${state.tsne.count.toLocaleString('en')} codes, cancelled at iteration ${state.tsne.done} of ${state.tsne.total}: the map shows where it had got to.`
      : `t-SNE of ${state.tsne.count.toLocaleString('en')} codes in ${(state.tsne.ms / 1000).toFixed(1)} s (perplexity 30).`) +
      (state.tsne.stale ? ' The model or the number of images has changed since: run it again to follow.' : '');
  } else {
    text = 't-SNE has not run for this model yet.';
  }
  $('map-caption').textContent = text;
  $('btn-tsne').textContent = state.tsne?.running ? 'Cancel t-SNE' : state.tsne?.embedding ? 'Run t-SNE again' : 'Run t-SNE';
}

// The code now in the sliders (or of the current input).
function currentCode() {
  if (state.slidersMoved) return pipeline.currentLatent();
  return state.lastTrace?.latent ?? null;
}

// The marker: the current code on the map. On the PCA plane it is projected like the points; t-SNE
// places nothing new, so there it sits at the mean place of its 8 nearest neighbours in code space.
function updateMarker() {
  const z = currentCode(), map = state.map;
  if (!z || !map || z.length !== map.dim) { latentMap.setMarker(null); return; }
  const d = map.dim;
  if (state.projection === 'tsne') {
    const t = state.tsne;
    if (!t?.embedding || t.dim !== d) { latentMap.setMarker(null); return; }
    const K = 8, best = [];
    for (let i = 0; i < t.count; i++) {
      let dist = 0;
      for (let j = 0; j < d; j++) dist += (t.latents[i * d + j] - z[j]) ** 2;
      if (best.length < K || dist < best.at(-1)[0]) {
        best.push([dist, i]);
        best.sort((a, b) => a[0] - b[0]);
        if (best.length > K) best.pop();
      }
    }
    let x = 0, y = 0, wsum = 0;
    for (const [dist, i] of best) {
      const w = 1 / (Math.sqrt(dist) + 1e-6);
      x += w * t.embedding[2 * i];
      y += w * t.embedding[2 * i + 1];
      wsum += w;
    }
    latentMap.setMarker([x / wsum, y / wsum]);
    return;
  }
  const { mean, components, variance } = map.pca;
  const p = [0, 0];
  for (let k = 0; k < variance.length; k++)
    for (let j = 0; j < d; j++) p[k] += (z[j] - mean[j]) * components[k * d + j];
  if (variance.length === 1) {
    const b = latentMap.bounds();
    p[1] = b ? (b.y0 + b.y1) / 2 : 4.5;
  }
  latentMap.setMarker(p);
}

// The code at a point of the PCA plane: the mean plus the point's coordinates along the axes.
function inversePca(x, y) {
  const { mean, components, variance } = state.map.pca;
  const d = mean.length, z = Float32Array.from(mean);
  for (let j = 0; j < d; j++) z[j] += x * components[j] + (variance.length > 1 ? y * components[d + j] : 0);
  return z;
}

async function pickOnMap({ index, x, y }) {
  if (!state.map) return;
  if (state.projection === 'tsne') {
    if (index < 0) return;
    // That image itself becomes the input: the whole pipeline shows it, the sliders its code.
    setSource('test');
    await pickTestImage(index);
    status(`Test image #${index} from the map`);
    return;
  }
  setLatent(inversePca(x, state.map.pca.variance.length > 1 ? y : 0));
  status(index >= 0 ? `Decoded test image #${index}'s place on the PCA plane` : 'Decoded a place on the PCA plane');
}

let manifoldSeq = 0;
async function updateManifold() {
  const seq = ++manifoldSeq;
  const map = state.map, b = latentMap.bounds();
  if (!map || !b || state.projection !== 'pca' || !$('manifold').checked) { latentMap.setManifold(null); return; }
  const oneD = map.pca.variance.length === 1;
  const rows = oneD ? 1 : MANIFOLD_GRID, cols = oneD ? 16 : MANIFOLD_GRID;
  const d = map.dim, latents = new Float32Array(rows * cols * d);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const x = b.x0 + (c + 0.5) * (b.x1 - b.x0) / cols, y = b.y1 - (r + 0.5) * (b.y1 - b.y0) / rows;
      latents.set(inversePca(x, oneD ? 0 : y), (r * cols + c) * d);
    }
  try {
    const { images } = await state.engine.decode(latents);
    if (seq !== manifoldSeq) return;
    latentMap.setManifold({ images, rows, cols, ...b, band: oneD });
  } catch (e) {
    if (e.code !== 'crashed') showError(e.message);
  }
}

async function runTsne() {
  if (state.tsne?.running) { await state.engine.cancelTsne(); return; }
  const map = state.map;
  if (!map) return;
  const job = { latents: map.latents, labels: map.labels, dim: map.dim, count: map.count, running: true,
                embedding: null, stale: false, done: 0, total: null };
  state.tsne = job;
  $('tsne-bar').hidden = false;
  $('tsne-bar').value = 0;
  setProjection('tsne', { run: false });
  try {
    const result = await state.engine.tsne(map.latents, map.dim, {
      perplexity: 30, seed: 1,
      onProgress: (e) => {
        if (state.tsne !== job) return;
        job.done = e.done;
        job.total = e.total;
        job.embedding = e.embedding;
        $('tsne-bar').value = e.done / e.total;
        if (state.projection === 'tsne') renderLatentMap();
      },
    });
    if (state.tsne !== job) return;
    Object.assign(job, { embedding: result.embedding, ms: result.ms, done: result.iterations, running: false });
  } catch (e) {
    // A cancelled run keeps the embedding it had reached, said so in the caption.
    if (state.tsne === job && !(job.embedding && e.code === 'cancelled')) state.tsne = null;
    job.cancelled = e.code === 'cancelled';
    if (e.code === 'cancelled') status('t-SNE cancelled');
    else if (e.code !== 'crashed') showError(`t-SNE stopped: ${e.message}`);
    if (!state.tsne?.embedding) setProjection('pca', { run: false });
  } finally {
    job.running = false;
    $('tsne-bar').hidden = true;
    renderLatentMap();
  }
}

function setProjection(projection, { run = true } = {}) {
  state.projection = projection;
  document.querySelector(`input[name=projection][value=${projection}]`).checked = true;
  if (projection === 'tsne' && run && !state.tsne) { runTsne(); return; }
  renderLatentMap();
}

for (const radio of document.querySelectorAll('input[name=projection]'))
  radio.addEventListener('change', () => setProjection(radio.value));
$('btn-tsne').addEventListener('click', () => runTsne());
$('manifold').addEventListener('change', () => updateManifold());
$('map-count').addEventListener('change', () => {
  state.mapCount = Number($('map-count').value);
  updateLatentMap();
});

// ---------------------------------------------------------------- interpolation
const interp = createInterpolation($('interp-host'), {
  onSetEnd: (which) => {
    const label = state.source === 'draw' ? 'your drawing' : $('test-caption').textContent.replace(/^Test image /, '');
    setEnd(which, Float32Array.from(currentInput()), label);
  },
  onMove: (t) => {
    if (!state.endLatents) return;
    setLatent(along(...state.endLatents, t));
  },
});

// The code at t in [0, 1] from a to b: a straight line, or for a VAE the great circle between
// them (slerp), which keeps the norm a sample from the prior would have instead of cutting
// through the low-probability middle.
function along(a, b, t) {
  const z = new Float32Array(a.length);
  let omega = 0;
  if (state.model?.config.variational) {
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

async function setEnd(which, image, caption) {
  state.ends[which] = { image, caption };
  interp.setEnd(which, image, caption);
  await updateStrip();
}

// The strip follows the model: the ends are encoded again and the codes between them decoded.
async function updateStrip() {
  const { A, B } = state.ends;
  if (!A || !B || !state.model) return;
  try {
    const both = new Float32Array(A.image.length * 2);
    both.set(A.image);
    both.set(B.image, A.image.length);
    const { latents } = await state.engine.encode(both);
    const d = latents.length / 2;
    const zA = latents.slice(0, d), zB = latents.slice(d);
    state.endLatents = [zA, zB];
    const path = new Float32Array(STRIP * d);
    for (let k = 0; k < STRIP; k++) path.set(along(zA, zB, k / (STRIP - 1)), k * d);
    const { images } = await state.engine.decode(path);
    interp.setStrip(images);
    interp.setNote(state.model.config.variational
      ? 'Spherical interpolation (slerp) between the two codes’ means: the path keeps the size a code from the prior would have. Drag the handle, or click a step, to send that code to the sliders.'
      : 'Linear interpolation between the two codes: each step is decoded. Drag the handle, or click a step, to send that code to the sliders.');
  } catch (e) {
    if (e.code !== 'crashed') showError(e.message);
  }
}

// Two test images of different classes to start from, for each data set.
async function defaultEnds() {
  const d = state.dataset;
  if (!d) return;
  const b = d.testLabels.findIndex((l) => l !== d.testLabels[0]);
  const { images } = await state.engine.testImages({ count: b + 1, offset: 0 });
  const size = images.length / (b + 1);
  state.ends.A = null;
  await setEnd('A', images.slice(0, size), `test #0 · label: ${d.classes[d.testLabels[0]]}`);
  await setEnd('B', images.slice(b * size, (b + 1) * size), `test #${b} · label: ${d.classes[d.testLabels[b]]}`);
}

// ---------------------------------------------------------------- configuration
function measuredGflops() {
  const v = Number(localStorage.getItem(GFLOPS_KEY));
  return Number.isFinite(v) && v > 0 ? v : null;
}

function minutes(seconds) {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

let describeSeq = 0;
async function configChanged(config) {
  $('btn-train').disabled = !config || state.training || !state.dataset;
  if (!config || !state.engine || state.engineDead) return;
  const seq = ++describeSeq;
  try {
    const d = await state.engine.describe(config);
    if (seq !== describeSeq) return;
    state.config = config;
    renderFacts(d, config);
  } catch (e) {
    if (seq !== describeSeq) return;
    if (!form.showEngineError(e.message)) showError(e.message);
    $('btn-train').disabled = true;
  }
}

function renderFacts(described, config) {
  const gflops = measuredGflops() ?? DEFAULT_GFLOPS;
  const perEpoch = (state.dataset?.train ?? 60000) * described.flopsPerSample / (gflops * 1e9);
  const rows = [
    ['parameters', described.params.toLocaleString('en')],
    ['latent', `${described.latentDim} numbers (${config.latent_grid}×${config.latent_grid})`],
    ['work', `${(described.flopsPerSample / 1e6).toFixed(2)} MFLOP per training image`],
    ['estimate', `≈ ${minutes(perEpoch)} per epoch, ${minutes(perEpoch * config.epochs)} in all` +
      (measuredGflops() ? ' (at the speed measured here)' : ' (refined after your first run)')],
  ];
  $('model-facts').replaceChildren(...rows.flatMap(([k, v]) => {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    return [dt, dd];
  }));
}

async function applyModel(config) {
  await adoptModel(await state.engine.configure(config));
}

// A new model in the engine (configured, loaded from a file or a preset): the views follow.
async function adoptModel(model) {
  const sameShape = state.model && JSON.stringify(state.model.stages) === JSON.stringify(model.stages);
  state.model = model;
  state.slidersMoved = false;
  if (!sameShape) pipeline.setModel(model);
  pipeline.setVariational(Boolean(model.config.variational));
  if (state.map && state.map.dim !== model.latentDim) state.map = null;
  if (state.tsne) state.tsne.stale = true;
  if (!sameShape) $('manifold').checked = model.latentDim <= 2;
  await updateFilters();
  await updateLatentMap();
  await refresh();
}

async function updateFilters() {
  const weights = await state.engine.getWeights();
  const t = state.model.tensors.find((x) => x.name === 'conv1.weight');
  pipeline.setFilters(weights.subarray(t.offset, t.offset + t.count), t.shape);
}


// ---------------------------------------------------------------- data sets
async function loadDataset(name) {
  $('download').hidden = false;
  status(`Loading ${name === 'mnist' ? 'MNIST' : 'Fashion-MNIST'}…`);
  try {
    state.dataset = await state.engine.loadDataset(name, {
      onProgress: (e) => {
        $('download-bar').value = e.total ? e.loaded / e.total : 0;
        $('download-text').textContent = `${(e.loaded / 1e6).toFixed(1)} / ${(e.total / 1e6).toFixed(1)} MB`;
      },
    });
  } catch (e) {
    showError(`${e.message}`);
    status('The data set could not be loaded.');
    return false;
  } finally {
    $('download').hidden = true;
  }
  const d = state.dataset;
  $('classes').textContent = `${d.train.toLocaleString('en')} training and ${d.test.toLocaleString('en')} test images of ${d.classes.length} classes: ${d.classes.join(', ')}.`;
  $('class-select').replaceChildren(new Option('any', ''), ...d.classes.map((c, i) => new Option(c, String(i))));
  state.map = null;
  if (state.tsne?.running) state.engine.cancelTsne().catch(() => {});   // its points are gone
  state.tsne = null;
  setProjection('pca', { run: false });
  await defaultEnds().catch((e) => showError(e.message));
  status(`${d.displayName} ready`);
  cacheDataset(name).catch((e) => console.warn(`${d.displayName} will not be kept offline: ${e.message}`));
  return true;
}

for (const radio of document.querySelectorAll('input[name=dataset]')) {
  radio.addEventListener('change', async () => {
    if (!(await loadDataset(radio.value))) return;
    await updateLatentMap();
    await pickTestImage(randomTestIndex());
    configChanged(form.read().config);
  });
}

// ---------------------------------------------------------------- training
function setTraining(on) {
  state.training = on;
  $('workers').disabled = on;
  state.paused = false;
  $('btn-train').disabled = on;
  $('btn-pause').disabled = !on;
  $('btn-stop').disabled = !on;
  $('btn-pause').textContent = 'Pause';
  form.setDisabled(on);
  for (const r of document.querySelectorAll('input[name=dataset]')) r.disabled = on;
}

let lastLiveTrace = 0, lastLiveStats = 0;
function onProgress(e) {
  if (e.kind === 'batch') {
    const x = state.epochOffset + e.epoch - 1 + e.batch / e.batches;
    const vae = state.model?.config.variational;
    if (vae) lossChart.addTrain(x, e.recon, e.kl);
    else lossChart.addTrain(x, e.loss);
    $('train-bar').value = x / state.epochsPlanned;
    $('train-numbers').textContent =
      `epoch ${state.epochOffset + e.epoch}/${state.epochsPlanned} · batch ${e.batch}/${e.batches} · ` +
      (vae ? `reconstruction ${e.recon.toFixed(4)} · KL ${e.kl.toFixed(2)} nats\n` : `loss ${e.loss.toFixed(4)}\n`) +
      `${Math.round(e.samplesPerSec).toLocaleString('en')} images/s · ${minutes(e.eta)} left`;
    const now = performance.now();
    if (now - lastLiveTrace > LIVE_TRACE_MS) {
      lastLiveTrace = now;
      refresh();
    }
    if (now - lastLiveStats > LIVE_STATS_MS) {
      lastLiveStats = now;
      updateLatentMap();
    }
  } else if (e.kind === 'diverged') {
    state.paused = true;
    $('btn-pause').textContent = 'Resume';
    status('Paused: the training diverged');
    showError(`${e.message} Training is paused at epoch ${state.epochOffset + e.epoch}, batch ${e.batch}: press Stop, ` +
      'lower the learning rate and train again (or Resume to retry the batch).');
  } else if (e.kind === 'epoch') {
    const record = { ...e, epoch: state.epochOffset + e.epoch };
    if (record.valKl !== undefined) lossChart.addValidation(record.epoch, record.valRecon, record.valKl);
    else lossChart.addValidation(record.epoch, record.valLoss);
    state.history.push(record);
    renderTestAverages(state.history);
    updateFilters();
    if (state.tsne && !state.tsne.running) state.tsne.stale = true;   // the codes moved on
    updateLatentMap();
    refresh();
    // The last completed epoch is what a reload resumes from.
    saveNow({ interrupted: { epochsDone: record.epoch, epochs: state.epochsPlanned } });
  }
}

function describeRun(config) {
  const base = state.runs[0]?.config;
  if (!base) return `F[${config.filters}] g${config.latent_grid} ${config.activation} ${config.optimizer} lr ${config.learning_rate}` +
    (config.variational ? ` VAE β ${config.beta}` : '');
  const diff = [];
  for (const key of Object.keys(config)) {
    if (JSON.stringify(config[key]) !== JSON.stringify(base[key])) diff.push(`${key} ${JSON.stringify(config[key])}`);
  }
  return diff.length ? diff.join(', ') : 'same as #1';
}

// resume: {epochsDone} to go on with the current model and history after a reload.
async function train({ resume = null } = {}) {
  const { config } = form.read();
  if (!config) return;
  $('error-banner').hidden = true;
  setTraining(true);
  if (!resume) {
    state.history = [];
    lossChart.reset();
    lossChart.setVariational(Boolean(config.variational));
  }
  state.epochOffset = resume ? resume.epochsDone : 0;
  state.epochsPlanned = config.epochs;
  try {
    if (!resume) await applyModel(config);
    status(resume ? `Resuming the interrupted run after epoch ${resume.epochsDone}…` : 'Training…');
    const result = await state.engine.train({ epochs: config.epochs - state.epochOffset, onProgress });
    result.history = state.history.slice();
    result.epochs = result.history.length;
    const gflops = result.samplesPerSec * state.model.flopsPerSample / 1e9;
    if (result.samples > 5000) localStorage.setItem(GFLOPS_KEY, String(gflops));
    if (result.history.length) {
      state.runNumber++;
      state.runs.push({ number: state.runNumber, config: state.model.config, history: result.history,
                        label: describeRun(state.model.config) });
      renderRuns();
    }
    const speed = `${Math.round(result.samplesPerSec).toLocaleString('en')} images/s`;
    status(result.epochs
      ? `Trained ${result.epochs} epoch${result.epochs === 1 ? '' : 's'} at ${speed}`
      : `Stopped after ${result.samples.toLocaleString('en')} images (${speed}); no epoch finished`);
  } catch (e) {
    if (e.code !== 'crashed') {
      showError(`Training stopped: ${e.message}`);
      status('Training stopped');
    }
  } finally {
    setTraining(false);
    configChanged(form.read().config);
    refresh();
    saveNow({ interrupted: null });
  }
}

function renderRuns() {
  runsChart.render(state.runs);
  $('runs').replaceChildren(...state.runs.map((r, i) => {
    const li = document.createElement('li');
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = RUN_COLOURS[i % RUN_COLOURS.length];
    const last = r.history.at(-1);
    const diff = document.createElement('span');
    diff.className = 'diff';
    diff.textContent = r.label;
    li.append(sw, `#${r.number} `, diff, ` — ${r.history.length} epochs, val loss ${last.valLoss.toFixed(4)}, PSNR ${last.psnr.toFixed(2)} dB`);
    return li;
  }));
}

$('btn-train').addEventListener('click', () => train());
$('btn-pause').addEventListener('click', async () => {
  state.paused = !state.paused;
  $('btn-pause').textContent = state.paused ? 'Resume' : 'Pause';
  status(state.paused ? 'Paused' : 'Training…');
  await (state.paused ? state.engine.pause() : state.engine.resume());
});
$('btn-stop').addEventListener('click', () => state.engine.stop());

// ---------------------------------------------------------------- share links
function linkState() {
  const config = form.read().config ?? state.model?.config ?? DEFAULT_CONFIG;
  const { input, ...rest } = config;
  return {
    dataset: state.dataset?.name ?? 'mnist',
    config: rest,
    view: {
      source: state.source,
      testIndex: state.testIndex,
      latent: state.slidersMoved ? Array.from(pipeline.currentLatent()) : null,
      noise: state.noise,
      occlusion: state.occlusion,
    },
    weights: null,
  };
}

let hashTimer = 0, saveTimer = 0;
// The address bar and the autosave follow the user's work (debounced: sliders move fast).
function viewChanged() {
  if (state.restoring) return;
  clearTimeout(hashTimer);
  hashTimer = setTimeout(() => writeHash(window, linkState()), 250);
  if (!state.training) {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(() => saveNow(), 600);
  }
}

// Leaving the page: save what the debounce may still hold (best effort; IndexedDB is async).
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden' && !state.training && saveTimer) {
    clearTimeout(saveTimer);
    saveTimer = 0;
    saveNow();
  }
});

$('btn-share').addEventListener('click', async () => {
  const note = $('share-note');
  let hash = serializeHash(linkState());
  let message = 'Link copied: it opens this data set, configuration and view.';
  if ($('share-weights').checked && state.model) {
    const w = await encodeWeights(await state.engine.getWeights());
    const withWeights = serializeHash({ ...linkState(), weights: w });
    if (fitsInLink(withWeights)) {
      hash = withWeights;
      message = `Link copied with the weights (${(withWeights.length / 1024).toFixed(1)} KB): it opens this very model.`;
    } else {
      message = `The weights of this model do not fit in a link (${(withWeights.length / 1024).toFixed(1)} KB; links stay under 8 KB), so the link has the settings only. Export the model file to share the weights.`;
    }
  }
  const url = location.href.replace(/#.*$/, '') + hash;
  try {
    await navigator.clipboard.writeText(url);
  } catch {
    message = `Copy this link: ${url}`;
  }
  note.textContent = message;
  note.hidden = false;
});

// Applies a parsed link: data set, configuration (and weights if the link has them), view.
async function applyLink({ state: link, errors }) {
  if (errors.length) showError(`${errors.join('; ')}. The rest of the link was applied.`);
  if (!state.dataset || state.dataset.name !== link.dataset) {
    document.querySelector(`input[name=dataset][value=${link.dataset}]`).checked = true;
    await loadDataset(link.dataset);
  }
  const { config } = form.write({ ...DEFAULT_CONFIG, ...link.config });
  if (config) {
    const current = state.model?.config;
    const same = current && JSON.stringify({ ...current, input: undefined, epochs: 0 }) ===
      JSON.stringify({ ...config, input: undefined, epochs: 0 });
    if (link.weights) {
      try {
        const model = await state.engine.configure(config);
        await state.engine.setWeights(await decodeWeights(link.weights, model.params));
        await adoptModel(model);
      } catch (e) {
        showError(`The weights in this link could not be used (${e.message}); the model has the link's settings but is untrained.`);
        await applyModel(config);
      }
    } else if (!same) {
      // A preset's own settings (say, a link made from one) open its trained weights.
      const preset = presets.find((p) => p.dataset === link.dataset && p.config &&
        JSON.stringify({ ...DEFAULT_CONFIG, ...p.config, epochs: 0 }) === JSON.stringify({ ...config, epochs: 0 }));
      if (preset) await adoptModel(await state.engine.load(new Uint8Array(await (await fetch(`presets/${preset.file}`)).arrayBuffer())));
      else await applyModel(config);
    }
    configChanged(config);
  }
  setSource(link.view.source);
  setCorruption('noise', link.view.noise);
  setCorruption('occlusion', link.view.occlusion);
  await pickTestImage(Math.min(link.view.testIndex, (state.dataset?.test ?? 1) - 1));
  if (link.view.latent && state.model && link.view.latent.length === state.model.latentDim) {
    state.slidersMoved = true;
    pipeline.setSliders(Float32Array.from(link.view.latent));
    await refresh();
  }
}

listenHash(window, (parsed) => {
  if (state.training) { showError('This link was not applied while training: stop the run, then reload the link.'); return; }
  applyLink(parsed);
});

// ---------------------------------------------------------------- autosave
async function saveNow(extra = {}) {
  if (state.restoring || state.engineDead || !state.model || !state.dataset) return;
  try {
    const modelFile = await state.engine.save({ dataset: state.dataset.name });
    await autosave.save({
      dataset: state.dataset.name,
      config: form.read().config ?? state.model.config,
      modelFile,
      history: state.history,
      chart: lossChart.data(),
      runs: state.runs,
      runNumber: state.runNumber,
      view: linkState().view,
      drawing: Array.from(pad.getImage()),
      interrupted: null,
      ...extra,
    });
  } catch (e) {
    showError(e.message);
  }
}

async function restore(record) {
  document.querySelector(`input[name=dataset][value=${record.dataset}]`).checked = true;
  if (!(await loadDataset(record.dataset))) return false;
  try {
    await adoptModel(await state.engine.load(record.modelFile));
  } catch (e) {
    showError(`The saved model could not be restored (${e.message}); starting from a trained preset instead.`);
    return false;
  }
  form.write(record.config);
  state.runs = record.runs ?? [];
  state.runNumber = record.runNumber ?? state.runs.length;
  state.history = record.history ?? [];
  lossChart.restore(record.chart);
  renderRuns();
  renderTestAverages(state.history);
  if (record.drawing?.length === 784) pad.setImage(Float32Array.from(record.drawing));
  await applyLink({ state: { dataset: record.dataset, config: record.config, view: record.view }, errors: [] });
  return true;
}

// ---------------------------------------------------------------- model files and presets
function download(bytes, name) {
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

$('btn-export').addEventListener('click', async () => {
  if (!state.model) return;
  const last = state.history.at(-1);
  const bytes = await state.engine.save({
    dataset: state.dataset?.name ?? '', epochs_trained: String(state.history.length),
    ...(last ? { val_loss: last.valLoss.toFixed(6), val_psnr: last.psnr.toFixed(3), val_ssim: last.ssim.toFixed(4) } : {}),
  });
  const g = state.model.config.latent_grid;
  download(bytes, `aevp-${state.dataset?.name ?? 'model'}-${g}x${g}.safetensors`);
});

async function importFile(file) {
  if (state.training) { showError('Stop the training run before loading a model file.'); return; }
  if (file.size > 256 * 2 ** 20) { showError(`${file.name} is ${(file.size / 2 ** 20).toFixed(0)} MB: a model file is far smaller (the limit is 256 MB). Nothing was loaded.`); return; }
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const model = await state.engine.load(bytes);
    const dataset = model.metadata?.dataset;
    if ((dataset === 'mnist' || dataset === 'fashion') && dataset !== state.dataset?.name) {
      document.querySelector(`input[name=dataset][value=${dataset}]`).checked = true;
      await loadDataset(dataset);
      await pickTestImage(randomTestIndex());
    }
    form.write(model.config);
    await adoptModel(model);
    status(`Loaded ${file.name}`);
    $('train-numbers').textContent = `${file.name} is loaded. Train starts a new run from fresh weights with the settings above.`;
    viewChanged();
  } catch (e) {
    showError(`${file.name} was not loaded: ${e.message}. The current model is unchanged.`);
  }
}

$('import-file').addEventListener('change', (e) => {
  const file = e.target.files[0];
  e.target.value = '';
  if (file) importFile(file);
});

let dragDepth = 0;
window.addEventListener('dragenter', (e) => { if (e.dataTransfer?.types.includes('Files')) { dragDepth++; $('drop').hidden = false; } });
window.addEventListener('dragleave', () => { if (--dragDepth <= 0) { dragDepth = 0; $('drop').hidden = true; } });
window.addEventListener('dragover', (e) => e.preventDefault());
window.addEventListener('drop', (e) => {
  e.preventDefault();
  dragDepth = 0;
  $('drop').hidden = true;
  const file = e.dataTransfer?.files?.[0];
  if (file) importFile(file);
});

let presets = [];
async function loadPresetList() {
  try {
    const response = await fetch('presets/presets.json');
    presets = (await response.json()).presets;
  } catch {
    presets = [];
  }
  $('presets').replaceChildren(...presets.map((p) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'preset';
    b.dataset.preset = p.name;
    const title = document.createElement('strong');
    title.textContent = p.title;
    const text = document.createElement('span');
    text.textContent = `${p.description} ${p.epochs} epochs · val loss ${p.val_loss.toFixed(3)} · PSNR ${p.val_psnr.toFixed(1)} dB`;
    b.append(title, text);
    b.addEventListener('click', () => loadPreset(p));
    return b;
  }));
}

async function loadPreset(p) {
  if (state.training) { showError('Stop the training run before choosing a preset.'); return; }
  const t0 = performance.now();
  try {
    const [bytes] = await Promise.all([
      fetch(`presets/${p.file}`).then((r) => {
        if (!r.ok) throw new Error(`HTTP ${r.status}`);
        return r.arrayBuffer();
      }),
      state.dataset?.name === p.dataset ? null : (async () => {
        document.querySelector(`input[name=dataset][value=${p.dataset}]`).checked = true;
        await loadDataset(p.dataset);
      })(),
    ]);
    const model = await state.engine.load(new Uint8Array(bytes));
    form.write(model.config);
    await adoptModel(model);
    if (!state.testImage || state.testIndex >= state.dataset.test) await pickTestImage(randomTestIndex());
    else await pickTestImage(state.testIndex);
    for (const b of document.querySelectorAll('.preset')) b.classList.toggle('active', b.dataset.preset === p.name);
    state.lastPresetMs = performance.now() - t0;
    if (!state.training) $('train-numbers').textContent = `${p.title} is loaded, trained for ${p.epochs} epochs. Train starts a new run from fresh weights with the settings above.`;
    status(`${p.title}: ready in ${Math.round(state.lastPresetMs)} ms`);
    configChanged(form.read().config);
    viewChanged();
  } catch (e) {
    showError(`The preset "${p.title}" could not be loaded: ${e.message}`);
  }
}

// ---------------------------------------------------------------- start
// Two workers where the machine has the cores for them, unless the person chose otherwise.
const WORKERS_KEY = 'aevp.workers';
function workerCount() {
  const chosen = Number(localStorage.getItem(WORKERS_KEY));
  if (chosen === 1 || chosen === 2) return chosen;
  return (navigator.hardwareConcurrency ?? 1) >= 2 ? 2 : 1;
}

async function startEngine() {
  const workers = workerCount();
  try {
    state.engine = await createEngine({ workers });
  } catch (e) {
    if (workers === 1) throw e;
    state.engine = await createEngine({ workers: 1 }); // a browser that cannot run two still runs one
  }
  $('workers').value = String(state.engine.workers);
  state.engine.onCrash = (message) => recover(message);
}

// A new worker count means a new engine: the model moves over through a model file.
$('workers').addEventListener('change', async () => {
  if (state.training) return;
  localStorage.setItem(WORKERS_KEY, $('workers').value);
  const bytes = state.model ? await state.engine.save({}) : null;
  const dataset = state.dataset?.name;
  const old = state.engine;
  state.restoring = true;
  try {
    await startEngine();
    old.onCrash = null;
    await old.dispose().catch(() => {});
    state.dataset = null;
    if (dataset) await loadDataset(dataset);
    if (bytes) await adoptModel(await state.engine.load(bytes));
    status(`Training will use ${state.engine.workers} worker${state.engine.workers === 1 ? '' : 's'}`);
  } catch (e) {
    showError(`Could not switch workers: ${e.message}`);
  } finally {
    state.restoring = false;
  }
});

// The worker died (a trap, out of memory): a new one takes over with the last autosave.
async function recover(message) {
  if (state.recovering) return;
  state.recovering = true;
  state.engineDead = true;   // until the new engine answers, nothing is asked of the old one
  state.restoring = true;
  showError(`The engine stopped (${message}). It was restarted and your last autosave restored; ` +
    'anything after it (at most the current epoch) was lost.');
  status('Restarting the engine…');
  state.model = null;
  state.dataset = null;
  try {
    await startEngine();
    state.engineDead = false;
    const saved = await autosave.load();
    if (!saved || !(await restore(saved))) {
      const first = presets.find((p) => p.name === 'mnist-3x3') ?? presets[0];
      if (first) await loadPreset(first);
    }
    status('Engine restarted: your last autosave is restored');
  } catch (e) {
    showError(`The engine could not be restarted: ${e.message}. Reload the page.`);
  } finally {
    state.restoring = false;
    state.recovering = false;
    configChanged(form.read().config);
  }
}

async function start() {
  form.write(DEFAULT_CONFIG);
  $('btn-train').disabled = true;
  try {
    await startEngine();
  } catch (e) {
    status('The engine could not start');
    showError(`The engine could not start: ${e.message}. AeVP needs a browser with WebAssembly SIMD and module workers (a current Chrome, Edge, Firefox or Safari).`);
    return;
  }
  await loadPresetList();
  setSource('test');
  // A link wins over the autosave; the autosave over the first-visit preset.
  const saved = await autosave.load();
  let ready = false;
  if (location.hash.length > 1) {
    const parsed = parseHash(location.hash);
    if (saved && saved.dataset === parsed.state.dataset) ready = await restore(saved);
    await applyLink(parsed);
    ready = true;
  } else if (saved) {
    ready = await restore(saved);
  }
  if (!ready) {
    const first = presets.find((p) => p.name === 'mnist-3x3') ?? presets[0];
    if (first) await loadPreset(first);
    else if (await loadDataset('mnist')) {
      await applyModel(DEFAULT_CONFIG);
      await pickTestImage(randomTestIndex());
    }
  }
  configChanged(form.read().config);
  state.restoring = false;
  const interrupted = !location.hash && saved?.interrupted;
  if (interrupted && interrupted.epochsDone < interrupted.epochs && ready) {
    train({ resume: interrupted });
  }
}

onOfflineReady(() => { $('offline').hidden = false; });
// ?debug gives the browser tests a handle to make the engine crash,
// and the client position of a point of the latent map, to click it.
if (new URLSearchParams(location.search).has('debug')) {
  window.aevpDebug = {
    crash: () => state.engine.crashForTest(),
    mapPoint: (i) => {
      const p = latentMap.screenOf(i), box = document.querySelector('canvas.latent-map').getBoundingClientRect();
      return p && [box.left + p[0], box.top + p[1]];
    },
    mapCount: () => state.map?.count ?? 0,
    mapUpdates: () => state.mapUpdates,
  };
}
start();
