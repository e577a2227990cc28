// store.js — the page state, declared once: every key the panels share, with update(patch) and
// on(key, fn). No framework and no drawing: the controllers decide what a change means to them.

// Every key the page shares, with its value before start. A controller's own working state (a
// job in flight, a timer) stays in that controller; what two panels need is here.
export const PAGE_STATE = {
  engine: null,          // the engine (web/engine.js) in use; replaced on a worker switch or a crash
  engineDead: false,     // the worker died: nothing is asked of it until a new engine answers
  restoring: true,       // the page is being set up (or recovered): no autosave, no address-bar writes
  schema: null,          // the engine's config schema (engine.schema()), asked for once at start
  presets: [],           // presets/presets.json
  presetWanted: null,    // {name}: load this preset (each request a new object)
  presetActive: null,    // the name of the preset whose button is lit
  datasetWanted: null,   // {name}: load this data set (each request a new object)
  dataset: null,         // what engine.loadDataset returned
  model: null,           // what engine.configure / engine.load returned
  config: null,          // the config the form holds, or null while a field is invalid
  configWanted: null,    // {config}: put this config in the form (each request a new object)
  training: false,
  trainWanted: null,     // {resume}: start a run (resume: {epochsDone} goes on after a reload)
  runStarting: null,     // {epochsDone, epochs}: a run's model and settings are ready, its first batch is next
  epochOffset: 0,        // epochs already done when a run resumed after a reload
  epochsPlanned: 0,
  progress: null,        // the last 'batch' progress event of the run
  history: [],           // one record per completed epoch of the current run
  trainedBefore: 0,      // epochs the model had when it came from a preset or a file (its epochs_trained)
  modelSource: null,     // {kind: 'preset'|'file', title, epochs, valLoss}: a trained model that came with no curves
  runs: [],              // completed runs, for the comparison chart
  runNumber: 0,
  source: 'test',        // 'test' or 'draw'
  testIndex: 0,
  testImage: null,       // the test image at testIndex
  drawing: 0,            // counts the draw pad's changes
  noise: 0,
  occlusion: 0,
  input: null,           // {image, clean, caption}: what the pipeline was last given
  code: null,            // the code the sliders show
  slidersMoved: false,   // the code came from the sliders (or a map, a path), not from the encoder
  latentStats: null,     // the codes' statistics under the current model (sliders' ranges)
};

// A store over `declared` (key → initial value). update(patch) sets the keys, then calls each
// listener of a changed key once, in the order they were added, with (value, before) of its first
// changed key; it returns a promise that settles when every listener's returned promise has, so a
// caller can wait for the panels to follow. Undeclared keys throw: the state is declared once.
export function createStore(declared) {
  const values = { ...declared };
  const listeners = [];   // {keys, fn}
  const state = new Proxy(values, {
    set: () => { throw new Error('store: use update(patch) to change the state'); },
    deleteProperty: () => { throw new Error('store: keys cannot be removed'); },
  });

  function update(patch) {
    const before = {};
    for (const key of Object.keys(patch)) {
      if (!Object.hasOwn(declared, key)) throw new Error(`store: "${key}" is not a declared key`);
      if (Object.is(values[key], patch[key])) continue;
      before[key] = values[key];
      values[key] = patch[key];
    }
    const changed = Object.keys(before);
    if (!changed.length) return Promise.resolve();
    const results = [];
    for (const { keys, fn } of listeners.slice()) {
      const key = keys.find((k) => changed.includes(k));
      if (key === undefined) continue;
      try {
        results.push(fn(values[key], before[key], key));
      } catch (e) {
        results.push(Promise.reject(e));
      }
    }
    return Promise.allSettled(results).then((settled) => {
      const failed = settled.find((s) => s.status === 'rejected');
      if (failed) throw failed.reason;
    });
  }

  // fn(value, before, key) on every change of key (or of any of a list of keys); returns the
  // function that stops listening.
  function on(keys, fn) {
    const list = Array.isArray(keys) ? keys : [keys];
    for (const key of list) if (!Object.hasOwn(declared, key)) throw new Error(`store: "${key}" is not a declared key`);
    const entry = { keys: list, fn };
    listeners.push(entry);
    return () => { const i = listeners.indexOf(entry); if (i >= 0) listeners.splice(i, 1); };
  }

  return { state, update, on };
}

export const store = createStore(PAGE_STATE);
