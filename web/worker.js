// worker.js — owns the engine in a Web Worker and speaks the protocol: requests {id, type, ...},
// replies {id, ok, result | error}, pushed events {type: 'progress', ...}. What it runs is in worker/.
import { EngineError } from './errors.js';
import { loadCore } from './core.js';
import { loadDataset, requireDataset, testImages } from './worker/datasets.js';
import { cancelTsne, latentMap, tsne } from './worker/latent.js';
import { post } from './worker/messages.js';
import { requireUsable } from './worker/probe.js';
import { control, evaluateTest, isTraining, setPeer, train } from './worker/training.js';

// Two builds of the engine (README, "Two WebAssembly builds"): aevp-relaxed.wasm, whose kernels
// use relaxed SIMD's fused multiply-add, where this browser validates it; aevp.wasm, plain SIMD and
// the same bits on every machine, otherwise or when the first message, engine.js's ping, asks for
// it with simd: 'plain'. (Not a query on this script's URL: a service worker's cached response
// gives the script its own URL, without the query.)
// A module with one f32x4.relaxed_madd of three v128.const zeros: valid only where relaxed SIMD is.
const RELAXED_PROBE = (() => {
  const zeros = [0xfd, 0x0c, ...new Array(16).fill(0)];
  const body = [0x00, ...zeros, ...zeros, ...zeros, 0xfd, 0x85, 0x02, 0x0b];
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,
    0x03, 0x02, 0x01, 0x00, 0x0a, body.length + 2, 0x01, body.length, ...body]);
})();
let build = null;

async function fetchModule(name) {
  const response = await fetch(new URL(name, import.meta.url));
  if (!response.ok) throw new EngineError('load', `could not load ${name} (HTTP ${response.status})`);
  return response.arrayBuffer();
}

let corePromise = null;

async function startCore(simd) {
  build = simd !== 'plain' && WebAssembly.validate(RELAXED_PROBE) ? 'relaxed' : 'plain';
  const core = await loadCore(await fetchModule(build === 'relaxed' ? 'aevp-relaxed.wasm' : 'aevp.wasm'));
  // The engine writes its schema once, on the first ask, and keeps it: asked here, that one
  // allocation happens at start, not in the middle of the first run (which checks its epochs).
  core.schema();
  return core;
}

let model = null;

function requireModel() {
  if (!model) throw new EngineError('state', 'no model: call configure first');
  return model;
}

// The one busy check: what would change the model or the data set under a run waits for its end.
function requireIdle(what) {
  if (isTraining()) throw new EngineError('busy', `cannot ${what} while training: stop the run first`);
}

// The new model is built first: a bad config or file leaves the current one working.
// The data set in the engine, or null.
function loadedDataset() {
  try {
    return requireDataset();
  } catch {
    return null;
  }
}

function replaceModel(next) {
  model?.destroy();
  model = next;
}

function describeModel(m) {
  return { config: m.config, params: m.paramCount, flopsPerSample: m.flopsPerSample,
           latentDim: m.latentDim, stages: m.stages.map((s) => ({ name: s.name, shape: s.shape, kind: s.kind })),
           tensors: m.tensors() };
}

// The config's range of a field, from the engine's schema: e.g. the epochs a run may ask for.
function schemaField(core, name) {
  return core.schema().fields.find((f) => f.name === name);
}

