// pipeline.js — the autoencoder laid out left to right: input, encoder maps, the bottleneck as
// sliders, decoder maps, output. Draws what it is given; it does not talk to the engine.
import { diverging, drawLegend, drawMap, format, grey, range, viridis } from './maps.js';

const EXPLAIN = {
  input: 'The 28×28 image the network sees, pixels from 0 (black) to 1 (white).',
  conv1: 'Each map is one 3×3 filter slid over the input (stride 2): bright where the filter finds its pattern — edges, strokes, corners.',
  conv2: 'Filters over conv1’s maps combine simple features into parts of shapes, at a quarter of the resolution.',
  latent: 'The bottleneck: the whole image squeezed into these few numbers. Move a slider and the decoder redraws from the changed code.',
  dense: 'The decoder’s first step spreads the code back out into small maps.',
  convT1: 'Transposed convolutions upsample: each value paints a 3×3 patch, doubling the size.',
  convT2: 'Full-size maps from which the last layer mixes the output.',
  output: 'The reconstruction. It is blurry because a few numbers cannot hold every detail: the decoder draws the average of what fits the code.',
};

const TITLES = { input: 'Input', conv1: 'Conv 1', conv2: 'Conv 2', latent: 'Bottleneck', dense: 'Dense → reshape',
                 convT1: 'ConvTranspose 1', convT2: 'ConvTranspose 2', output: 'Output' };
const ROLE = { input: 'io', conv1: 'encoder', conv2: 'encoder', latent: 'bottleneck', dense: 'decoder',
               convT1: 'decoder', convT2: 'decoder', output: 'io' };

function tileWidth(h) { return h <= 7 ? 30 : h <= 14 ? 40 : 46; }

