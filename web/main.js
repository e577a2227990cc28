// main.js — wires the page: the engine, the views and the user's actions. Holds the page state
// in one object; the views draw what they are given and the engine does all the computing.
import * as autosave from './autosave.js';
import { createEngine } from './engine.js';
import { cacheDataset, onOfflineReady } from './pwa.js';
import { decodeWeights, encodeWeights, fitsInLink, listenHash, parseHash, serializeHash, writeHash } from './state.js';
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
  history: [],
  epochOffset: 0,      // epochs already done when a run resumes after a reload
  epochsPlanned: 0,
  slidersMoved: false,
  restoring: true,     // no autosave or hash writes until the page has been set up
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
  onLatent: (latent) => { state.slidersMoved = true; requestDecode(latent); viewChanged(); },
  onReset: () => {
    if (!state.lastTrace) return;
    state.slidersMoved = false;
    pipeline.setSliders(state.lastTrace.latent);
    requestDecode(state.lastTrace.latent);
    viewChanged();
  },
  onRandom: () => { state.slidersMoved = true; const z = pipeline.randomLatent(); pipeline.setSliders(z); requestDecode(z); viewChanged(); },
});
const form = createConfigForm($('config-form'), { onChange: ({ config }) => configChanged(config) });
const pad = createDrawPad($('draw-host'), { onChange: () => { if (state.source === 'draw') { state.slidersMoved = false; refresh(); viewChanged(); } } });

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
  for (const name of ['epoch', 'val loss', 'MSE', 'PSNR', 'SSIM']) {
    const th = document.createElement('th');
    th.textContent = name;
    head.append(th);
  }
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
  cacheDataset(name).catch((e) => console.warn(`${d.displayName} will not be kept offline: ${e.message}`));
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
    lossChart.addTrain(x, e.loss);
    $('train-bar').value = x / state.epochsPlanned;
    $('train-numbers').textContent =
      `epoch ${state.epochOffset + e.epoch}/${state.epochsPlanned} · batch ${e.batch}/${e.batches} · loss ${e.loss.toFixed(4)}\n` +
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
  } else if (e.kind === 'diverged') {
    state.paused = true;
    $('btn-pause').textContent = 'Resume';
    status('Paused: the training diverged');
    showError(`${e.message} Training is paused at epoch ${state.epochOffset + e.epoch}, batch ${e.batch}: press Stop, ` +
      'lower the learning rate and train again (or Resume to retry the batch).');
  } else if (e.kind === 'epoch') {
    const record = { ...e, epoch: state.epochOffset + e.epoch };
    lossChart.addValidation(record.epoch, record.valLoss);
    state.history.push(record);
    renderTestAverages(state.history);
    updateFilters();
    updateLatentStats();
    refresh();
    // The last completed epoch is what a reload resumes from.
    saveNow({ interrupted: { epochsDone: record.epoch, epochs: state.epochsPlanned } });
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

// resume: {epochsDone} to go on with the current model and history after a reload.
async function train({ resume = null } = {}) {
  const { config } = form.read();
  if (!config) return;
  $('error-banner').hidden = true;
  setTraining(true);
  if (!resume) {
    state.history = [];
    lossChart.reset();
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
        JSON.stringify({ ...p.config, epochs: 0 }) === JSON.stringify({ ...config, epochs: 0 }));
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
// ?debug gives the browser tests a handle to make the engine crash.
if (new URLSearchParams(location.search).has('debug')) window.aevpDebug = { crash: () => state.engine.crashForTest() };
start();