async function handle(core, msg) {
  switch (msg.type) {
    case 'ping': return { ready: true, build };
    case 'schema': return { schema: core.schema() };
    case 'peer': setPeer(msg.port); return { peer: true };
    case 'ring': setPeer(msg.next, msg.prev); return { peer: true };
    case 'loadDataset': return loadDataset(core, msg.name, () => requireIdle('change the data set'));
    case 'configure': {
      requireIdle('reconfigure');
      const { config } = msg;
      if (config === null || typeof config !== 'object' || Array.isArray(config))
        throw new EngineError('config', 'config: must be an object');
      replaceModel(new core.Model(JSON.stringify(config)));
      return describeModel(model);
    }
    case 'trainFurther': {
      // The current model, weights and optimizer state, under the config's training settings: a
      // checkpoint of it read back with the config's fields. A changed architecture does not fit
      // the tensors and is refused; the model stays as it was.
      requireIdle('change the settings');
      const { config } = msg;
      if (config === null || typeof config !== 'object' || Array.isArray(config))
        throw new EngineError('config', 'config: must be an object');
      const next = new core.Model(JSON.stringify(config), requireModel().save({}, { optimizer: true }));
      next.beginRun();
      replaceModel(next);
      return describeModel(model);
    }
    case 'describe': {
      // Sizes of a config without replacing the current model: for the config panel.
      const probe = new core.Model(JSON.stringify(msg.config ?? {}));
      try {
        return describeModel(probe);
      } finally {
        probe.destroy();
      }
    }
    case 'load': {
      // A model file: metadata first (it explains a refusal better), then the strict load. A
      // checkpoint brings its optimizer state: training goes on where it stopped.
      requireIdle('load a model');
      if (!(msg.bytes instanceof Uint8Array)) throw new EngineError('arg', 'load needs the file as a Uint8Array');
      const metadata = core.fileMetadata(msg.bytes);
      const next = new core.Model(null, msg.bytes);
      try {
        requireUsable(core, next, loadedDataset());
      } catch (e) {
        next.destroy();
        throw e;
      }
      replaceModel(next);
      return { ...describeModel(model), metadata };
    }
    case 'train': {
      const m = requireModel(), d = requireDataset();
      requireIdle('start a run');
      return train(m, d, schemaField(core, 'epochs'), msg);
    }
    case 'pause': case 'resume': case 'stop': return control(msg.type);
    case 'evaluate': {
      const result = await evaluateTest(requireModel(), requireDataset(), msg.limit);
      if (!result) throw new EngineError('busy', 'the run stopped during this evaluation: ask again');
      return result;
    }
    case 'trace': {
      // metrics compare the output with msg.target (the clean image when the input is corrupted).
      const m = requireModel();
      const stages = m.trace(msg.image);
      const latent = stages[m.latentStage].data, output = stages.at(-1).data;
      // A VAE's latent stage is the mean; the spread of the code for this image comes with it.
      const sigma = m.config.variational ? m.encodeDist(msg.image).logvar.map((v) => Math.exp(0.5 * v)) : null;
      return { stages, latent, sigma, output, metrics: m.compare(output, msg.target ?? msg.image) };
    }
    case 'decode': {
      const m = requireModel();
      const images = m.decode(msg.latents);
      const stages = m.traceLatent(msg.latents.slice(0, m.latentDim));
      return { images, stages };
    }
    case 'encode': return { latents: requireModel().encode(msg.images) };
    case 'latentMap': return latentMap(core, requireModel(), requireDataset(), msg);
    case 'tsne': return tsne(core, msg);
    case 'tsneCancel': return cancelTsne();
    case 'testImages': return testImages(core, requireDataset(), msg);
    case 'getWeights': return { weights: requireModel().getParams() };
    case 'setWeights': {
      requireIdle('set weights');
      const m = requireModel(), before = m.getParams();
      m.setParams(msg.weights);
      try {
        requireUsable(core, m, loadedDataset());
      } catch (e) {
        m.setParams(before);
        throw e;
      }
      return { params: model.paramCount };
    }
    case 'save': return { bytes: requireModel().save(msg.metadata, { optimizer: Boolean(msg.optimizer) }) };
    case 'heap': return { bytes: core.heapBytes(), used: core.heapUsed() };
    case 'trap': return core.trap(); // for the crash-recovery tests: a deliberate WASM trap
    case 'dispose': {
      control('stop');
      model?.destroy();
      model = null;
      return { disposed: true };
    }
    default: throw new EngineError('arg', `unknown request type "${msg.type}"`);
  }
}

// Every typed array's buffer in a result is transferred, not copied.
function transferables(value, out = []) {
  if (ArrayBuffer.isView(value)) out.push(value.buffer);
  else if (Array.isArray(value)) value.forEach((v) => transferables(v, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => transferables(v, out));
  return out;
}

self.onmessage = async (event) => {
  const msg = event.data ?? {};
  try {
    corePromise ??= startCore(msg.type === 'ping' ? msg.simd : 'auto');
    const core = await corePromise;
    const result = await handle(core, msg);
    post({ id: msg.id, ok: true, result }, [...new Set(transferables(result))]);
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError) {
      // A trap leaves the module's memory in an unknown state: this worker is done. The page
      // starts a new one and restores the model from its autosave.
      post({ type: 'fatal', message: `the engine stopped: ${e.message}` });
      post({ id: msg.id, ok: false, error: { code: 'crashed', message: `the engine stopped: ${e.message}` } });
      self.close();
      return;
    }
    const error = e instanceof EngineError ? { code: e.code, message: e.message }
                                           : { code: 'internal', message: String(e?.message ?? e) };
    post({ id: msg.id, ok: false, error });
  }
};
