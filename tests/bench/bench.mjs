// bench.mjs — training speed of the default model: ours in headless Chromium, in Node worker threads
// (both the WASM build in dist/) and natively (out/native/aevp-train), beside TensorFlow.js in the same
// Chromium and PyTorch on the same CPU; then the trace and slider latencies; then the same for a deeper
// model (--deep-config; ours, TF.js 'cpu' and PyTorch on 1 thread). It prints; it never fails on speed.
//   node tests/bench/bench.mjs [--samples 19200] [--warmup 3200] [--runs 3] [--no-tfjs] [--no-torch]
//                              [--tfjs-samples 640] [--tfjs-warmup 64] [--torch-samples 6400] [--torch-warmup 640]
//                              [--torch-max-seconds 20] [--deep-config JSON] [--no-deep] [--deep-samples 3200]
//                              [--deep-warmup 640] [--deep-tfjs-samples 64]
// The deep model's rows train --deep-samples (PyTorch too) after --deep-warmup, TF.js --deep-tfjs-samples
// after --tfjs-warmup: TF.js 'cpu' does a few samples a second on it.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import v8 from 'node:v8';

import { launchChromium, openApp } from '../browser/chromium.mjs';
import { distDir, nodeWorker } from '../node/node-worker.mjs';
import { projectionTimes, sliderLatency, traceTimes } from './latency.mjs';
import { tfjsMissing, tfjsSite } from './tfjs.mjs';

// Node 20 runs relaxed SIMD behind this flag: with it, the Node row runs the build the browser runs.
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
const nativeTrainer = fileURLToPath(new URL('../../out/native/aevp-train', import.meta.url));
const torchScript = fileURLToPath(new URL('torch_bench.py', import.meta.url));
// Debian's interpreter, which has python3-torch (the python3 first on PATH may not).
const TORCH_PYTHON = process.env.TORCH_PYTHON ?? '/usr/bin/python3';
const TRACES = 100;
// The deeper model of the second section: 3 stages, a residual block in each, attention in both halves.
const DEEP_CONFIG = { filters: [16, 16, 16], res_blocks: 1, attention: 'both' };
// Ours must train it at least this many times as fast as PyTorch on one thread (printed, never enforced).
const DEEP_BAR = 3;
const SLIDER_MOVES = 50;

const USAGE = 'usage: node tests/bench/bench.mjs [--samples N] [--warmup N] [--runs R] [--no-tfjs] [--no-torch]\n' +
              '                                  [--tfjs-samples N] [--tfjs-warmup N] [--torch-samples N] [--torch-warmup N]\n' +
              '                                  [--torch-max-seconds S] [--deep-config JSON] [--no-deep] [--deep-samples N]\n' +
              '                                  [--deep-warmup N] [--deep-tfjs-samples N]';
