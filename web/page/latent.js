// latent.js — the latent panel: the map of the test set's codes (PCA or t-SNE), the decoded
// manifold behind it, the marker of the current code, and picking a place or a point on it.
// Follows the store's model, data set and code; asks the engine for maps and decodes.
import { alignAxes, inversePca, manifoldLatents, nearestPlacement, pcaPoints, projectPca, totalVariance } from '../lib/latent.js';
import { latestWins } from '../lib/latest.js';
import { store } from './store.js';

const $ = (id) => document.getElementById(id);
const LIVE_STATS_MS = 2500;           // how often the latent map and the sliders' ranges follow training
const MANIFOLD_GRID = 12;             // decoded images per side of the plane
const MANIFOLD_ROW = 16;              // decoded images along a 1-D code

export function createLatentPanel({ latentMap, notices }) {
  const s = store.state;
  let map = null;                     // what latentMap returned for the current model
  let mapUpdates = 0;                 // how many it has returned (for the tests)
  let mapCount = Number($('map-count').value);
  let projection = 'pca';
  let tsne = null;                    // {embedding, latents, labels, dim, count, stale, ms, running, …}
  let lastLiveStats = 0;

  const report = (e) => { if (e.code !== 'crashed') notices.error(e.message); };

  const updateMap = latestWins(async () => {
    if (!s.dataset || !s.model || s.engineDead) return;
    const result = await s.engine.latentMap({ count: Math.min(mapCount, s.dataset.test) });
    // The model changed meanwhile: ask again for the new one (if there is one).
    if (result.dim !== s.model?.latentDim) { if (s.model) updateMap(); return; }
    alignAxes(result.pca, map?.pca);
    map = result;
    mapUpdates++;
    if (tsne && tsne.count !== map.count) tsne.stale = true;
    render();
    await store.update({ latentStats: map.stats });
  }, { onError: report });

  function render() {
    const d = s.dataset;
    if (!map || !d) { latentMap.clear(); return; }
    $('manifold-label').hidden = projection === 'tsne';
    if (projection === 'tsne') {
      if (tsne?.embedding) latentMap.setData({ points: tsne.embedding, labels: tsne.labels, classes: d.classes, axes: ['t-SNE 1', 't-SNE 2'], origin: false });
      latentMap.setManifold(null);
    } else {
      const total = totalVariance(map.stats.std);
      const share = (k) => (total > 0 ? `${Math.round(100 * map.pca.variance[k] / total)}% of the variance` : '');
      const axes = map.pca.variance.length === 2 ? [`PC 1 · ${share(0)}`, `PC 2 · ${share(1)}`] : ['z1, the one number of the code', 'class'];
      const yTicks = map.dim > 1 ? null : d.classes.map((name, c) => [c, name]);
      latentMap.setData({ points: pcaPoints(map), labels: map.labels, classes: d.classes, axes, origin: map.dim > 1, yTicks });
      updateManifold();
    }
    renderCaption();
    updateMarker();
  }

  function renderCaption() {
    let text;
    if (projection === 'pca' && map) {
      const total = totalVariance(map.stats.std);
      const kept = map.pca.variance.reduce((a, v) => a + v, 0);
      text = map.dim === 1 ? `${map.count.toLocaleString('en')} test images along the one latent number, one row per class.`
        : `PCA of ${map.count.toLocaleString('en')} codes of ${map.dim} numbers: this plane shows ${Math.round(100 * kept / Math.max(total, 1e-30))}% of their variance (computed in ${map.pcaMs.toFixed(1)} ms).`;
    } else if (tsne?.running) {
      text = `t-SNE of ${tsne.count.toLocaleString('en')} codes: iteration ${tsne.done ?? 0} of ${tsne.total ?? '…'}…`;
    } else if (tsne?.embedding) {
      text = (tsne.cancelled
        ? `t-SNE of ${tsne.count.toLocaleString('en')} codes, cancelled at iteration ${tsne.done} of ${tsne.total}: the map shows where it had got to.`
        : `t-SNE of ${tsne.count.toLocaleString('en')} codes in ${(tsne.ms / 1000).toFixed(1)} s (perplexity 30).`) +
        (tsne.stale ? ' The model or the number of images has changed since: run it again to follow.' : '');
    } else {
      text = 't-SNE has not run for this model yet.';
    }
    $('map-caption').textContent = text;
    $('btn-tsne').textContent = tsne?.running ? 'Cancel t-SNE' : tsne?.embedding ? 'Run t-SNE again' : 'Run t-SNE';
  }

  // The marker: the current code on the map, projected like the points on the PCA plane; on a
  // t-SNE map at the place of its nearest neighbours in code space.
  function updateMarker() {
    const z = s.code;
    if (!z || !map || z.length !== map.dim) { latentMap.setMarker(null); return; }
    if (projection === 'tsne') {
      latentMap.setMarker(tsne?.embedding && tsne.dim === map.dim ? nearestPlacement(tsne, z) : null);
      return;
    }
    const p = projectPca(map.pca, z);
    if (map.pca.variance.length === 1) {
      const b = latentMap.bounds();
      p[1] = b ? (b.y0 + b.y1) / 2 : 4.5;
    }
    latentMap.setMarker(p);
  }

  async function pick({ index, x, y }) {
    if (!map) return;
    if (projection === 'tsne') {
      if (index < 0) return;
      // That image itself becomes the input: the whole pipeline shows it, the sliders its code.
      await store.update({ source: 'test', testIndex: index, slidersMoved: false });
      notices.status(`Test image #${index} from the map`);
      return;
    }
    await store.update({ code: inversePca(map.pca, x, map.pca.variance.length > 1 ? y : 0), slidersMoved: true });
    notices.status(index >= 0 ? `Decoded test image #${index}'s place on the PCA plane` : 'Decoded a place on the PCA plane');
  }

  const updateManifold = latestWins(async (_, { superseded }) => {
    const b = latentMap.bounds();
    if (!map || !b || projection !== 'pca' || !$('manifold').checked) { latentMap.setManifold(null); return; }
    const oneD = map.pca.variance.length === 1;
    const rows = oneD ? 1 : MANIFOLD_GRID, cols = oneD ? MANIFOLD_ROW : MANIFOLD_GRID;
    const { images } = await s.engine.decode(manifoldLatents(map.pca, b, rows, cols));
    if (superseded()) return;
    latentMap.setManifold({ images, rows, cols, ...b, band: oneD });
  }, { onError: report });

  async function runTsne() {
    if (tsne?.running) { await s.engine.cancelTsne(); return; }
    if (!map) return;
    const job = { latents: map.latents, labels: map.labels, dim: map.dim, count: map.count, running: true,
                  embedding: null, stale: false, done: 0, total: null };
    tsne = job;
    $('tsne-bar').hidden = false;
    $('tsne-bar').value = 0;
    setProjection('tsne', { run: false });
    try {
      const result = await s.engine.tsne(map.latents, map.dim, {
        perplexity: 30, seed: 1,
        onProgress: (e) => {
          if (tsne !== job) return;
          Object.assign(job, { done: e.done, total: e.total, embedding: e.embedding });
          $('tsne-bar').value = e.done / e.total;
          if (projection === 'tsne') render();
        },
      });
      if (tsne !== job) return;
      Object.assign(job, { embedding: result.embedding, ms: result.ms, done: result.iterations, running: false });
    } catch (e) {
      // A cancelled run keeps the embedding it had reached, said so in the caption.
      if (tsne === job && !(job.embedding && e.code === 'cancelled')) tsne = null;
      job.cancelled = e.code === 'cancelled';
      if (e.code === 'cancelled') notices.status('t-SNE cancelled');
      else if (e.code !== 'crashed') notices.error(`t-SNE stopped: ${e.message}`);
      if (!tsne?.embedding) setProjection('pca', { run: false });
    } finally {
      job.running = false;
      $('tsne-bar').hidden = true;
      render();
    }
  }

  function setProjection(value, { run = true } = {}) {
    projection = value;
    document.querySelector(`input[name=projection][value=${value}]`).checked = true;
    if (value === 'tsne' && run && !tsne) { runTsne(); return; }
    render();
  }

  store.on('code', () => updateMarker());
  store.on('model', (model, before) => {
    if (!model) return;
    if (map && map.dim !== model.latentDim) map = null;
    if (tsne) tsne.stale = true;
    if (!before || JSON.stringify(before.stages) !== JSON.stringify(model.stages)) $('manifold').checked = model.latentDim <= 2;
    return updateMap();
  });
  store.on('dataset', (d) => {
    map = null;
    if (tsne?.running) s.engine.cancelTsne().catch(() => {});   // its points are gone
    tsne = null;
    setProjection('pca', { run: false });
    if (d) return updateMap();
  });
  store.on('progress', () => {
    const now = performance.now();
    if (now - lastLiveStats > LIVE_STATS_MS) {
      lastLiveStats = now;
      updateMap();
    }
  });
  store.on('history', () => {
    if (!s.training) return;
    if (tsne && !tsne.running) tsne.stale = true;   // the codes moved on
    return updateMap();
  });

  for (const radio of document.querySelectorAll('input[name=projection]'))
    radio.addEventListener('change', () => setProjection(radio.value));
  $('btn-tsne').addEventListener('click', () => runTsne());
  $('manifold').addEventListener('change', () => updateManifold());
  $('map-count').addEventListener('change', () => {
    mapCount = Number($('map-count').value);
    updateMap();
  });

  const handlers = {
    onPick: pick,
    thumbnail: async (index) => {
      const { images, labels } = await s.engine.testImages({ count: 1, offset: index });
      return { image: images, label: labels[0] };
    },
  };
  // For the browser tests (?debug): the map's size and how often it came back.
  const debug = { mapCount: () => map?.count ?? 0, mapUpdates: () => mapUpdates };
  return { handlers, debug };
}
