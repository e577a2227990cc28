// models.js — the models panel: the data sets, the trained presets, and model files (export, the
// PyTorch script for them, import by picker or drop). Loading one is store.update({dataset}) or ({model}); the other
// panels follow. Requests from elsewhere come as datasetWanted and presetWanted.
import { torchScript } from '../lib/torch-export.js';
import { cacheDataset } from '../pwa.js';
import { store } from './store.js';

const $ = (id) => document.getElementById(id);
const MAX_FILE_BYTES = 256 * 2 ** 20;
const KNOWN_DATASETS = ['mnist', 'fashion'];
const DATASET_NAMES = { mnist: 'MNIST', fashion: 'Fashion-MNIST' };

export function createModels({ presetButtons, notices }) {
  const s = store.state;

  // The last data set chosen wins: a load that a newer one overtook (two quick clicks) reports
  // nothing and changes nothing; the engine drops it too (code 'superseded').
  let loads = 0;
  let datasetError = '';               // why the last data set asked for could not be loaded
  async function loadDataset(name) {
    const ticket = ++loads;
    const overtaken = () => ticket !== loads;
    document.querySelector(`input[name=dataset][value=${name}]`).checked = true;
    $('download').hidden = false;
    notices.status(`Loading ${DATASET_NAMES[name]}…`);
    datasetError = '';
    let d;
    try {
      d = await s.engine.loadDataset(name, {
        onProgress: (e) => {
          $('download-bar').value = e.total ? e.loaded / e.total : 0;
          $('download-text').textContent = `${(e.loaded / 1e6).toFixed(1)} / ${(e.total / 1e6).toFixed(1)} MB`;
        },
      });
    } catch (e) {
      if (overtaken()) return;
      // The page stays with the data set it has: the radio buttons say so, and the message says
      // what would make the other one load.
      const offline = navigator.onLine === false;
      datasetError = `${DATASET_NAMES[name]} could not be loaded: ${e.message}` +
        (offline ? `. It needs a connection once; after that it works offline too.` : '');
      const current = s.dataset;
      if (current) document.querySelector(`input[name=dataset][value=${current.name}]`).checked = true;
      else document.querySelector(`input[name=dataset][value=${name}]`).checked = false;
      notices.error(`${datasetError}${current ? ` ${current.displayName} stays in use.` : ''}`);
      notices.status(current ? `${current.displayName} ready (${DATASET_NAMES[name]} could not be loaded)` : 'No data set could be loaded.');
      return;
    } finally {
      if (!overtaken()) $('download').hidden = true;
    }
    if (overtaken()) return;
    $('classes').textContent = `${d.train.toLocaleString('en')} training and ${d.test.toLocaleString('en')} test images of ${d.classes.length} classes: ${d.classes.join(', ')}.`;
    await store.update({ dataset: d });
    if (overtaken()) return;
    notices.status(`${d.displayName} ready`);
    cacheDataset(name).catch((e) => console.warn(`${d.displayName} will not be kept offline: ${e.message}`));
  }

  // Loads a data set chosen here, and a random test image of it.
  async function chooseDataset(name) {
    await store.update({ datasetWanted: { name } });
    if (s.dataset?.name === name) await store.update({ testIndex: Math.floor(Math.random() * s.dataset.test) });
  }

  async function loadPreset(p) {
    if (s.training) { notices.error('Stop the training run before choosing a preset.'); return; }
    const t0 = performance.now();
    const firstImage = !s.testImage;    // a first preset starts from a random test image
    try {
      const [bytes] = await Promise.all([
        fetch(`presets/${p.file}`).then((r) => {
          if (!r.ok) throw new Error(`HTTP ${r.status}`);
          return r.arrayBuffer();
        }),
        s.dataset?.name === p.dataset ? null : store.update({ datasetWanted: { name: p.dataset } }),
      ]);
      // Its data set could not be loaded (offline, say): the page keeps its model and data set.
      if (s.dataset?.name !== p.dataset) {
        notices.error(`The preset "${p.title}" was not opened: ${datasetError || `${DATASET_NAMES[p.dataset]} is not loaded`}. ` +
          'The current model is unchanged.');
        return;
      }
      const model = await s.engine.load(new Uint8Array(bytes));
      await store.update({ configWanted: { config: model.config } });
      if (firstImage || s.testIndex >= s.dataset.test) await store.update({ testIndex: Math.floor(Math.random() * s.dataset.test) });
      await store.update({ model, trainedBefore: p.epochs ?? (Number(model.metadata?.epochs_trained) || 0) });
      await store.update({ modelSource: { kind: 'preset', title: p.title, epochs: p.epochs, valLoss: p.val_loss } });
      store.update({ presetActive: p.name });
      notices.clearError();
      const ms = performance.now() - t0;
      if (!s.training) $('train-numbers').textContent = `${p.title} is loaded, trained for ${p.epochs} epoch${p.epochs === 1 ? '' : 's'}. Train starts a new run from fresh weights with the settings above; Train more goes on from this model.`;
      notices.status(`${p.title}: ready in ${Math.round(ms)} ms`);
    } catch (e) {
      notices.error(`The preset "${p.title}" could not be loaded: ${e.message}`);
    }
  }

  async function loadPresetList() {
    let presets = [];
    try {
      presets = (await (await fetch('presets/presets.json')).json()).presets;
    } catch {
      presets = [];
    }
    presetButtons.render(presets);
    await store.update({ presets });
  }

  function download(bytes, name, type = 'application/octet-stream') {
    const url = URL.createObjectURL(new Blob([bytes], { type }));
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  // A preset's or a file's epochs, and those trained here since.
  const epochsTrained = () => s.trainedBefore + (s.history.at(-1)?.epoch ?? 0);

  async function exportModel() {
    if (!s.model) return;
    const last = s.history.at(-1);
    const bytes = await s.engine.save({
      dataset: s.dataset?.name ?? '', epochs_trained: String(epochsTrained()),
      ...(last ? { val_loss: last.valLoss.toFixed(6), val_psnr: last.psnr.toFixed(3), val_ssim: last.ssim.toFixed(4) } : {}),
    });
    download(bytes, `${fileStem()}.safetensors`);
  }

  // "aevp-mnist-3x3": the model file and its PyTorch script share it, so they go together.
  function fileStem() {
    const g = s.model.config.latent_grid;
    return `aevp-${s.dataset?.name ?? 'model'}-${g}x${g}`;
  }

  // The standalone PyTorch script for the current model's config (README "PyTorch export"): it
  // loads the model file that Export model writes.
  function exportTorch() {
    if (!s.model) return;
    try {
      const text = torchScript({ config: s.model.config, tensors: s.model.tensors, dataset: s.dataset?.name ?? 'mnist' });
      download(new TextEncoder().encode(text), `${fileStem()}.py`, 'text/x-python');
      notices.status(`Saved ${fileStem()}.py: run it beside ${fileStem()}.safetensors (Export model), e.g. python3 ${fileStem()}.py --help`);
    } catch (e) {
      notices.error(`The PyTorch script could not be written: ${e.message}. The model is unchanged.`);
    }
  }

  async function importFile(file) {
    if (s.training) { notices.error('Stop the training run before loading a model file.'); return; }
    if (file.size > MAX_FILE_BYTES) { notices.error(`${file.name} is ${(file.size / 2 ** 20).toFixed(0)} MB: a model file is far smaller (the limit is 256 MB). Nothing was loaded.`); return; }
    try {
      const model = await s.engine.load(new Uint8Array(await file.arrayBuffer()));
      const dataset = model.metadata?.dataset;
      if (KNOWN_DATASETS.includes(dataset) && dataset !== s.dataset?.name) await chooseDataset(dataset);
      await store.update({ configWanted: { config: model.config } });
      await store.update({ model, trainedBefore: Number(model.metadata?.epochs_trained) || 0, presetActive: null });
      await store.update({ modelSource: { kind: 'file', title: file.name, epochs: Number(model.metadata?.epochs_trained) || 0,
                                          valLoss: Number(model.metadata?.val_loss) || null } });
      notices.clearError();
      notices.status(`Loaded ${file.name}`);
      $('train-numbers').textContent = `${file.name} is loaded. Train starts a new run from fresh weights with the settings above; Train more goes on from this model.`;
    } catch (e) {
      notices.error(`${file.name} was not loaded: ${e.message}. The current model is unchanged.`);
    }
  }

  store.on('datasetWanted', (wanted) => (wanted ? loadDataset(wanted.name) : undefined));
  store.on('presetWanted', (wanted) => {
    const p = wanted && s.presets.find((x) => x.name === wanted.name);
    return p ? loadPreset(p) : undefined;
  });
  store.on('presetActive', (name) => presetButtons.setActive(name));
  // A new engine holds no data: the data set in use is loaded into it again.
  store.on('engine', (engine, before) => {
    if (engine && before && s.dataset) return loadDataset(s.dataset.name);
  });

  for (const radio of document.querySelectorAll('input[name=dataset]'))
    radio.addEventListener('change', () => chooseDataset(radio.value));
  $('btn-export').addEventListener('click', () => exportModel());
  $('btn-torch').addEventListener('click', () => exportTorch());
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

  return { handlers: { onPick: (p) => store.update({ presetWanted: { name: p.name } }) }, start: loadPresetList };
}
