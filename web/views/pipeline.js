// pipeline.js — the autoencoder laid out left to right: input, encoder maps, the bottleneck as
// sliders, decoder maps, output. Draws what it is given; it does not talk to the engine.
import { createAttentionView } from './attention.js';
import { diverging, drawLegend, drawMap, format, grey, range, viridis } from './maps.js';

const EXPLAIN = {
  input: 'The image the network sees, pixels from 0 (black) to 1 (white).',
  conv1: 'Each map is one filter slid over the input (stride 2): bright where the filter finds its pattern — edges, strokes, corners.',
  conv2: 'Filters over conv1’s maps combine simple features into parts of shapes, at a quarter of the resolution.',
  latent: 'The bottleneck: the whole image squeezed into these few numbers. Move a slider and the decoder redraws from the changed code.',
  dense: 'The decoder’s first step spreads the code back out into small maps.',
  convT1: 'Transposed convolutions upsample: each value paints a patch, doubling the size.',
  convT2: 'Full-size maps from which the last layer mixes the output.',
  output: 'The reconstruction. It is blurry because a few numbers cannot hold every detail: the decoder draws the average of what fits the code.',
};

// Any other stage is explained by its kind (and how the config halves or doubles the image).
const EXPLAIN_KIND = {
  conv: 'A convolution that halves the size — a stride-2 conv, or a conv then the largest value of each 2×2 window (max-pooling): features of a larger area.',
  residual: 'A residual block: conv, activation, conv, plus the block’s own input. The skip lets it learn only a correction, which keeps deep networks trainable.',
  attention: 'Self-attention: every position mixes in the values of the positions it finds relevant, wherever they are. Hover or focus a position to see where it looks.',
  up: 'Doubling the size: a transposed convolution paints overlapping patches (uneven overlaps can leave a checkerboard), or a nearest-neighbour copy then a convolution (no checkerboard; Odena et al., Distill 2016).',
};

function title(name) {
  const fixed = { input: 'Input', latent: 'Bottleneck', dense: 'Dense → reshape', output: 'Output', attn_enc: 'Self-attention (encoder)',
                  attn_dec: 'Self-attention (decoder)' }[name];
  if (fixed) return fixed;
  let m = /^conv(\d)$/.exec(name);
  if (m) return `Conv ${m[1]}`;
  if ((m = /^convT(\d)$/.exec(name))) return `ConvTranspose ${m[1]}`;
  if ((m = /^up(\d)$/.exec(name))) return `Nearest ×2 + conv ${m[1]}`;
  if ((m = /^(enc|dec)(\d)\.res(\d)$/.exec(name))) return `Residual block ${m[1]}${m[2]}.${m[3]}`;
  return name;
}

const ROLE = { input: 'io', latent: 'bottleneck', output: 'io' };
const role = (name, afterLatent) => ROLE[name] ?? (afterLatent || name === 'dense' ? 'decoding' : 'encoding');

const THUMB = 16;   // Chromium's and Firefox's range thumb, in CSS pixels

function tileWidth(h) { return h <= 7 ? 30 : h <= 14 ? 40 : 46; }