export function createPipeline(container, legendHost, { onLatent, onReset, onRandom }) {
  let stages = [];          // [{name, shape}] from the engine, conv1..output
  let cards = new Map();    // name -> {tiles: [canvas], big: canvas, data, shape}
  let rangeMode = 'layer';
  let sliders = [];
  let stats = null;
  let encoded = null;       // the latent of the current input
  const zoom = document.getElementById('zoom');
  const zoomCanvas = document.getElementById('zoom-canvas');
  const zoomText = document.getElementById('zoom-text');

  const legend = document.createElement('canvas');
  legendHost.append('low', legend, 'high — colours map each layer’s (or map’s) smallest value to dark blue, its largest to yellow');
  drawLegend(legend);

  function card(name, shape) {
    const el = document.createElement('section');
    el.className = `stage ${ROLE[name]}`;
    el.dataset.stage = name;
    const head = document.createElement('header');
    const h3 = document.createElement('h3');
    h3.textContent = TITLES[name];
    const sh = document.createElement('span');
    sh.className = 'shape';
    sh.textContent = shape.join('×');
    head.append(h3, sh);
    el.append(head);
    return el;
  }

  function explain(el, name) {
    const p = document.createElement('p');
    p.className = 'explain-text';
    p.textContent = EXPLAIN[name];
    el.append(p);
  }

  function tileGrid(el, name, [h, w, c]) {
    const grid = document.createElement('div');
    grid.className = 'tiles';
    const cols = c <= 4 ? c : c <= 16 ? 4 : 8;
    grid.style.gridTemplateColumns = `repeat(${cols}, ${tileWidth(h)}px)`;
    const tiles = [];
    for (let k = 0; k < c; k++) {
      const cv = document.createElement('canvas');
      cv.width = w;
      cv.height = h;
      cv.tabIndex = 0;
      cv.setAttribute('role', 'img');
      cv.setAttribute('aria-label', `${TITLES[name]} map ${k + 1} of ${c}`);
      cv.dataset.channel = k;
      const show = (e) => showZoom(name, k, e.currentTarget);
      cv.addEventListener('pointerenter', show);
      cv.addEventListener('focus', show);
      cv.addEventListener('pointerleave', hideZoom);
      cv.addEventListener('blur', hideZoom);
      grid.append(cv);
      tiles.push(cv);
    }
    el.append(grid);
    return tiles;
  }

  function big(el, label) {
    const wrap = document.createElement('div');
    wrap.className = 'big';
    const cv = document.createElement('canvas');
    cv.width = 28;
    cv.height = 28;
    cv.setAttribute('role', 'img');
    cv.setAttribute('aria-label', label);
    wrap.append(cv);
    el.append(wrap);
    return cv;
  }

  function arrow() {
    const a = document.createElement('div');
    a.className = 'arrow';
    a.textContent = '→';
    a.setAttribute('aria-hidden', 'true');
    return a;
  }

  function buildSliders(el, g) {
    const box = document.createElement('div');
    box.className = 'sliders';
    box.style.gridTemplateColumns = `repeat(${g <= 3 ? 1 : 2}, minmax(min-content, 1fr))`;
    sliders = [];
    for (let k = 0; k < g * g; k++) {
      const row = document.createElement('label');
      row.className = 'slider';
      const name = document.createElement('span');
      name.textContent = `z${k + 1}`;
      const input = document.createElement('input');
      input.type = 'range';
      input.min = -3;
      input.max = 3;
      input.step = 0.01;
      input.value = 0;
      input.setAttribute('aria-label', `Latent unit ${k + 1}`);
      const out = document.createElement('output');
      out.textContent = '0.00';
      input.addEventListener('input', () => {
        out.textContent = Number(input.value).toFixed(2);
        onLatent(currentLatent());
      });
      row.append(name, input, out);
      box.append(row);
      sliders.push({ input, out });
    }
    const buttons = document.createElement('div');
    buttons.className = 'slider-buttons';
    const reset = document.createElement('button');
    reset.type = 'button';
    reset.textContent = 'Reset to encoded';
    reset.addEventListener('click', () => onReset());
    const random = document.createElement('button');
    random.type = 'button';
    random.textContent = 'Randomise';
    random.addEventListener('click', () => onRandom());
    buttons.append(reset, random);
    el.append(box, buttons);
  }

  function currentLatent() {
    return Float32Array.from(sliders, (s) => Number(s.input.value));
  }

  // (Re)builds the cards for a model: stages as the engine describes them.
  function setModel(described) {
    stages = described.stages;
    cards = new Map();
    container.replaceChildren();
    const input = card('input', stages.at(-1).shape);
    const inputCanvas = big(input, 'The input image');
    explain(input, 'input');
    container.append(input);
    cards.set('input', { big: inputCanvas, shape: stages.at(-1).shape });
    for (const s of stages) {
      // An arrow and the card it points to wrap together.
      const step = document.createElement('div');
      step.className = 'step';
      const el = card(s.name, s.shape);
      step.append(arrow(), el);
      if (s.name === 'latent') {
        buildSliders(el, s.shape[0]);
        cards.set(s.name, { shape: s.shape });
      } else if (s.name === 'output') {
        cards.set(s.name, { big: big(el, 'The reconstruction'), shape: s.shape });
      } else {
        const tiles = tileGrid(el, s.name, s.shape);
        cards.set(s.name, { tiles, shape: s.shape });
        if (s.name === 'conv1') {
          const t = document.createElement('p');
          t.className = 'filters-title';
          t.textContent = 'Learned 3×3 filters (blue < 0 < orange)';
          const f = document.createElement('div');
          f.className = 'filters';
          el.append(t, f);
          cards.get('conv1').filters = f;
        }
      }
      explain(el, s.name);
      container.append(step);
    }
  }

  function drawStage(name, data) {
    const entry = cards.get(name);
    if (!entry) return;
    entry.data = data;
    const [h, w, c] = entry.shape;
    if (entry.big) {
      drawMap(entry.big, data, { h, w, channels: c, min: 0, max: 1, table: grey });
      return;
    }
    if (!entry.tiles) return;
    const layer = range(data);
    for (let k = 0; k < c; k++) {
      const r = rangeMode === 'map' ? range(data, k, c) : layer;
      drawMap(entry.tiles[k], data, { h, w, channel: k, channels: c, min: r.min, max: r.max });
    }
  }

  function renderInput(image) { drawStage('input', image); }

  // A full trace: every stage, and the sliders move to the encoded latent.
  // keepSliders: the user moved them; they stay where they are.
  function renderTrace(trace, { keepSliders = false } = {}) {
    for (const s of trace.stages) drawStage(s.name, s.data);
    encoded = trace.latent;
    if (!keepSliders) setSliders(trace.latent);
  }

  // The decoder stages of a decode (the sliders already show the latent).
  function renderDecoder(decoderStages) {
    for (const s of decoderStages) if (s.name !== 'latent') drawStage(s.name, s.data);
  }

  function setSliders(latent) {
    latent.forEach((v, k) => {
      const s = sliders[k];
      if (!s) return;
      s.input.value = v;
      s.out.textContent = v.toFixed(2);
    });
  }

  // Slider ranges from the latent statistics of the test set, with a margin either side.
  function setStats(next) {
    stats = next;
    sliders.forEach((s, k) => {
      const span = Math.max(stats.max[k] - stats.min[k], 1e-3);
      s.input.min = (stats.min[k] - 0.15 * span).toFixed(3);
      s.input.max = (stats.max[k] + 0.15 * span).toFixed(3);
      s.input.step = (span / 200).toPrecision(2);
      s.input.title = `test set: ${format(stats.min[k], 2)} … ${format(stats.max[k], 2)} (mean ${format(stats.mean[k], 2)})`;
    });
    if (encoded) setSliders(encoded);
  }

  function randomLatent() {
    if (!stats) return currentLatent();
    // Box-Muller draws from each unit's test-set mean and spread.
    return Float32Array.from(sliders, (_, k) => {
      const u = 1 - Math.random(), v = Math.random();
      return stats.mean[k] + stats.std[k] * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    });
  }

  function setFilters(weights, [kh, kw, cin, cout]) {
    const host = cards.get('conv1')?.filters;
    if (!host) return;
    const r = range(weights);
    const bound = Math.max(Math.abs(r.min), Math.abs(r.max));
    const tiles = [];
    for (let o = 0; o < cout; o++) {
      // The filter of output o, averaged over input channels: a 3x3 image.
      const f = new Float32Array(kh * kw);
      for (let i = 0; i < kh * kw; i++)
        for (let ci = 0; ci < cin; ci++) f[i] += weights[(i * cin + ci) * cout + o] / cin;
      const cv = document.createElement('canvas');
      drawMap(cv, f, { h: kh, w: kw, min: -bound, max: bound, table: diverging });
      cv.setAttribute('role', 'img');
      cv.setAttribute('aria-label', `conv1 filter ${o + 1}`);
      tiles.push(cv);
    }
    host.replaceChildren(...tiles);
  }

  function setRangeMode(mode) {
    rangeMode = mode;
    for (const [name, entry] of cards) if (entry.data && entry.tiles) drawStage(name, entry.data);
  }

  function showZoom(name, k, target) {
    const entry = cards.get(name);
    if (!entry?.data) return;
    const [h, w, c] = entry.shape;
    const r = range(entry.data, k, c);
    const shown = rangeMode === 'map' ? r : range(entry.data);
    drawMap(zoomCanvas, entry.data, { h, w, channel: k, channels: c, min: shown.min, max: shown.max });
    zoomText.textContent = `${TITLES[name]} · map ${k + 1}/${c} · ${h}×${w}\nmin ${format(r.min)}  max ${format(r.max)}`;
    const box = target.getBoundingClientRect();
    zoom.hidden = false;
    const x = Math.min(box.right + 10, window.innerWidth - 200);
    const y = Math.min(Math.max(box.top - 40, 8), window.innerHeight - 230);
    zoom.style.left = `${x}px`;
    zoom.style.top = `${y}px`;
  }

  function hideZoom() { zoom.hidden = true; }

  return { setModel, renderInput, renderTrace, renderDecoder, setSliders, setStats, setFilters, setRangeMode,
           currentLatent, randomLatent, encoded: () => encoded };
}
