// bench.mjs — training speed of the default model in headless Chromium, in Node worker threads
// (both the WASM build in dist/) and natively (out/native/aevp-train). It prints; it never fails on speed.
//   node tests/bench/bench.mjs [--samples 19200] [--warmup 3200] [--runs 3]
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { launchChromium, openApp } from '../browser/chromium.mjs';
import { distDir, nodeWorker } from '../node/node-worker.mjs';

const nativeTrainer = fileURLToPath(new URL('../../out/native/aevp-train', import.meta.url));

const USAGE = 'usage: node tests/bench/bench.mjs [--samples N] [--warmup N] [--runs R]';
const { values: flags } = parseArgs({
  options: { samples: { type: 'string', default: '19200' }, warmup: { type: 'string', default: '3200' },
             runs: { type: 'string', default: '3' }, help: { type: 'boolean', short: 'h' } },
});
if (flags.help) { console.log(USAGE); process.exit(0); }
const samples = Number(flags.samples), warmup = Number(flags.warmup), runs = Number(flags.runs);
// Each measurement is one train() call stopped before the epoch ends, so that the evaluation at
// epoch end never runs; the stop lands up to ~150 ms late, hence the margin.
if (!Number.isInteger(samples) || samples < 64 || samples > 50000 || !Number.isInteger(warmup) || warmup < 0 ||
    warmup > 50000 || !Number.isInteger(runs) || runs < 1 || runs > 100) {
  console.error(`${USAGE}\n  --samples 64..50000, --warmup 0..50000, --runs 1..100`);
  process.exit(2);
}

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
           events: (last.samples - first.samples) / Math.max(last.t - first.t, 1e-3) * 1000 };
}

// Runs one measurement in the page's engine, made by setUpPage.
function trainSamplesInPage(page, count, batchSize) {
  return page.evaluate(async ({ source, count, batchSize }) => {
    const run = new Function(`return (${source})`)();
    return run(await window.benchEngine, count, batchSize);
  }, { source: trainSamples.toString(), count, batchSize });
}

async function setUpPage(page) {
  return page.evaluate(async () => {
    const { createEngine } = await import('./engine.js');
    window.benchEngine = createEngine();
    const engine = await window.benchEngine;
    await engine.loadDataset('mnist');
    return engine.configure({});
  });
}

function runNative() {
  // Two epochs over the first `samples` images: the first is the warm-up, the second is measured.
  // aevp-train's samples_per_s covers the training loop of the epoch only, not its evaluation.
  const out = execFileSync(nativeTrainer, ['--data', 'mnist', '--epochs', '2', '--limit', String(samples), '--json'],
                           { encoding: 'utf8' });
  const epochs = out.trim().split('\n').map((line) => JSON.parse(line));
  return { samples, native: epochs[1].samples_per_s, warmupRate: epochs[0].samples_per_s };
}

function machine(chromiumVersion) {
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
          `native    out/native/aevp-train (${build})`].join('\n');
}

const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// --- set-up: the page and the Node worker each get an engine, MNIST and the default model
const browser = await launchChromium();
const app = await openApp(browser);
const { createEngine } = await import(new URL('engine.js', distDir));
const nodeEngine = await createEngine({ worker: nodeWorker() });
let results;
try {
  const model = await setUpPage(app.page);
  await nodeEngine.loadDataset('mnist');
  const nodeModel = await nodeEngine.configure({});
  if (nodeModel.flopsPerSample !== model.flopsPerSample) throw new Error('the page and Node built different models');
  const batch = model.config.batch_size;
  console.log(machine(browser.version()));
  console.log(`model     default config ${JSON.stringify(model.config)}\n` +
              `          ${model.params} parameters, ${(model.flopsPerSample / 1e6).toFixed(3)} MFLOP/sample (forward + backward)`);
  console.log(`method    ${runs} runs per place; each trains ${samples} samples (${samples / batch} batches of ${batch}) ` +
              `after a warm-up of ${warmup} samples (native: after a first epoch over the same ${samples} samples)\n`);

  const places = {
    browser: { label: 'Chromium (WASM+SIMD, worker)', run: () => trainSamplesInPage(app.page, samples, batch), warm: () => trainSamplesInPage(app.page, warmup, batch) },
    node: { label: 'Node (WASM+SIMD, worker_threads)', run: () => trainSamples(nodeEngine, samples, batch), warm: () => trainSamples(nodeEngine, warmup, batch) },
    native: { label: 'native (aevp-train)', run: runNative },
  };
  if (warmup > 0) {
    await places.browser.warm();
    await places.node.warm();
  }
  results = Object.fromEntries(Object.keys(places).map((k) => [k, []]));
  // Interleaved, so that a slow stretch of the machine hits every place alike.
  for (let r = 0; r < runs; r++) {
    for (const [key, place] of Object.entries(places)) {
      const m = await place.run();
      results[key].push(m);
      const detail = key === 'native'
        ? `${m.native.toFixed(0)} samples/s (warm-up epoch ${m.warmupRate.toFixed(0)})`
        : `${m.engine.toFixed(0)} samples/s over ${m.samples} samples; wall ${m.wall.toFixed(0)}, between events ${m.events.toFixed(0)}`;
      console.log(`  run ${r + 1}/${runs} ${key.padEnd(7)} ${detail}`);
    }
  }

  // --- the table
  const rate = (key) => results[key].map((m) => (key === 'native' ? m.native : m.engine));
  const nativeMedian = median(rate('native'));
  const rows = Object.entries(places).map(([key, place]) => {
    const rates = rate(key);
    const mid = median(rates);
    return [place.label, mid.toFixed(0), `${Math.min(...rates).toFixed(0)}..${Math.max(...rates).toFixed(0)}`,
            (mid * model.flopsPerSample / 1e9).toFixed(2), (mid / nativeMedian).toFixed(2)];
  });
  const header = ['place', 'median samples/s', 'min..max', 'GFLOP/s', 'ratio to native'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.map(line).join('\n')}`);

  // --- do the ways of measuring agree? engine = active training time (the table), wall = the whole
  // train() call seen by its caller, events = between the first and last progress events
  console.log('\nconsistency of the WASM measurements (median over runs, relative to the engine\'s own samplesPerSec):');
  for (const key of ['browser', 'node']) {
    const engineRate = median(rate(key));
    const rel = (field) => `${field} ${median(results[key].map((m) => m[field])).toFixed(0)} ` +
                           `(${((median(results[key].map((m) => m[field])) / engineRate - 1) * 100).toFixed(1)}%)`;
    console.log(`  ${key.padEnd(7)} engine ${engineRate.toFixed(0)}, ${rel('wall')}, ${rel('events')}`);
  }
  console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
} finally {
  await nodeEngine.dispose().catch(() => {});
  await app.close();
  await browser.close();
}
// Slow is never a failure; a page that reported errors is: its numbers may not mean anything.
if (app.errors.length) {
  console.log(`\nthe page reported errors:\n  ${app.errors.join('\n  ')}`);
  process.exitCode = 1;
}