const { values: flags } = parseArgs({
  options: { samples: { type: 'string', default: '19200' }, warmup: { type: 'string', default: '3200' },
             runs: { type: 'string', default: '3' }, 'no-tfjs': { type: 'boolean' }, 'no-torch': { type: 'boolean' },
             'tfjs-samples': { type: 'string', default: '640' }, 'tfjs-warmup': { type: 'string', default: '64' },
             'torch-samples': { type: 'string', default: '6400' }, 'torch-warmup': { type: 'string', default: '640' },
             'torch-max-seconds': { type: 'string', default: '20' }, 'deep-config': { type: 'string', default: JSON.stringify(DEEP_CONFIG) },
             'no-deep': { type: 'boolean' }, 'deep-samples': { type: 'string', default: '3200' },
             'deep-warmup': { type: 'string', default: '640' }, 'deep-tfjs-samples': { type: 'string', default: '64' },
             help: { type: 'boolean', short: 'h' } },
});
if (flags.help) { console.log(USAGE); process.exit(0); }
const samples = Number(flags.samples), warmup = Number(flags.warmup), runs = Number(flags.runs);
const tfjsSamples = Number(flags['tfjs-samples']), tfjsWarmup = Number(flags['tfjs-warmup']);
const torchSamples = Number(flags['torch-samples']), torchWarmup = Number(flags['torch-warmup']);
const torchMaxSeconds = Number(flags['torch-max-seconds']);
const deepSamples = Number(flags['deep-samples']), deepWarmup = Number(flags['deep-warmup']);
const deepTfjsSamples = Number(flags['deep-tfjs-samples']);
let deepConfig = null;
if (!flags['no-deep']) {
  try { deepConfig = JSON.parse(flags['deep-config']); } catch (error) { deepConfig = error.message; }
  if (deepConfig === null || typeof deepConfig !== 'object' || Array.isArray(deepConfig)) {
    console.error(`${USAGE}\n  --deep-config must be a JSON object of config fields (README "Architectures"), got ${flags['deep-config']}`);
    process.exit(2);
  }
}
const within = (v, lo, hi) => Number.isInteger(v) && v >= lo && v <= hi;
// Each measurement of ours is one train() call stopped before the epoch ends, so that the
// evaluation at epoch end never runs; the stop lands up to ~150 ms late, hence the margin.
if (!within(samples, 64, 50000) || !within(warmup, 0, 50000) || !within(runs, 1, 100) ||
    !within(tfjsSamples, 64, 50000) || !within(tfjsWarmup, 0, 50000) || !within(torchSamples, 64, 1000000) ||
    !within(torchWarmup, 0, 1000000) || !(torchMaxSeconds > 0 && torchMaxSeconds <= 3600) ||
    !within(deepSamples, 64, 50000) || !within(deepWarmup, 0, 50000) || !within(deepTfjsSamples, 64, 50000)) {
  console.error(`${USAGE}\n  --samples 64..50000, --warmup 0..50000, --runs 1..100, --tfjs-samples 64..50000, ` +
                '--tfjs-warmup 0..50000,\n  --torch-samples 64..1000000, --torch-warmup 0..1000000, --torch-max-seconds (0, 3600],\n' +
                '  --deep-samples 64..50000, --deep-warmup 0..50000, --deep-tfjs-samples 64..50000');
  process.exit(2);
}
const startedAt = performance.now();

// Trains until at least `count` samples are done in one train() call, then stops it. Runs as it is
// in the page (sent as source text) and in Node: no closures. Three rates: the engine's own
// (samples over active training time), samples over the wall time of the call, and the rate
// between the first and the last batch event (which leaves out start-up and stop).
async function trainSamples(engine, count, batchSize) {
  let first = null, last = null, stopping = false;
  const t0 = performance.now();
  const result = await engine.train({
    epochs: 1,
    onProgress: (e) => {
      if (e.kind !== 'batch') return;
      const at = { t: performance.now(), samples: e.batch * batchSize };
      first ??= at;
      last = at;
      if (!stopping && at.samples >= count) { stopping = true; engine.stop(); }
    },
  });
  const wallMs = performance.now() - t0;
  if (result.epochs !== 0) throw new Error('the run reached the end of its epoch: use fewer samples');
  return { samples: result.samples, engine: result.samplesPerSec, wall: result.samples / wallMs * 1000,
           events: (last.samples - first.samples) / Math.max(last.t - first.t, 1e-3) * 1000, timing: result.timing };
}

// Runs one measurement in one of the page's engines (made by setUpPage: 1 and 2 workers of the
// build the page picks, relaxed SIMD here, and 1 worker of the plain build).
function trainSamplesInPage(page, count, batchSize, which = 1) {
  return page.evaluate(async ({ source, count, batchSize, which }) => {
    const run = new Function(`return (${source})`)();
    return run(await window.benchEngines[which], count, batchSize);
  }, { source: trainSamples.toString(), count, batchSize, which });
}

// The page's engines (made on the first call, with MNIST) get the model of `config`; returns what
// configure() did, and builds: the WASM build each engine runs.
async function setUpPage(page, config) {
  return page.evaluate(async (config) => {
    const fresh = !window.benchEngines;
    if (fresh) {
      const { createEngine } = await import('./engine.js');
      window.benchEngines = { 1: createEngine(), 2: createEngine({ workers: 2 }), plain: createEngine({ simd: 'plain' }) };
    }
    let model;
    const builds = {};
    for (const [key, pending] of Object.entries(window.benchEngines)) {
      const engine = await pending;
      if (fresh) await engine.loadDataset('mnist');
      model = await engine.configure(config);
      builds[key] = engine.build;
    }
    return { ...model, builds };
  }, config);
}

