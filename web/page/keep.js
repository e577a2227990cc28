// keep.js — keeping the work: the share link (address bar, Share button, opening a link), the
// autosave and the restore, crash recovery and the worker switch (both a new engine), and the
// order the page starts in (link, autosave, or a first-visit preset). Acts through the store.
import * as autosave from '../autosave.js';
import { createEngine } from '../engine.js';
import { sameConfig } from '../lib/config-schema.js';
import { SIMD_KEY, WORKERS_KEY, openEngine, simdChoice, workerChoices, workerCount } from '../lib/engine-start.js';
import { DEFAULT_STATE, decodeWeights, encodeWeights, fitsInLink, linkConfig, listenHash, parseHash, serializeHash, writeHash } from '../state.js';
import { store } from './store.js';

const $ = (id) => document.getElementById(id);
const FIRST_PRESET = 'mnist-3x3';
const BUILD_NAMES = { relaxed: 'relaxed SIMD with fused multiply-add', plain: 'plain SIMD' };

// The arithmetic choice and what runs: the fast build, or the exact one (by choice or for want of
// relaxed SIMD in this browser).
function showBuild(engine) {
  const choice = simdChoice(localStorage, location.search);
  $('simd').value = choice;
  $('simd-help').textContent = engine.build === 'relaxed'
    ? 'fused multiply-add (relaxed SIMD): fastest; the last bits of results can differ between machines'
    : choice === 'plain' ? 'plain SIMD: the same bits on every machine'
      : 'plain SIMD: this browser has no relaxed SIMD; the same bits on every machine';
}

