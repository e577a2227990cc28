// engine.js — the public, promise-based API of the AeVP engine for the page: it spawns the
// worker, numbers requests, routes replies and progress events. It never touches WASM memory.
import { EngineError } from './errors.js';

export { EngineError };

// options.workers: how many workers train together (data-parallel; default 1). Each holds a
// replica of the model and the data set; they swap gradients every batch, so their weights stay
// identical, and everything but training is asked of the first.
// options.simd: 'auto' (default: the relaxed-SIMD build with fused multiply-add where the browser
// has it) or 'plain' (the plain-SIMD build: the same bits on every machine); engine.build says
// which one runs.
// options.worker / options.workerFactory: Worker-like objects ({postMessage, onmessage, onerror,
// terminate}) to use instead of spawning web/worker.js (the Node tests pass worker_threads).
export async function createEngine(options = {}) {
  const count = Math.max(1, Math.min(8, Math.floor(options.workers ?? 1)));
  const simd = options.simd ?? 'auto';
  if (simd !== 'auto' && simd !== 'plain') throw new EngineError('arg', `simd must be 'auto' or 'plain', not ${JSON.stringify(simd)}`);
  const spawn = options.workerFactory ??
    (() => new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }));
  const workers = options.worker ? [options.worker] : Array.from({ length: count }, spawn);
  const engine = new Engine(workers, simd);
  await engine.ready();
  return engine;
}

class Engine {
  #workers;
  #nextId = 1;
  #pending = new Map();   // id -> {resolve, reject}
  #progressTarget = null; // the onProgress of the call that streams events (train, loadDataset)
  #tsneTarget = null;     // the onProgress of the t-SNE under way
  #dead = null;
  #schema = null;         // the promise of the config schema, asked once
  #runs = 0;
  #followers = Promise.resolve(); // the other workers' data-set loads still under way
  #build = null;
  onCrash = null;         // called once if a worker dies (a trap, out of memory)

  #simd;

  constructor(workers, simd) {
    this.#workers = workers;
    this.#simd = simd;
    workers.forEach((worker, rank) => {
      worker.onmessage = (event) => this.#receive(event.data, rank);
      worker.onerror = (event) => {
        event?.preventDefault?.();
        this.#crash(`the engine's worker stopped: ${event?.message ?? 'unknown error'}`);
      };
    });
  }

  get workers() { return this.#workers.length; }
  // 'relaxed' or 'plain': the WASM build the workers run (options.simd of createEngine).
  get build() { return this.#build; }

  async ready() {
    // Resolves once every worker has loaded the WASM module; they must all run the same build.
    // The first message a worker gets, the ping, says which build it is to load.
    const pings = await Promise.all(this.#workers.map((_, rank) => this.#to(rank, 'ping', { simd: this.#simd })));
    this.#build = pings[0].build;
    if (pings.some((p) => p.build !== this.#build)) throw new EngineError('load', 'the workers loaded different WASM builds');
    const size = this.#workers.length;
    if (size < 2) return;
    // Data-parallel training: two workers share one port; more pass gradients round a ring, each
    // sending to the next rank over a port of its own.
    if (size === 2) {
      const channel = new MessageChannel();
      await Promise.all([
        this.#to(0, 'peer', { port: channel.port1 }, [channel.port1]),
        this.#to(1, 'peer', { port: channel.port2 }, [channel.port2]),
      ]);
      return;
    }
    const links = this.#workers.map(() => new MessageChannel()); // links[r]: rank r to rank r + 1
    await Promise.all(this.#workers.map((_, rank) => {
      const next = links[rank].port1, prev = links[(rank + size - 1) % size].port2;
      return this.#to(rank, 'ring', { next, prev }, [next, prev]);
    }));
  }

  #crash(message) {
    if (this.#dead) return;
    this.#fail(new EngineError('crashed', message));
    this.onCrash?.(message);
  }

  #receive(msg, rank) {
    if (msg.type === 'fatal') {
      this.#crash(msg.message);
      return;
    }
    if (msg.type === 'progress') {
      if (rank === 0) (msg.kind === 'tsne' ? this.#tsneTarget : this.#progressTarget)?.(msg);
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

  #to(rank, type, args = {}, transfer = []) {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#workers[rank].postMessage({ id, type, ...args }, transfer);
    });
  }

  // The same request to every worker (each gets its own copy of typed arrays); the first's result.
  async #all(type, args = {}, transfer = []) {
    const others = this.#workers.slice(1).map((_, i) => this.#to(i + 1, type, structuredClone(args)));
    const [first] = await Promise.all([this.#to(0, type, args, transfer), ...others]);
    return first;
  }

  request(type, args = {}, transfer = []) {
    return this.#to(0, type, args, transfer);
  }

  async #streaming(type, args, onProgress, send = (t, a) => this.request(t, a)) {
    const previous = this.#progressTarget;
    this.#progressTarget = onProgress ?? null;
    try {
      return await send(type, args);
    } finally {
      if (this.#progressTarget === (onProgress ?? null)) this.#progressTarget = previous;
    }
  }

  // {name, displayName, train, test, shape, classes}; onProgress gets {kind: 'download', loaded, total}.
  // With two workers the second loads after the first, so it reads what the first brought into
  // the browser's caches instead of downloading the files a second time; the call resolves when
  // the first has it (everything but training is asked of the first), and training waits for all.
  loadDataset(name, { onProgress } = {}) {
    return this.#streaming('loadDataset', { name }, onProgress, async (t, a) => {
      const first = await this.#to(0, t, a);
      const previous = this.#followers;
      this.#followers = (async () => {
        await previous.catch(() => {});
        for (let rank = 1; rank < this.#workers.length; rank++) await this.#to(rank, t, { ...a });
      })();
      this.#followers.catch(() => {}); // reported by the next train(), not as an unhandled rejection
      return first;
    });
  }