const BUILD_LABELS = { relaxed: 'WASM relaxed SIMD, FMA', plain: 'WASM plain SIMD' };

function runNative(config, count) {
  // Two epochs over the first `count` images: the first is the warm-up, the second is measured.
  // aevp-train's samples_per_s covers the training loop of the epoch only, not its evaluation. Its
  // warnings (a short run of a deep model has not learnt much) are kept off the bench's output.
  const out = execFileSync(nativeTrainer, ['--data', 'mnist', '--config', JSON.stringify(config), '--epochs', '2',
                                           '--limit', String(count), '--json'],
                           { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const epochs = out.trim().split('\n').map((line) => JSON.parse(line));
  return { samples: count, native: epochs[1].samples_per_s, warmupRate: epochs[0].samples_per_s };
}

// The interpreter's and torch's versions, or {missing: why}.
function torchProbe() {
  const probe = spawnSync(TORCH_PYTHON, ['-c', 'import sys, torch; print(sys.version.split()[0], torch.__version__)'],
                          { encoding: 'utf8' });
  if (probe.error) return { missing: `${TORCH_PYTHON}: ${probe.error.message}` };
  if (probe.status !== 0) return { missing: `${TORCH_PYTHON} cannot import torch (${probe.stderr.trim().split('\n').at(-1)})` };
  const [python, torch] = probe.stdout.trim().split(' ');
  return { python, torch };
}

// One PyTorch measurement in a fresh process: its own warm-up, then the samples (see torch_bench.py);
// the default model, or config's fields on top of it.
function runTorch(threads, count, warmCount, config = null) {
  const out = execFileSync(TORCH_PYTHON, [torchScript, '--threads', String(threads), '--samples', String(count),
                                          '--warmup', String(warmCount), '--max-seconds', String(torchMaxSeconds),
                                          ...(config ? ['--config', JSON.stringify(config)] : [])],
                           { encoding: 'utf8' });
  const result = JSON.parse(out.trim().split('\n').at(-1));
  if (result.error) throw new Error(result.error);
  return result;
}

function machine(chromiumVersion, torch, tfjsVersion) {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown';
  // The native build's compiler and flags, as CMake recorded them.
  let build = 'build flags unknown';
  try {
    const flags = readFileSync(new URL('../../out/native/CMakeFiles/aevp.dir/flags.make', import.meta.url), 'utf8');
    const compiler = /^# compile C with (\S+)/m.exec(flags)?.[1] ?? 'cc';
    const version = spawnSync(compiler, ['--version'], { encoding: 'utf8' }).stdout?.split('\n')[0] ?? compiler;
    const cflags = (/^C_FLAGS = (.*)$/m.exec(flags)?.[1] ?? '').split(/\s+/).filter((f) => /^-(O|m|f)/.test(f));
    build = `${version}, ${cflags.join(' ')}`;
  } catch { /* an out-of-tree or older build: say so and go on */ }
  return [`date      ${new Date().toISOString()}`,
          `cpu       ${model}, ${cpus().length} logical CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
          `node      ${process.version} (V8 ${process.versions.v8})`,
          `chromium  ${chromiumVersion}`,
          `native    out/native/aevp-train (${build})`,
          `tfjs      ${tfjsVersion}`,
          `pytorch   ${torch.missing ? `not run: ${torch.missing}` : `${TORCH_PYTHON} (Python ${torch.python}), torch ${torch.torch}`}`,
  ].join('\n');
}

const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
// Nearest rank: the smallest value with at least a fraction p of the values at or below it.
const percentile = (values, p) => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
};
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

// --- set-up: the page and the Node worker each get an engine, MNIST and the default model
const browser = await launchChromium();
const app = await openApp(browser);
const { createEngine } = await import(new URL('engine.js', distDir));
const nodeEngine = await createEngine({ worker: nodeWorker() });
const torch = flags['no-torch'] ? { missing: '--no-torch' } : torchProbe();
const tfjsSkip = flags['no-tfjs'] ? '--no-tfjs' : tfjsMissing();
let site = null;
const tfjsPages = [];  // their console errors are TF.js's own: printed, never counted as failures
const notes = [], pageErrors = [];
try {
  await nodeEngine.loadDataset('mnist');
  // The page's engines and Node's get the model of `config`: returns it (both must build the same).
  const configureOurs = async (config) => {
    const built = await setUpPage(app.page, config);
    if ((await nodeEngine.configure(config)).flopsPerSample !== built.flopsPerSample) throw new Error('the page and Node built different models');
    return built;
  };
  const model = await configureOurs({});
  const batch = model.config.batch_size;
  const allThreads = cpus().length;

  // Each place: {label, run, warm, rate(m), detail(m)}, or {label, note} for a row without numbers.
  // Ours, for the model the engines have (config as given to configure()), `count` samples per run.
  const ourPlaces = (config, count, warmCount) => ({
    browser: { label: `ours, Chromium (${BUILD_LABELS[model.builds[1]]}, 1 worker)`, run: () => trainSamplesInPage(app.page, count, batch),
               warm: () => trainSamplesInPage(app.page, warmCount, batch) },
    browser2: { label: `ours, Chromium (${BUILD_LABELS[model.builds[2]]}, 2 workers)`, run: () => trainSamplesInPage(app.page, count, batch, 2),
                warm: () => trainSamplesInPage(app.page, warmCount, batch, 2) },
    browserPlain: { label: `ours, Chromium (${BUILD_LABELS[model.builds.plain]}, 1 worker)`,
                    run: () => trainSamplesInPage(app.page, count, batch, 'plain'),
                    warm: () => trainSamplesInPage(app.page, warmCount, batch, 'plain') },
    node: { label: `ours, Node (${BUILD_LABELS[nodeEngine.build]}, worker_threads)`, run: () => trainSamples(nodeEngine, count, batch),
            warm: () => trainSamples(nodeEngine, warmCount, batch) },
    native: { label: 'ours, native (aevp-train)', run: () => runNative(config, count), rate: (m) => m.native,
              detail: (m) => `${m.native.toFixed(0)} samples/s (warm-up epoch ${m.warmupRate.toFixed(0)})` },
  });
  const places = ourPlaces({}, samples, warmup);
  // Two workers: how each replica's time splits between its share of the batch, waiting for the
  // other's gradients, and combining and applying them.
  const split = (timing) => (timing ? '; ' + timing.map((t, rank) => {
    const all = t.computeMs + t.waitMs + t.updateMs;
    return `rank ${rank}: ${(100 * t.computeMs / all).toFixed(1)}% own share, ${(100 * t.waitMs / all).toFixed(1)}% waiting, ` +
           `${(100 * t.updateMs / all).toFixed(1)}% update`;
  }).join(', ') : '');
  const engineRates = (places) => {
    for (const key of ['browser', 'browser2', 'browserPlain', 'node']) {
      places[key].rate = (m) => m.engine;
      places[key].detail = (m) => `${m.engine.toFixed(0)} samples/s over ${m.samples} samples; ` +
                                  `wall ${m.wall.toFixed(0)}, between events ${m.events.toFixed(0)}${split(m.timing)}`;
    }
    return places;
  };
  engineRates(places);

  // TF.js: a page per backend. 'wasm' is tried once (one batch) before the runs; it is expected to
  // throw (no Conv2DBackpropFilter kernel), and is measured like 'cpu' if it does not.
  let tfjsVersion = tfjsSkip ?? '';
  let tfjsLabel = (backend) => `TF.js '${backend}', Chromium`;
  let tfjsCpuPlace = null;  // (page, samples per run) => the TF.js 'cpu' place
  if (tfjsSkip) {
    places.tfjsCpu = { label: tfjsLabel('cpu'), note: `skipped: ${tfjsSkip}` };
    places.tfjsWasm = { label: tfjsLabel('wasm'), note: `skipped: ${tfjsSkip}` };
  } else {
    site = await tfjsSite();
    const tfjsCpu = await site.open(browser, 'cpu');
    tfjsPages.push(tfjsCpu);
    if (tfjsCpu.info.params !== model.params) throw new Error(`TF.js built ${tfjsCpu.info.params} parameters, ours ${model.params}`);
    tfjsVersion = `${tfjsCpu.info.version} (node_modules/@tensorflow/tfjs/dist/tf.min.js and tfjs-backend-wasm, served locally)`;
    tfjsLabel = (backend) => `TF.js ${tfjsCpu.info.version} '${backend}', Chromium`;
    const tfjsRate = { rate: (m) => m.samplesPerSec,
                       detail: (m) => `${m.samplesPerSec.toFixed(1)} samples/s over ${m.samples} samples (loss ${m.loss.toFixed(4)})` };
    tfjsCpuPlace = (page, count) => ({ label: `${tfjsLabel('cpu')} (main thread)`, ...tfjsRate,
                                            run: () => page.train(count), warm: () => page.train(tfjsWarmup) });
    places.tfjsCpu = tfjsCpuPlace(tfjsCpu, tfjsSamples);
    let wasmPage = null;
    try {
      wasmPage = await site.open(browser, 'wasm');
      const attempt = await wasmPage.train(batch);
      if (attempt.error) places.tfjsWasm = { label: tfjsLabel('wasm'), note: `throws: ${attempt.error}` };
      else places.tfjsWasm = { label: `${tfjsLabel('wasm')} (main thread)`, ...tfjsRate, run: () => wasmPage.train(tfjsSamples) };
    } catch (error) {
      places.tfjsWasm = { label: tfjsLabel('wasm'), note: `could not set up: ${error.message.split('\n')[0]}` };
    }
    if (wasmPage) tfjsPages.push(wasmPage);
    if (places.tfjsWasm.note) await wasmPage?.close();
    else notes.push('the TF.js wasm backend trained: its row is measured like the cpu one');
  }

  const torchRate = { rate: (m) => m.samples_per_s,
                      detail: (m) => `${m.samples_per_s.toFixed(0)} samples/s over ${m.samples} samples in ` +
                                     `${m.seconds.toFixed(1)} s${m.capped || m.warmup_capped ? ' (capped)' : ''}` };
  const torchLabel = (threads) => `PyTorch ${torch.torch?.split('.').slice(0, 2).join('.') ?? '1.13'} CPU, ${threads} thread${threads > 1 ? 's' : ''}`;
  places.torch1 = torch.missing ? { label: torchLabel(1), note: `skipped: ${torch.missing}` }
                                : { label: torchLabel(1), ...torchRate, run: () => runTorch(1, torchSamples, torchWarmup) };
  if (allThreads > 1) {
    places.torchAll = torch.missing ? { label: torchLabel(allThreads), note: `skipped: ${torch.missing}` }
                                    : { label: torchLabel(allThreads), ...torchRate,
                                        run: () => runTorch(allThreads, torchSamples, torchWarmup) };
  }

  console.log(machine(browser.version(), torch, tfjsVersion));
  console.log(`model     default config ${JSON.stringify(model.config)}\n` +
              `          ${model.params} parameters, ${(model.flopsPerSample / 1e6).toFixed(3)} MFLOP/sample (forward + backward)`);
  console.log(`method    ${runs} runs per place, interleaved; ours trains ${samples} samples (${samples / batch} batches of ${batch}) ` +
              `per run after a warm-up of ${warmup} samples\n` +
              `          (native: after a first epoch over the same ${samples} samples); TF.js ${tfjsSamples} samples per run ` +
              `after a warm-up of ${tfjsWarmup};\n` +
              `          PyTorch ${torchSamples} samples after ${torchWarmup} in a fresh process per run, each phase capped at ${torchMaxSeconds} s\n`);

  // Warm-ups, then `runs` runs per place, interleaved so that a slow stretch of the machine hits every
  // place alike; a TF.js place warms up with tfjsWarmup samples, the others with warmCount. {key: [m]}.
  const measure = async (places, warmCount) => {
    const measured = Object.entries(places).filter(([, place]) => place.run);
    for (const [key, place] of measured) {
      if (place.warm && (key.startsWith('tfjs') ? tfjsWarmup : warmCount) > 0) await place.warm();
    }
    const results = Object.fromEntries(measured.map(([key]) => [key, []]));
    for (let r = 0; r < runs; r++) {
      for (const [key, place] of measured) {
        if (!place.run) continue;
        let m;
        try {
          m = await place.run();
          if (m.error) throw new Error(m.error);
        } catch (error) {
          place.note = `failed in run ${r + 1}: ${error.message.split('\n')[0]}`;
          place.run = null;
          console.log(`  run ${r + 1}/${runs} ${key.padEnd(8)} ${place.note}`);
          continue;
        }
        results[key].push(m);
        console.log(`  run ${r + 1}/${runs} ${key.padEnd(8)} ${place.detail(m)}`);
      }
    }
    return results;
  };
  const ratesOf = (places, results, key) => results[key]?.map(places[key].rate) ?? [];

  // The table: medians over the runs, relative to ours in Chromium; flopsPerSample is the model's.
  const printTable = (places, results, flopsPerSample) => {
    const ours = median(ratesOf(places, results, 'browser'));
    const rows = Object.entries(places).map(([key, place]) => {
      const values = ratesOf(places, results, key);
      const capped = results[key]?.some((m) => m.capped || m.warmup_capped) ? ' (capped)' : '';
      if (place.note || !values.length) return [place.label + capped, place.note ?? 'no result'];
      const mid = median(values);
      const digits = mid < 100 ? 1 : 0;
      return [place.label + capped, mid.toFixed(digits), `${Math.min(...values).toFixed(digits)}..${Math.max(...values).toFixed(digits)}`,
              (mid * flopsPerSample / 1e9).toFixed(mid * flopsPerSample < 1e8 ? 3 : 2), (mid / ours).toFixed(mid < ours / 10 ? 4 : 2)];
    });
    const header = ['place', 'median samples/s', 'min..max', 'GFLOP/s', 'ratio to ours'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row.length === header.length || i === 0 ? row[i].length : 0))));
    // A row without numbers writes its note across the numeric columns.
    const line = (cells) => cells.length === header.length
      ? cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')
      : `${cells[0].padEnd(widths[0])}  ${cells[1]}`;
    console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.map(line).join('\n')}`);
    return rows;
  };

  const results = await measure(places, warmup);
  const rates = (key) => ratesOf(places, results, key);
  const rows = printTable(places, results, model.flopsPerSample);
  notes.unshift(`GFLOP/s counts ${(model.flopsPerSample / 1e6).toFixed(3)} MFLOP per sample (our engine's count) for every row: ` +
                'the models are the same.');
  if (results.tfjsCpu?.length) {
    notes.push('TF.js: tf.layers, the same layers and parameter count; Conv2D/Conv2DTranspose padding \'same\', which for\n' +
               '  stride 2 pads 0 before and 1 after (PyTorch\'s padding=1 pads 1 both sides; the work is the same); BCE on\n' +
               '  the sigmoid output (clipped) instead of from logits; model.trainOnBatch on the main thread of its own page.');
  }
  if (results.torch1?.length) {
    notes.push('PyTorch: tests/golden/make_golden.py\'s forward (NHWC flatten), torch.optim.Adam, torch.set_num_threads(n).');
  }
  if (rows.some((row) => row[0].endsWith('(capped)')))
    notes.push(`(capped): a PyTorch phase hit --torch-max-seconds ${torchMaxSeconds}; its rate is over the samples done by then.`);
  if (results.torchAll?.length && median(rates('torchAll')) < median(rates('torch1'))) {
    notes.push(`PyTorch is slower on ${allThreads} threads than on 1: its OpenMP threads spin at every barrier, and when another\n` +
               '  process holds one of the CPUs (see the load average) the others wait for it. OMP_WAIT_POLICY=passive softens it.');
  }
  if (results.browser?.length && results.browserPlain?.length) {
    notes.push(`one worker: the ${model.builds[1]} build ${(median(rates('browser')) / median(rates('browserPlain'))).toFixed(2)}x ` +
               `the ${model.builds.plain} build (medians)`);
  }
  console.log('');
  for (const note of notes) console.log(`  ${note}`);
  const tfjsErrors = [...new Set(tfjsPages.flatMap((p) => p.errors))];
  if (tfjsErrors.length) console.log(`  TF.js pages' console errors: ${tfjsErrors.join('; ')}`);

  // --- do the ways of measuring agree? engine = active training time (the table), wall = the whole
  // train() call seen by its caller, events = between the first and last progress events
  console.log('\nconsistency of the WASM measurements (median over runs, relative to the engine\'s own samplesPerSec):');
  for (const key of ['browser', 'browser2', 'browserPlain', 'node']) {
    if (!results[key]?.length) continue;
    const engineRate = median(rates(key));
    const rel = (field) => `${field} ${median(results[key].map((m) => m[field])).toFixed(0)} ` +
                           `(${((median(results[key].map((m) => m[field])) / engineRate - 1) * 100).toFixed(1)}%)`;
    console.log(`  ${key.padEnd(7)} engine ${engineRate.toFixed(0)}, ${rel('wall')}, ${rel('events')}`);
  }

  // --- interactive timings, with nothing training
  await Promise.all(tfjsPages.map((p) => p.close()));
  const { times: traces, totalMs: tracesMs } = await traceTimes(app.page, TRACES);
  const slider = await sliderLatency(browser, SLIDER_MOVES);
  pageErrors.push(...slider.errors.map((e) => `dist/index.html: ${e}`));
  const ms = (v) => `${v.toFixed(1)} ms`;
  console.log('\ninteractive, ours in Chromium (performance.now() is coarsened to 0.1 ms: the pages are not cross-origin isolated):');
  console.log(`  trace() round trip to the worker, default model, a test image: median ${ms(median(traces))}, ` +
              `p95 ${ms(percentile(traces, 0.95))}, max ${ms(Math.max(...traces))} over ${traces.length} traces ` +
              `(mean ${(tracesMs / traces.length).toFixed(3)} ms)`);
  if (slider.latencies.length) {
    console.log(`  slider 'input' → next animation frame with the output changed, dist/index.html (trained preset; ` +
                `frames every ~16.7 ms): ` +
                `median ${ms(median(slider.latencies))}, p95 ${ms(percentile(slider.latencies, 0.95))}, ` +
                `max ${ms(Math.max(...slider.latencies))} over ${slider.latencies.length} moves` +
                (slider.missed ? `; ${slider.missed} moves changed nothing within 2 s` : ''));
  } else {
    console.log(`  slider → frame: no move changed the output within 2 s (${slider.missed} moves)`);
  }
  const proj = await projectionTimes(app.page, 3);
  console.log(`  latent map, trained MNIST preset: PCA of 10,000 codes of 9 numbers ${ms(proj.pcaMs)} in the worker ` +
              `(the whole request, encoding 10,000 test images included: ${ms(proj.mapMs)}); ` +
              `t-SNE of 2,000 codes, ${proj.iterations} iterations: ${(proj.tsneMs / 1000).toFixed(2)} s ` +
              `(median of ${proj.runs}: ${proj.tsneAll.map((t) => (t / 1000).toFixed(2)).join(', ')} s)`);
  // Per layer, against the measured SIMD peak: the native build and the WASM build under Node.
  const built = (path) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
  for (const [label, command, args] of [
    ['native (SSE4.1)', built('out/native/bench_kernels'), []],
    ['WASM plain SIMD under Node', process.execPath, ['--no-experimental-fetch', built('out/wasm/bench_kernels.js')]],
    ['WASM relaxed SIMD (fused multiply-add) under Node', process.execPath,
     ['--experimental-wasm-relaxed-simd', '--no-warnings', built('tests/wasi-run.mjs'), built('out/wasm-relaxed/bench_kernels.wasm')]],
  ]) {
    const out = spawnSync(command, args, { encoding: 'utf8' });
    console.log(`\nper layer, default model, batch 64, ${label}:`);
    console.log(out.status === 0 ? out.stdout.trimEnd() : `  not run: ${out.error?.message ?? out.stderr.trim().split('\n').at(-1)}`);
  }

  // --- the deeper model: ours, TF.js 'cpu' (tf ops, the same network) and PyTorch on 1 thread
  if (deepConfig) {
    const deep = await configureOurs(deepConfig);
    const deepPlaces = engineRates(ourPlaces(deepConfig, deepSamples, deepWarmup));
    let tfjsParams = 'not built';
    if (tfjsSkip) {
      deepPlaces.tfjsCpu = { label: tfjsLabel('cpu'), note: `skipped: ${tfjsSkip}` };
    } else {
      try {
        const page = await site.open(browser, 'cpu', deep.config);
        tfjsPages.push(page);
        tfjsParams = page.info.params;
        if (tfjsParams !== deep.params) throw new Error(`TF.js built ${tfjsParams} parameters, ours ${deep.params}`);
        deepPlaces.tfjsCpu = tfjsCpuPlace(page, deepTfjsSamples);
      } catch (error) {
        deepPlaces.tfjsCpu = { label: tfjsLabel('cpu'), note: `could not set up: ${error.message.split('\n')[0]}` };
      }
    }
    deepPlaces.torch1 = torch.missing ? { label: torchLabel(1), note: `skipped: ${torch.missing}` }
      : { label: torchLabel(1), ...torchRate, run: () => runTorch(1, deepSamples, deepWarmup, deepConfig) };
    console.log(`\ndeep model --deep-config ${JSON.stringify(deepConfig)}\n` +
                `          filled in: ${JSON.stringify(deep.config)}\n` +
                `          ${deep.params} parameters (TF.js: ${tfjsParams}), ${(deep.flopsPerSample / 1e6).toFixed(3)} MFLOP/sample ` +
                '(forward + backward)');
    console.log(`method    as above, ${runs} runs per place; ours and PyTorch ${deepSamples} samples per run after ${deepWarmup} ` +
                `(native: after a first epoch over them), TF.js ${deepTfjsSamples} after ${tfjsWarmup}\n`);
    const deepResults = await measure(deepPlaces, deepWarmup);
    const torchParams = deepResults.torch1?.[0]?.params;
    if (torchParams !== undefined && torchParams !== deep.params) {
      console.log(`  PyTorch built ${torchParams} parameters, ours ${deep.params}: its row is not the same model`);
    }
    printTable(deepPlaces, deepResults, deep.flopsPerSample);
    const mid = (key) => (deepResults[key]?.length ? median(ratesOf(deepPlaces, deepResults, key)) : null);
    const torch1 = mid('torch1'), tfjsCpuRate = mid('tfjsCpu');
    console.log('');
    for (const key of ['native', 'browser', 'browserPlain']) {
      const ours = mid(key);
      if (ours === null) continue;
      const vsTorch = torch1 === null ? 'PyTorch 1 thread: no result'
        : `${(ours / torch1).toFixed(2)}x PyTorch 1 thread` +
          (key === 'browserPlain' ? '' : ` (the ${DEEP_BAR}x bar ${ours / torch1 >= DEEP_BAR ? 'holds' : 'does NOT hold'})`);
      const vsTfjs = tfjsCpuRate === null ? 'TF.js cpu: no result' : `${(ours / tfjsCpuRate).toFixed(1)}x TF.js cpu`;
      console.log(`  ${deepPlaces[key].label}: ${vsTorch}, ${vsTfjs}`);
    }
    console.log(`  PyTorch: arch_twin.py's forward (torch_bench.py --config), ${torchParams ?? '?'} parameters; ` +
                'TF.js: tf ops (tfjs-page.js), optimizer.minimize on the main thread of its own page.');
  }

  console.log(`\nload average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}; the bench took ${seconds(performance.now() - startedAt)}`);
} finally {
  await Promise.all(tfjsPages.map((p) => p.close().catch(() => {})));
  await site?.close().catch(() => {});
  await nodeEngine.dispose().catch(() => {});
  await app.close();
  await browser.close();
}
// Slow is never a failure; a page that reported errors is: its numbers may not mean anything.
pageErrors.unshift(...app.errors);
if (pageErrors.length) {
  console.log(`\nthe page reported errors:\n  ${pageErrors.join('\n  ')}`);
  process.exitCode = 1;
}