export function createKeep({ lossChart, pad, notices }) {
  const s = store.state;
  let hashTimer = 0, saveTimer = 0, recovering = false;

  const newEngine = () => openEngine(createEngine, workerCount(localStorage, navigator.hardwareConcurrency),
                                     simdChoice(localStorage, location.search));

  function linkState() {
    const config = s.config ?? s.model?.config ?? linkConfig({}, { emptyLink: true });
    const { input, ...rest } = config;
    return {
      dataset: s.dataset?.name ?? DEFAULT_STATE.dataset,
      config: rest,
      view: {
        source: s.source,
        testIndex: s.testIndex,
        latent: s.slidersMoved && s.code ? Array.from(s.code) : null,
        noise: s.noise,
        occlusion: s.occlusion,
      },
      weights: null,
    };
  }

  // The address bar and the autosave follow the user's work (debounced: sliders move fast).
  function viewChanged() {
    if (s.restoring) return;
    clearTimeout(hashTimer);
    hashTimer = setTimeout(() => writeHash(window, linkState()), 250);
    saveSoon();
  }

  // An edit of the form is kept too: a reload gives back the settings as they were typed.
  function saveSoon() {
    if (s.restoring || s.training) return;
    clearTimeout(saveTimer);
    saveTimer = setTimeout(() => { saveTimer = 0; saveNow(); }, 600);
  }

  async function saveNow(extra = {}) {
    if (s.restoring || s.engineDead || !s.model || !s.dataset) return;
    try {
      // A checkpoint: a run resumed after a reload goes on with the optimizer's moments, not from zero.
      const modelFile = await s.engine.save({ dataset: s.dataset.name }, { optimizer: true });
      await autosave.save({
        dataset: s.dataset.name,
        config: s.config ?? s.model.config,
        modelFile,
        history: s.history,
        trainedBefore: s.trainedBefore,
        modelSource: s.modelSource,
        chart: lossChart.data(),
        runs: s.runs,
        runNumber: s.runNumber,
        view: linkState().view,
        drawing: Array.from(pad.getImage()),
        interrupted: null,
        ...extra,
      });
    } catch (e) {
      notices.error(e.message);
    }
  }

  async function presetWeights(preset) {
    const response = await fetch(`presets/${preset.file}`);
    return new Uint8Array(await response.arrayBuffer());
  }

  // Applies a parsed link: data set, configuration (and weights if the link has them), view.
  async function applyLink({ state: link, errors }, { emptyLink = false } = {}) {
    if (errors.length) notices.error(`${errors.join('; ')}. The rest of the link was applied.`);
    // The form first (it only fills fields), then the view, so that the data set arrives with the
    // link's test image already chosen and the settings already in place: the page never shows
    // the link's image beside the default settings.
    await store.update({ configWanted: { config: linkConfig(link.config, { emptyLink }) } });
    await store.update({ source: link.view.source, noise: link.view.noise, occlusion: link.view.occlusion, testIndex: link.view.testIndex });
    if (!s.dataset || s.dataset.name !== link.dataset) await store.update({ datasetWanted: { name: link.dataset } });
    const config = s.config;
    if (config) {
      const same = s.model && sameConfig(s.schema, s.model.config, config, ['epochs']);
      if (link.weights) {
        try {
          const model = await s.engine.configure(config);
          await s.engine.setWeights(await decodeWeights(link.weights, model.params));
          await store.update({ model });
        } catch (e) {
          notices.error(`The weights in this link could not be used (${e.message}); the model has the link's settings but is untrained.`);
          await store.update({ model: await s.engine.configure(config) });
        }
      } else if (!same) {
        // A preset's own settings (say, a link made from one) open its trained weights.
        const preset = s.presets.find((p) => p.dataset === link.dataset && p.config &&
          sameConfig(s.schema, linkConfig(p.config), config, ['epochs']));
        const model = preset ? await s.engine.load(await presetWeights(preset)) : await s.engine.configure(config);
        await store.update({ model });
      }
    }
    if (s.dataset && s.testIndex >= s.dataset.test) await store.update({ testIndex: s.dataset.test - 1 });
    if (link.view.latent && s.model && link.view.latent.length === s.model.latentDim)
      await store.update({ code: Float32Array.from(link.view.latent), slidersMoved: true });
  }

  async function restore(record) {
    await store.update({ datasetWanted: { name: record.dataset } });
    if (s.dataset?.name !== record.dataset) return false;
    try {
      await store.update({ model: await s.engine.load(record.modelFile) });
      // Before the history and the chart come back (a new source clears both).
      await store.update({ modelSource: record.modelSource ?? null });
    } catch (e) {
      notices.error(`The saved model could not be restored (${e.message}); starting from a trained preset instead.`);
      return false;
    }
    await store.update({ configWanted: { config: record.config } });
    const runs = record.runs ?? [];
    await store.update({ runs, runNumber: record.runNumber ?? runs.length, history: record.history ?? [],
                         trainedBefore: record.trainedBefore ?? 0 });
    lossChart.restore(record.chart);
    if (record.drawing?.length === pad.getImage().length) {
      pad.setImage(Float32Array.from(record.drawing));
      await store.update({ drawing: s.drawing + 1 });
    }
    await applyLink({ state: { dataset: record.dataset, config: record.config, view: record.view }, errors: [] });
    return true;
  }

  async function firstVisit() {
    const first = s.presets.find((p) => p.name === FIRST_PRESET) ?? s.presets[0];
    if (first) { await store.update({ presetWanted: { name: first.name } }); return; }
    await store.update({ datasetWanted: { name: DEFAULT_STATE.dataset } });
    if (!s.dataset) return;
    await store.update({ model: await s.engine.configure(linkConfig({}, { emptyLink: true })) });
    await store.update({ testIndex: Math.floor(Math.random() * s.dataset.test) });
  }

  // The worker died (a trap, out of memory): a new one takes over with the last autosave.
  async function recover(message) {
    if (recovering) return;
    recovering = true;
    // The message begins with what the banner says already: "the engine stopped: unreachable".
    const cause = message.replace(/^the engine(?:'s worker)? stopped: /, '');
    notices.error(`The engine stopped (${cause}). It was restarted and your last autosave restored; ` +
      'anything after it (at most the current epoch) was lost.');
    notices.status('Restarting the engine…');
    // Until the new engine answers, nothing is asked of the old one.
    await store.update({ engineDead: true, restoring: true, model: null, dataset: null }).catch(() => {});
    try {
      await store.update({ engine: await newEngine(), engineDead: false });
      const saved = await autosave.load();
      if (!saved || !(await restore(saved))) await firstVisit();
      notices.status('Engine restarted: your last autosave is restored');
    } catch (e) {
      notices.error(`The engine could not be restarted: ${e.message}. Reload the page.`);
    } finally {
      recovering = false;
      await store.update({ restoring: false });
    }
  }

  // One worker per core up to eight (and whatever runs now).
  function showWorkerChoices(current) {
    const select = $('workers');
    const have = new Set([...select.options].map((o) => Number(o.value)));
    for (const n of workerChoices(navigator.hardwareConcurrency, current))
      if (!have.has(n)) select.append(new Option(String(n), String(n)));
  }

  // A new worker count or build means a new engine: the model moves over through a model file.
  async function switchEngine() {
    if (s.training) return;
    localStorage.setItem(WORKERS_KEY, $('workers').value);
    localStorage.setItem(SIMD_KEY, $('simd').value);
    const bytes = s.model ? await s.engine.save({}, { optimizer: true }) : null;
    const old = s.engine;
    await store.update({ restoring: true });
    try {
      const engine = await newEngine();
      old.onCrash = null;
      await old.dispose().catch(() => {});
      await store.update({ engine, model: null });    // the data set is loaded into it again
      if (bytes) await store.update({ model: await engine.load(bytes) });
      notices.status(`Training will use ${engine.workers} worker${engine.workers === 1 ? '' : 's'}, ${BUILD_NAMES[engine.build]}`);
    } catch (e) {
      notices.error(`Could not switch the engine: ${e.message}`);
    } finally {
      await store.update({ restoring: false });
    }
  }

  async function share() {
    const note = $('share-note');
    let hash = serializeHash(linkState());
    let message = 'Link copied: it opens this data set, configuration and view.';
    if ($('share-weights').checked && s.model) {
      const w = await encodeWeights(await s.engine.getWeights());
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
  }

  // The order of a start: a link wins over the autosave; the autosave over the first-visit preset.
  async function start() {
    const saved = await autosave.load();
    let ready = false;
    const parsed = location.hash.length > 1 ? parseHash(location.hash) : null;
    // A link refused as a whole (far too long) is no link: the page opens as it would without it.
    if (parsed?.refused) notices.error(`${parsed.errors.join('; ')}. The page opened as it was.`);
    if (parsed && !parsed.refused) {
      if (saved && saved.dataset === parsed.state.dataset) ready = await restore(saved);
      await applyLink(parsed);
      ready = true;
    } else if (saved) {
      ready = await restore(saved);
    }
    if (!ready) await firstVisit();
    await store.update({ restoring: false });
    const interrupted = !location.hash && saved?.interrupted;
    if (interrupted && interrupted.epochsDone < interrupted.epochs && ready) store.update({ trainWanted: { resume: interrupted } });
  }

  store.on('engine', (engine) => {
    if (!engine) return;
    engine.onCrash = (message) => recover(message);
    showWorkerChoices(engine.workers);
    $('workers').value = String(engine.workers);
    showBuild(engine);
  });
  // The config alone does not move the address bar: a reload with an empty hash resumes a run.
  store.on(['source', 'testIndex', 'noise', 'occlusion', 'slidersMoved', 'drawing'], () => viewChanged());
  store.on('model', () => { if (!s.training) viewChanged(); });
  store.on('code', () => { if (s.slidersMoved) viewChanged(); });
  // The last completed epoch is what a reload resumes from; the end of a run is saved as is.
  store.on('history', (history) => {
    if (s.training && history.length) return saveNow({ interrupted: { epochsDone: history.at(-1).epoch, epochs: s.epochsPlanned } });
  });
  store.on('training', (on) => (on ? undefined : saveNow({ interrupted: null })));
  // A run about to start is saved as an interrupted run that has done its first epochs (none, for
  // a new one): a reload during epoch 1 starts it again with its settings instead of losing them.
  store.on('runStarting', (run) => (run ? saveNow({ interrupted: run }) : undefined));
  store.on('config', (config) => { if (config) saveSoon(); });

  // Leaving the page: save what the debounce may still hold (best effort; IndexedDB is async).
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden' && !s.training && saveTimer) {
      clearTimeout(saveTimer);
      saveTimer = 0;
      saveNow();
    }
  });
  $('btn-share').addEventListener('click', () => share());
  $('workers').addEventListener('change', () => switchEngine());
  $('simd').addEventListener('change', () => switchEngine());
  listenHash(window, (parsed) => {
    if (parsed.refused) { notices.error(`${parsed.errors.join('; ')}. Nothing on the page changed.`); return; }
    if (s.training) { notices.error('This link was not applied while training: stop the run, then reload the link.'); return; }
    applyLink(parsed, { emptyLink: location.hash.length <= 1 });
  });

  return { start };
}
