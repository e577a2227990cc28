// inspect.js — the input and metrics panel: the test image or the drawing and its corruption, the
// trace through the model, the sliders' decode, the error map and the test-set averages.
// Not the latent map (latent.js) nor the interpolation (interpolation.js): they follow the store.
import { gaussian } from '../lib/latent.js';
import { latestWins } from '../lib/latest.js';
import { corrupt } from '../lib/image.js';
import { store } from './store.js';

const $ = (id) => document.getElementById(id);
const LIVE_TRACE_MS = 350;            // how often the maps follow the training model

export function createInspect({ pipeline, pad, metrics, notices }) {
  const s = store.state;
  let lastTrace = null;
  let shownCode = null;               // the code this panel last put in the sliders and decoded
  let lastLiveTrace = 0;

  const report = (e) => { if (e.code !== 'crashed') notices.error(e.message); };
  const shape = () => s.model.config.input;
  const imageSize = () => { const { h, w, c } = shape(); return h * w * c; };

  function cleanInput() {
    if (s.source === 'draw') return pad.getImage();
    return s.testImage ?? new Float32Array(imageSize());
  }

  function currentInput() {
    const clean = cleanInput();
    if (!s.noise && !s.occlusion) return clean;
    return corrupt(clean, { noise: s.noise, occlusion: s.occlusion, seed: s.testIndex + 1 });
  }

  const caption = () => (s.source === 'draw' ? 'your drawing' : $('test-caption').textContent.replace(/^Test image /, ''));

  const decode = latestWins(async (z) => {
    if (!s.model) return;
    const { stages } = await s.engine.decode(z);
    pipeline.renderDecoder(stages);
    metrics.show(stages.at(-1).data, cleanInput(), null, shape());
  }, { onError: report });

  const trace = latestWins(async () => {
    if (!s.model || s.engineDead) return;
    const input = currentInput(), clean = cleanInput();
    const result = await s.engine.trace(input, { target: clean });
    lastTrace = result;
    pipeline.renderInput(input);
    store.update({ input: { image: input, caption: caption() } });
    if (s.slidersMoved) {
      // The user's slider values stay: only the encoder side follows the new input.
      const encoder = result.stages.slice(0, result.stages.findIndex((st) => st.name === 'latent'));
      pipeline.renderTrace({ ...result, stages: encoder }, { keepSliders: true });
      decode(pipeline.currentLatent());
    } else {
      pipeline.renderTrace(result);
      metrics.show(result.output, clean, result.metrics, shape());
      shownCode = result.latent;
      store.update({ code: result.latent });
    }
  }, { onError: report });

  // The input changed: the sliders follow the encoder again.
  function inputChanged() {
    return s.slidersMoved ? store.update({ slidersMoved: false }) : trace();
  }

  async function fetchTestImage() {
    const d = s.dataset;
    if (!d || !s.engine) return;
    const index = Math.min(s.testIndex, d.test - 1);
    const { images, labels } = await s.engine.testImages({ count: 1, offset: index });
    $('test-caption').textContent = `Test image #${index} · label: ${d.classes[labels[0]]}`;
    await store.update({ testImage: images });
  }

  function randomTestIndex() {
    const d = s.dataset, want = $('class-select').value;
    if (want === '') return Math.floor(Math.random() * d.test);
    const matches = [];
    d.testLabels.forEach((l, i) => { if (String(l) === want) matches.push(i); });
    return matches[Math.floor(Math.random() * matches.length)];
  }

  async function updateFilters() {
    const weights = await s.engine.getWeights();
    const t = s.model.tensors.find((x) => x.name === 'conv1.weight');
    pipeline.setFilters(weights.subarray(t.offset, t.offset + t.count), t.shape);
  }

  // Another panel (a map, a path, a link) put a code in the sliders: the decoder follows.
  store.on('code', (z) => {
    if (!s.slidersMoved || !z || z === shownCode) return;
    shownCode = z;
    pipeline.setSliders(z);
    return decode(z);
  });
  store.on('slidersMoved', (moved) => (moved ? undefined : trace()));
  function showSource(source) {
    document.querySelector(`input[name=source][value=${source}]`).checked = true;
    $('draw-host').hidden = source !== 'draw';
    $('test-host').hidden = source !== 'test';
  }
  showSource(s.source);
  store.on('source', (source) => {
    showSource(source);
    return inputChanged();
  });
  store.on('testImage', () => (s.source === 'test' ? inputChanged() : undefined));
  store.on('drawing', () => (s.source === 'draw' ? inputChanged() : undefined));
  for (const key of ['noise', 'occlusion']) {
    store.on(key, (value) => {
      $(key).value = value;
      $(`${key}-out`).textContent = value.toFixed(2);
      return trace();
    });
  }
  store.on(['testIndex', 'dataset'], () => fetchTestImage().catch(report));
  store.on('dataset', (d) => {
    if (d) $('class-select').replaceChildren(new Option('any', ''), ...d.classes.map((c, i) => new Option(c, String(i))));
  });
  store.on('model', async (model, before) => {
    if (!model) return;
    if (!before || JSON.stringify(before.stages) !== JSON.stringify(model.stages)) pipeline.setModel(model);
    pipeline.setVariational(Boolean(model.config.variational));
    await Promise.all([updateFilters(), inputChanged()]);
  });
  store.on('latentStats', (stats) => { if (stats) pipeline.setStats(stats); });
  store.on('progress', () => {
    const now = performance.now();
    if (now - lastLiveTrace > LIVE_TRACE_MS) {
      lastLiveTrace = now;
      trace();
    }
  });
  store.on('history', (history) => {
    if (s.dataset) metrics.showAverages(history, { testCount: s.dataset.test });
    if (s.training && history.length) return Promise.all([updateFilters().catch(report), trace()]);
  });
  store.on('training', (on) => (on ? undefined : trace()));

  $('btn-random').addEventListener('click', () => store.update({ testIndex: randomTestIndex() }));
  $('class-select').addEventListener('change', () => store.update({ testIndex: randomTestIndex() }));
  for (const radio of document.querySelectorAll('input[name=source]'))
    radio.addEventListener('change', () => store.update({ source: radio.value }));
  for (const key of ['noise', 'occlusion'])
    $(key).addEventListener('input', () => store.update({ [key]: Number($(key).value) }));
  for (const radio of document.querySelectorAll('input[name=range]'))
    radio.addEventListener('change', () => pipeline.setRangeMode(radio.value));

  // The views' callbacks (main hands them to the pipeline and the draw pad).
  const setCode = (z) => store.update({ code: z, slidersMoved: true });
  const handlers = {
    onLatent: (z) => { shownCode = z; decode(z); setCode(z); },
    onReset: () => { if (lastTrace) store.update({ slidersMoved: false }); },
    onRandom: () => setCode(pipeline.randomLatent()),
    // N(0, 1) per unit: what a VAE's decoder was trained to turn into images.
    onPrior: () => setCode(Float32Array.from({ length: s.model.latentDim }, () => gaussian())),
    onDraw: () => store.update({ drawing: s.drawing + 1 }),
  };

  return { handlers };
}