export function createPipeline(container, legendHost, { onLatent, onReset, onRandom, onPrior }) {
  let stages = [];          // [{name, shape}] from the engine, conv1..output
  let cards = new Map();    // name -> {tiles: [canvas], big: canvas, data, shape}
  let rangeMode = 'layer';
  let sliders = [];
  let stats = null;
  let encoded = null;       // the latent of the current input
  let sigma = null;         // a VAE's spread of the code of the current input
  let variational = false;
  let deadNote = null, sigmaNote = null, priorButton = null;
  const zoom = document.getElementById('zoom');
  const zoomCanvas = document.getElementById('zoom-canvas');
  const zoomText = document.getElementById('zoom-text');

  const legend = document.createElement('canvas');
  legendHost.append('low', legend, 'high — colours map each layer’s (or map’s) smallest value to dark blue, its largest to yellow');
  drawLegend(legend);

  function card(name, shape, { afterLatent = false, kind = '' } = {}) {
    const el = document.createElement('section');
    el.className = `stage ${role(name, afterLatent)}${kind ? ` kind-${kind}` : ''}`;
    el.dataset.stage = name;
    const head = document.createElement('header');
    const h3 = document.createElement('h3');
    h3.textContent = title(name);
    const sh = document.createElement('span');
    sh.className = 'shape';
    sh.textContent = shape.join('×');
    head.append(h3, sh);
    el.append(head);
    return el;
  }

  function explain(el, name, kind) {
    const p = document.createElement('p');
    p.className = 'explain-text';
    p.textContent = stages.length === 7 || !EXPLAIN_KIND[kind] ? EXPLAIN[name] ?? EXPLAIN_KIND[kind] ?? '' : EXPLAIN_KIND[kind];
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
      cv.setAttribute('aria-label', `${title(name)} map ${k + 1} of ${c}`);
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
      // No step grid: the value a slider shows is the value decoded, not a neighbour of it
      // (arrow keys move 1% of the range, Page Up/Down 10%).
      input.step = 'any';
      input.value = 0;
      input.setAttribute('aria-label', `Latent unit ${k + 1}`);
      const out = document.createElement('output');
      out.textContent = '0.00';
      input.addEventListener('input', () => {
        out.textContent = Number(input.value).toFixed(2);
        onLatent(currentLatent());
      });
      // The track holds the slider and, for a VAE, the band mu ± sigma of the current input.
      const track = document.createElement('span');
      track.className = 'track';
      const band = document.createElement('span');
      band.className = 'sigma-band';
      band.hidden = true;
      track.append(band, input);
      row.append(name, track, out);
      box.append(row);
      sliders.push({ input, out, band, row });
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
    priorButton = document.createElement('button');
    priorButton.type = 'button';
    priorButton.textContent = 'Sample from the prior';
    priorButton.title = 'Draw a code from N(0, 1) per unit, the distribution a VAE is trained to fill, and decode it';
    priorButton.hidden = !variational;
    priorButton.addEventListener('click', () => onPrior());
    buttons.append(reset, random, priorButton);
    deadNote = document.createElement('p');
    deadNote.className = 'dead-note';
    deadNote.hidden = true;
    sigmaNote = document.createElement('p');
    sigmaNote.className = 'dead-note sigma-note';
    sigmaNote.textContent = 'Orange: μ ± σ, the spread of this image’s code. Training samples the code from it; the sliders start at μ.';
    sigmaNote.hidden = !variational;
    el.append(box, buttons, sigmaNote, deadNote);
  }

  function currentLatent() {
    return Float32Array.from(sliders, (s) => Number(s.input.value));
  }

  // (Re)builds the cards for a model: stages as the engine describes them.
  function setModel(described) {
    stages = described.stages;
    variational = Boolean(described.config?.variational);
    sigma = null;
    cards = new Map();
    container.replaceChildren();
    const input = card('input', stages.at(-1).shape);
    const inputCanvas = big(input, 'The input image');
    explain(input, 'input');
    container.append(input);
    cards.set('input', { big: inputCanvas, shape: stages.at(-1).shape });
    let afterLatent = false;
    for (const s of stages) {
      if (s.kind === 'attention_weights') continue; // drawn on its attention card, on hover
      if (s.name === 'latent') afterLatent = true;
      // An arrow and the card it points to wrap together.
      const step = document.createElement('div');
      step.className = 'step';
      const el = card(s.name, s.shape, { afterLatent, kind: s.kind });
      step.append(arrow(), el);
      if (s.name === 'latent') {
        buildSliders(el, s.shape[0]);
        cards.set(s.name, { shape: s.shape });
      } else if (s.name === 'output') {
        cards.set(s.name, { big: big(el, 'The reconstruction'), shape: s.shape });
      } else {
        const tiles = tileGrid(el, s.name, s.shape);
        cards.set(s.name, { tiles, shape: s.shape });
        // Its weights arrive as the next stage, drawn here rather than as a card of their own.
        if (s.kind === 'attention') cards.set(`${s.name}.weights`, { attention: createAttentionView(el, s.shape) });
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
      explain(el, s.name, s.kind);
      container.append(step);
    }
  }

  function drawStage(name, data) {
    const entry = cards.get(name);
    if (!entry) return;
    if (entry.attention) {
      entry.attention.draw(data);
      return;
    }
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
    setSigma(trace.sigma ?? null);
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
      s.out.textContent = Number(s.input.value).toFixed(2);   // what a decode reads (clamped to the range)
    });
  }

  // Slider ranges from the latent statistics of the test set, with a margin either side.
  // A VAE's ranges also cover the prior's ±2.5 so that samples from it fit.
  function setStats(next) {
    stats = next;
    const dead = deadUnits(stats, variational);
    sliders.forEach((s, k) => {
      let lo = stats.min[k], hi = stats.max[k];
      if (variational) { lo = Math.min(lo, -2.5); hi = Math.max(hi, 2.5); }
      const span = Math.max(hi - lo, 1e-3);
      s.input.min = (lo - 0.15 * span).toFixed(3);
      s.input.max = (hi + 0.15 * span).toFixed(3);
      s.row.classList.toggle('dead', dead[k]);
      s.input.title = `test set: ${format(stats.min[k], 2)} … ${format(stats.max[k], 2)} (mean ${format(stats.mean[k], 2)}, σ ${format(stats.std[k], 3)})` +
        (dead[k] ? ' — a dead unit: it barely varies over the test set, so it carries almost nothing about the image' : '');
    });
    const count = dead.filter(Boolean).length;
    if (deadNote) {
      deadNote.hidden = count === 0;
      deadNote.textContent = `${count} of ${dead.length} unit${dead.length === 1 ? '' : 's'} dead (struck through): ` +
        (variational ? 'their means vary with variance below 0.01 over the test set — the KL term pushed them to the prior'
                     : 'they vary less than 5% as much as the liveliest unit over the test set');
    }
    if (encoded) setSliders(encoded);
    drawBands();
  }

  // mu ± sigma of the current input on each slider's track (a VAE's trace gives sigma).
  function setSigma(next) {
    sigma = next;
    drawBands();
  }

  function setVariational(on) {
    variational = on;
    sigma = null;
    if (priorButton) priorButton.hidden = !on;
    if (sigmaNote) sigmaNote.hidden = !on;
    drawBands();
  }

  function drawBands() {
    sliders.forEach((s, k) => {
      if (!sigma || !encoded) { s.band.hidden = true; return; }
      const lo = Number(s.input.min), hi = Number(s.input.max), span = hi - lo;
      const a = Math.max(0, (encoded[k] - sigma[k] - lo) / span), b = Math.min(1, (encoded[k] + sigma[k] - lo) / span);
      // The thumb's centre runs from half a thumb in from each end of the input (THUMB px wide).
      s.band.hidden = !(b > a);
      s.band.style.left = `calc(${THUMB / 2}px + ${a.toFixed(4)} * (100% - ${THUMB}px))`;
      s.band.style.width = `calc(${(b - a).toFixed(4)} * (100% - ${THUMB}px))`;
      s.band.title = `this input's code: μ ${format(encoded[k], 2)} ± σ ${format(sigma[k], 2)}`;
    });
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
    zoomText.textContent = `${title(name)} · map ${k + 1}/${c} · ${h}×${w}\nmin ${format(r.min)}  max ${format(r.max)}`;
    const box = target.getBoundingClientRect();
    zoom.hidden = false;
    const x = Math.min(box.right + 10, window.innerWidth - 200);
    const y = Math.min(Math.max(box.top - 40, 8), window.innerHeight - 230);
    zoom.style.left = `${x}px`;
    zoom.style.top = `${y}px`;
  }

  function hideZoom() { zoom.hidden = true; }

  return { setModel, setVariational, renderInput, renderTrace, renderDecoder, setSliders, setStats, setFilters, setRangeMode,
           currentLatent, randomLatent, encoded: () => encoded };
}

// Which units are dead. A VAE's unit is inactive when its mean varies with variance below 0.01
// over the data (the activity measure of Burda et al., 2016: its code is the prior's whatever the
// image). A plain autoencoder's code has no natural scale, so there the bar is relative: a spread
// under 5% of the liveliest unit's.
export function deadUnits(stats, variational) {
  const std = Array.from(stats.std);
  const top = Math.max(...std, 0);
  return std.map((s) => (variational ? s * s < 0.01 : s < 0.05 * top));
}
