// engine.js — the public, promise-based API of the AeVP engine for the page: it spawns the
// worker, numbers requests, routes replies and progress events. It never touches WASM memory.
import { EngineError } from './errors.js';

export { EngineError };

// options.worker: a Worker-like object ({postMessage, onmessage, onerror, terminate}) to use
// instead of spawning web/worker.js (the Node tests pass a worker_threads adapter).
export async function createEngine(options = {}) {
  const worker = options.worker ?? new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  const engine = new Engine(worker);
  await engine.request('ping'); // resolves once the WASM module is loaded
  return engine;
}

class Engine {
  #worker;
  #nextId = 1;
  #pending = new Map();   // id -> {resolve, reject, onProgress}
  #progressTarget = null; // the onProgress of the call that streams events (train, loadDataset)
  #dead = null;
  onCrash = null;         // called once if the worker dies (a trap, out of memory)

  constructor(worker) {
    this.#worker = worker;
    worker.onmessage = (event) => this.#receive(event.data);
    worker.onerror = (event) => {
      event?.preventDefault?.();
      const message = `the engine's worker stopped: ${event?.message ?? 'unknown error'}`;
      this.#fail(new EngineError('crashed', message));
      this.onCrash?.(message);
    };
  }

  #receive(msg) {
    if (msg.type === 'fatal') {
      this.#fail(new EngineError('crashed', msg.message));
      this.onCrash?.(msg.message);
      return;
    }
    if (msg.type === 'progress') {
      this.#progressTarget?.(msg);
      return;
    }
    const call = this.#pending.get(msg.id);
    if (!call) return;
    this.#pending.delete(msg.id);
    if (msg.ok) call.resolve(msg.result);
    else call.reject(new EngineError(msg.error.code, msg.error.message));
  }

  #fail(error) {
    if (this.#dead) return;
    this.#dead = error;
    for (const call of this.#pending.values()) call.reject(error);
    this.#pending.clear();
  }

  request(type, args = {}, transfer = []) {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, type, ...args }, transfer);
    });
  }

  async #streaming(type, args, onProgress) {
    const previous = this.#progressTarget;
    this.#progressTarget = onProgress ?? null;
    try {
      return await this.request(type, args);
    } finally {
      if (this.#progressTarget === (onProgress ?? null)) this.#progressTarget = previous;
    }
  }

  // {name, displayName, train, test, shape, classes}; onProgress gets {kind: 'download', loaded, total}.
  loadDataset(name, { onProgress } = {}) {
    return this.#streaming('loadDataset', { name }, onProgress);
  }

  // {config (defaults filled in), params, flopsPerSample, latentDim, stages, tensors}
  configure(config = {}) {
    return this.request('configure', { config });
  }

  // Resolves when the run ends (all epochs, or stop) with {epochs, history, samplesPerSec, ...};
  // onProgress gets {kind: 'batch', ...} about every 100 ms, {kind: 'epoch', ...} per epoch, and
  // {kind: 'diverged', message} when a batch diverges (the run pauses, the weights are kept).
  // limit: train on the first `limit` training images only.
  train({ epochs, limit, onProgress } = {}) {
    return this.#streaming('train', { epochs, limit }, onProgress);
  }

  // Makes the engine trap, as a crash would (for tests of crash recovery).
  crashForTest() { return this.request('trap'); }

  pause() { return this.request('pause'); }
  resume() { return this.request('resume'); }
  stop() { return this.request('stop'); }

  // image: Float32Array of H*W*C values in [0, 1] -> {stages: [{name, shape, data}], latent,
  // output, metrics: {mse, psnr, ssim}} with metrics against `target` (default: the image).
  trace(image, { target } = {}) {
    const copy = Float32Array.from(image);
    const args = { image: copy };
    const transfer = [copy.buffer];
    if (target) {
      args.target = Float32Array.from(target);
      transfer.push(args.target.buffer);
    }
    return this.request('trace', args, transfer);
  }

  // Replaces the model with one read from a model file (safetensors bytes): {config, params,
  // ..., metadata}. A file that does not check out is an EngineError and the model stays.
  load(bytes) {
    const copy = Uint8Array.from(bytes);
    return this.request('load', { bytes: copy }, [copy.buffer]);
  }

  // The sizes of a config ({config, params, flopsPerSample, ...}) without touching the model.
  describe(config = {}) { return this.request('describe', { config }); }

  // {count, min, max, mean, std} per latent unit over the first `count` test images.
  latentStats({ count = 1000 } = {}) { return this.request('latentStats', { count }); }

  // n images -> {latents: Float32Array(n * latentDim)}
  encode(images) {
    const copy = Float32Array.from(images);
    return this.request('encode', { images: copy }, [copy.buffer]);
  }

  // n latents -> {images, stages}: stages (latent..output) are those of the first latent.
  decode(latents) {
    const copy = Float32Array.from(latents);
    return this.request('decode', { latents: copy }, [copy.buffer]);
  }

  // {loss, mse, psnr, ssim} over the test set (or its first `limit` images).
  evaluate({ limit } = {}) { return this.request('evaluate', limit ? { limit } : {}); }

  // {images: Float32Array(count * H*W*C), labels: Uint8Array(count), shape}
  testImages({ count = 1, offset = 0 } = {}) { return this.request('testImages', { count, offset }); }

  async getWeights() { return (await this.request('getWeights')).weights; }

  setWeights(weights) {
    const copy = Float32Array.from(weights);
    return this.request('setWeights', { weights: copy }, [copy.buffer]);
  }

  // The model as safetensors bytes (Uint8Array); metadata: extra string fields for the header.
  async save(metadata = {}) { return (await this.request('save', { metadata })).bytes; }

  // The worker's WASM memory: {bytes: its size, used: bytes allocated by malloc now}.
  heap() { return this.request('heap'); }

  // Frees the model (the data set and the worker stay).
  disposeModel() { return this.request('dispose'); }

  // Frees everything and ends the worker; the engine cannot be used afterwards.
  async dispose() {
    try {
      await this.request('dispose');
    } finally {
      this.#worker.terminate();
      this.#fail(new EngineError('disposed', 'this engine was disposed'));
    }
  }
}
