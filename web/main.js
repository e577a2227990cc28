// main.js — wires the page: the engine, the views and the user's actions. Holds the page state
// in one object; the views draw what they are given and the engine does all the computing.
import { createEngine } from './engine.js';
import { createLossChart, createRunsChart, RUN_COLOURS } from './views/charts.js';
import { createConfigForm, DEFAULT_CONFIG } from './views/config.js';
import { corrupt, createDrawPad } from './views/draw.js';
import { drawMap, format, viridis } from './views/maps.js';
import { createPipeline } from './views/pipeline.js';

const $ = (id) => document.getElementById(id);
const LIVE_TRACE_MS = 350;            // how often the maps follow the training model
const LIVE_STATS_MS = 2500;           // how often the sliders' ranges follow it
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
  onLatent: (latent) => requestDecode(latent),
  onReset: () => { if (state.lastTrace) { pipeline.setSliders(state.lastTrace.latent); requestDecode(state.lastTrace.latent); } },
  onRandom: () => { const z = pipeline.randomLatent(); pipeline.setSliders(z); requestDecode(z); },
});
const form = createConfigForm($('config-form'), { onChange: ({ config }) => configChanged(config) });
const pad = createDrawPad($('draw-host'), { onChange: () => { if (state.source === 'draw') refresh(); } });

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
  if (!state.model) return;
  if (traceBusy) { traceAgain = true; return; }
  traceBusy = true;
  try {
    do {
      traceAgain = false;
      const input = currentInput();
      const trace = await state.engine.trace(input, { target: cleanInput() });
      state.lastTrace = trace;
      pipeline.renderInput(input);
      pipeline.renderTrace(trace);
      renderMetrics(trace.output, cleanInput(), trace.metrics);
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
  if (state.source === 'test') refresh();
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

for (const radio of document.querySelectorAll('input[name=source]')) {
  radio.addEventListener('change', () => {
    state.source = radio.value;
    $('draw-host').hidden = state.source !== 'draw';
    $('test-host').hidden = state.source !== 'test';
    refresh();
  });
}

for (const [id, key] of [['noise', 'noise'], ['occlusion', 'occlusion']]) {
  $(id).addEventListener('input', () => {
    state[key] = Number($(id).value);
    $(`${id}-out`).textContent = state[key].toFixed(2);
    refresh();
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
    el.innerHTML = '<div class="name"></div><div class="value"></div>';
    el.querySelector('.name').textContent = metrics ? name : `${name} (sliders moved)`;
    el.querySelector('.value').textContent = value;
    return el;
  }));
}

function renderTestAverages(history) {
  if (!history.length) return;
  const table = document.createElement('table');
  table.innerHTML = '<thead><tr><th>epoch</th><th>val loss</th><th>MSE</th><th>PSNR</th><th>SSIM</th></tr></thead>';
  const body = document.createElement('tbody');
  for (const h of history.slice(-6)) {
    const tr = document.createElement('tr');
    for (const v of [h.epoch, h.valLoss.toFixed(4), h.mse.toFixed(4), `${h.psnr.toFixed(2)} dB`, h.ssim.toFixed(3)]) {
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
  if (!config || !state.engine) return;
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
  const model = await state.engine.configure(config);
  const sameShape = state.model && JSON.stringify(state.model.stages) === JSON.stringify(model.stages);
  state.model = model;
  if (!sameShape) pipeline.setModel(model);
  await updateFilters();
  await updateLatentStats();
  await refresh();
}

async function updateFilters() {
  const weights = await state.engine.getWeights();
  const t = state.model.tensors.find((x) => x.name === 'conv1.weight');
  pipeline.setFilters(weights.subarray(t.offset, t.offset + t.count), t.shape);
}

async function updateLatentStats() {
  if (!state.dataset) return;
  pipeline.setStats(await state.engine.latentStats({ count: 1000 }));
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
  status(`${d.displayName} ready`);
  return true;
}

for (const radio of document.querySelectorAll('input[name=dataset]')) {
  radio.addEventListener('change', async () => {
    if (!(await loadDataset(radio.value))) return;
    await updateLatentStats();
    await pickTestImage(randomTestIndex());
    configChanged(form.read().config);
  });
}

// ---------------------------------------------------------------- training
function setTraining(on) {
  state.training = on;
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
    const x = e.epoch - 1 + e.batch / e.batches;
    lossChart.addTrain(x, e.loss);
    $('train-bar').value = x / e.epochs;
    $('train-numbers').textContent =
      `epoch ${e.epoch}/${e.epochs} · batch ${e.batch}/${e.batches} · loss ${e.loss.toFixed(4)}\n` +
      `${Math.round(e.samplesPerSec).toLocaleString('en')} images/s · ${minutes(e.eta)} left`;
    const now = performance.now();
    if (now - lastLiveTrace > LIVE_TRACE_MS) {
      lastLiveTrace = now;
      refresh();
    }
    if (now - lastLiveStats > LIVE_STATS_MS) {
      lastLiveStats = now;
      updateLatentStats();
    }
  } else if (e.kind === 'epoch') {
    lossChart.addValidation(e.epoch, e.valLoss);
    state.history.push(e);
    renderTestAverages(state.history);
    updateFilters();
    updateLatentStats();
    refresh();
  }
}

function describeRun(config) {
  const base = state.runs[0]?.config;
  if (!base) return `F[${config.filters}] g${config.latent_grid} ${config.activation} ${config.optimizer} lr ${config.learning_rate}`;
  const diff = [];
  for (const key of Object.keys(config)) {
    if (JSON.stringify(config[key]) !== JSON.stringify(base[key])) diff.push(`${key} ${JSON.stringify(config[key])}`);
  }
  return diff.length ? diff.join(', ') : 'same as #1';
}

async function train() {
  const { config } = form.read();
  if (!config) return;
  $('error-banner').hidden = true;
  setTraining(true);
  state.history = [];
  lossChart.reset();
  try {
    await applyModel(config);
    status('Training…');
    const result = await state.engine.train({ epochs: config.epochs, onProgress });
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
    showError(e.code === 'diverged' ? `${e.message}` : `Training stopped: ${e.message}`);
    status('Training stopped');
  } finally {
    setTraining(false);
    configChanged(form.read().config);
    refresh();
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

$('btn-train').addEventListener('click', train);
$('btn-pause').addEventListener('click', async () => {
  state.paused = !state.paused;
  $('btn-pause').textContent = state.paused ? 'Resume' : 'Pause';
  status(state.paused ? 'Paused' : 'Training…');
  await (state.paused ? state.engine.pause() : state.engine.resume());
});
$('btn-stop').addEventListener('click', () => state.engine.stop());

// ---------------------------------------------------------------- start
async function start() {
  form.write(DEFAULT_CONFIG);
  $('btn-train').disabled = true;
  try {
    state.engine = await createEngine();
  } catch (e) {
    status('The engine could not start');
    showError(`The engine could not start: ${e.message}. AeVP needs a browser with WebAssembly SIMD and module workers (a current Chrome, Edge, Firefox or Safari).`);
    return;
  }
  document.querySelector('input[name=source][value=test]').checked = true;
  $('draw-host').hidden = true;
  $('test-host').hidden = false;
  if (!(await loadDataset('mnist'))) return;
  await applyModel(DEFAULT_CONFIG);
  await pickTestImage(randomTestIndex());
  configChanged(form.read().config);
}

start();