  // {config (defaults filled in), params, flopsPerSample, latentDim, stages, tensors}
  configure(config = {}) {
    return this.#all('configure', { config });
  }

  // The current model kept — weights and optimizer state — with the config's training settings
  // (learning rate, optimizer, schedule, epochs, ...); the next train() is a new run of it. A config
  // of another architecture is refused with the tensor that does not fit, and the model stays.
  trainFurther(config = {}) {
    return this.#all('trainFurther', { config });
  }

  // Resolves when the run ends (all epochs, or stop) with {epochs, history, samplesPerSec, ...};
  // onProgress gets {kind: 'batch', ...} about every 100 ms, {kind: 'epoch', ...} per epoch, and
  // {kind: 'diverged', message} when a batch diverges (the run pauses, the weights are kept).
  // limit: train on the first `limit` training images only.
  train({ epochs, limit, onProgress } = {}) {
    if (this.#workers.length === 1) return this.#streaming('train', { epochs, limit }, onProgress);
    const runId = ++this.#runs, size = this.#workers.length;
    return this.#streaming('train', { epochs, limit }, onProgress, async (type, args) => {
      await this.#followers;
      const runs = this.#workers.map((_, rank) => this.#to(rank, type, { ...args, parallel: { rank, size, runId } }));
      const results = await Promise.all(runs);
      // Each replica's time computing its share, waiting for the other's and updating.
      return { ...results[0], timing: results.map((r) => r.timing) };
    });
  }

  // Every replica's weights (Float32Arrays, rank order): for tests that they stay identical.
  async replicaWeights() {
    const replies = await Promise.all(this.#workers.map((_, rank) => this.#to(rank, 'getWeights')));
    return replies.map((r) => r.weights);
  }

  // Makes the engine trap, as a crash would (for tests of crash recovery).
  crashForTest() { return this.request('trap'); }

  pause() { return this.request('pause'); }
  resume() { return this.request('resume'); }
  stop() { return this.request('stop'); }

  // image: Float32Array of H*W*C values in [0, 1] -> {stages: [{name, shape, data}], latent,
  // sigma, output, metrics: {mse, psnr, ssim}} with metrics against `target` (default: the image).
  // For a VAE the latent is the mean and sigma the spread of the code (null otherwise).
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
    return this.#all('load', { bytes: copy }, [copy.buffer]);
  }

  // The engine's config schema ({fields: [{name, type, min, max, choices, default, rule, help}]}):
  // asked once, then the same promise.
  schema() {
    // A failed ask (the worker crashed) is not kept: the next call asks again.
    this.#schema ??= this.request('schema').then(({ schema }) => schema, (error) => {
      this.#schema = null;
      throw error;
    });
    return this.#schema;
  }

  // The sizes of a config ({config, params, flopsPerSample, ...}) without touching the model.
  describe(config = {}) { return this.request('describe', { config }); }

  // The latent map of the first `count` test images (2..10,000): {count, dim, latents, labels,
  // pca: {mean, components, variance, proj}, pcaMs, stats: {min, max, mean, std, sigmaMean}}.
  // A VAE's latents are the means; stats.sigmaMean is its mean spread per unit (null otherwise).
  latentMap({ count = 2000 } = {}) { return this.request('latentMap', { count }); }

  // t-SNE of n points (a Float32Array of n * dim): {embedding: Float32Array(n * 2), iterations,
  // ms}. onProgress gets {kind: 'tsne', done, total, embedding} about every 100 ms. A new t-SNE or
  // cancelTsne() ends the one under way with an EngineError of code 'cancelled'.
  async tsne(points, dim, { perplexity = 30, seed = 1, onProgress } = {}) {
    const copy = Float32Array.from(points);
    const target = onProgress ?? null;
    this.#tsneTarget = target;
    try {
      return await this.request('tsne', { points: copy, dim, perplexity, seed }, [copy.buffer]);
    } finally {
      if (this.#tsneTarget === target) this.#tsneTarget = null;
    }
  }

  cancelTsne() { return this.request('tsneCancel'); }

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
    return this.#all('setWeights', { weights: copy }, [copy.buffer]);
  }

  // The model as safetensors bytes (Uint8Array); metadata: extra string fields for the header.
  // With { optimizer: true } the file is a checkpoint that also holds the optimizer's state (its
  // moments and step count): load() of it and training go on exactly where this model is now.
  async save(metadata = {}, { optimizer = false } = {}) {
    return (await this.request('save', { metadata, optimizer })).bytes;
  }

  // The worker's WASM memory: {bytes: its size, used: bytes allocated by malloc now}.
  heap() { return this.request('heap'); }

  // Frees the model (the data set and the worker stay).
  disposeModel() { return this.#all('dispose'); }

  // Frees everything and ends the worker; the engine cannot be used afterwards.
  async dispose() {
    try {
      await this.#all('dispose');
    } finally {
      for (const worker of this.#workers) worker.terminate();
      this.#fail(new EngineError('disposed', 'this engine was disposed'));
    }
  }
}
