// quality.mjs — learning quality of the engine beside PyTorch: the same model, data, batch, optimizer
// and loss, several seeds, validation figures per epoch. It prints and judges the 1 % bar; it is no test.
//   node tests/bench/quality.mjs [--seeds 3] [--epochs 1,5,10] [--fashion-epochs 3] [--quick] [--json]
//                                [--config JSON]
// --epochs: the MNIST epochs to report (one run as long as the largest); Fashion-MNIST reports every
// epoch of a --fashion-epochs run (0: no Fashion-MNIST run). --quick: one seed, 2,048 training
// images, 2 + 1 epochs. --config: architecture fields (README "Architectures") on top of the default
// config for both sides, e.g. '{"filters":[16,16],"res_blocks":1}'.
//
// AeVP is out/native/aevp-train with {"init":"pytorch","seed":s}; PyTorch is quality_torch.py, one
// thread, PyTorch's default init under torch.manual_seed(s); the two run at the same time. Every
// figure of both sides comes from one implementation: the trainer's own validation (core/api.c) for
// AeVP, and the same C code, built to WASM (dist/), run on PyTorch's weights for PyTorch. PyTorch's
// own float64 BCE and MSE of those weights are kept as a check that the weights arrived intact.
import { spawn } from 'node:child_process';
import { readFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('../../', import.meta.url));
const nativeTrainer = join(root, 'out/native/aevp-train');
const torchScript = join(root, 'tests/bench/quality_torch.py');
// Debian's interpreter, which has python3-torch (the python3 first on PATH may not).
const TORCH_PYTHON = process.env.TORCH_PYTHON ?? '/usr/bin/python3';
const BAR = 1.01;
// PyTorch's own BCE of its weights and the engine's must agree this closely, or the weights were
// mangled on the way (layout, dtype) and the comparison would mean nothing.
const CROSS_CHECK_RTOL = 1e-4;

const USAGE = 'usage: node tests/bench/quality.mjs [--seeds N] [--epochs 1,5,10] [--fashion-epochs N] [--quick] [--json]\n' +
              '                                    [--config JSON]';
const { values: flags } = parseArgs({
  options: { seeds: { type: 'string', default: '3' }, epochs: { type: 'string', default: '1,5,10' },
             'fashion-epochs': { type: 'string', default: '3' }, quick: { type: 'boolean' },
             json: { type: 'boolean' }, config: { type: 'string' }, help: { type: 'boolean' } },
});
if (flags.help) { console.log(USAGE); process.exit(0); }
const positive = (text, what) => {
  const v = Number(text);
  if (!Number.isInteger(v) || v < 1) { console.error(`quality: ${what} must be a positive integer (got "${text}")\n${USAGE}`); process.exit(2); }
  return v;
};
let arch = {};
if (flags.config !== undefined) {
  try { arch = JSON.parse(flags.config); } catch (error) { arch = error.message; }
  if (arch === null || typeof arch !== 'object' || Array.isArray(arch)) {
    console.error(`quality: --config must be a JSON object of architecture fields (got "${flags.config}")\n${USAGE}`);
    process.exit(2);
  }
}
const seedCount = flags.quick ? 1 : positive(flags.seeds, '--seeds');
const mnistEpochs = (flags.quick ? '1,2' : flags.epochs).split(',').map((e) => positive(e, '--epochs'));
const fashionEpochs = flags.quick ? 1 : flags['fashion-epochs'] === '0' ? 0 : positive(flags['fashion-epochs'], '--fashion-epochs');
const limit = flags.quick ? 2048 : null;
const seeds = Array.from({ length: seedCount }, (_, i) => i + 1);
const runs = [
  { data: 'mnist', epochs: Math.max(...mnistEpochs), record: [...new Set(mnistEpochs)].sort((a, b) => a - b) },
  { data: 'fashion', epochs: fashionEpochs, record: Array.from({ length: fashionEpochs }, (_, i) => i + 1) },
].filter((run) => run.epochs > 0);

const log = (text) => process.stderr.write(`quality: ${text}\n`);

const children = new Set();

// Lines of JSON from a child process, one callback per object; rejects with its stderr on failure.
function jsonLines(command, args, onRow) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    createInterface({ input: child.stdout }).on('line', (line) => { if (line.trim()) onRow(JSON.parse(line)); });
    child.on('error', reject);
    child.on('close', (code) => {
      children.delete(child);
      if (code === 0) resolve(stderr);
      else reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.trim()}`));
    });
  });
}

const tmp = mkdtempSync(join(tmpdir(), 'aevp-quality-'));

async function runAevp(run, seed) {
  const config = join(tmp, `config-${seed}.json`);
  writeFileSync(config, JSON.stringify({ ...arch, init: 'pytorch', seed }));
  const args = ['--data', run.data, '--config', config, '--epochs', String(run.epochs), '--json'];
  if (limit) args.push('--limit', String(limit));
  const rows = [];
  const started = performance.now();
  const stderr = await jsonLines(nativeTrainer, args, (row) => { if (run.record.includes(row.epoch)) rows.push(row); });
  if (stderr.trim()) log(`aevp-train ${run.data} seed ${seed} said: ${stderr.trim()}`);
  log(`AeVP    ${run.data} seed ${seed}: ${run.epochs} epochs in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return rows.map((r) => ({ epoch: r.epoch, bce: r.val_loss, mse: r.val_mse, psnr: r.val_psnr,
                            psnr_global: 10 * Math.log10(1 / r.val_mse), ssim: r.val_ssim, samples_per_s: r.samples_per_s }));
}

// The engine's WASM build evaluates PyTorch's weights on the same test images, with the same code.
const { loadCore } = await import(join(root, 'dist/core.js'));
const core = await loadCore(readFileSync(join(root, 'dist/aevp.wasm')));
const testImages = {};
function testSet(data) {
  if (!testImages[data]) {
    const raw = readFileSync(join(root, 'datasets/cache', data, 't10k-images-idx3-ubyte'));
    const count = raw.readUInt32BE(4);
    const ptr = core.malloc(count * 784);
    core.heap().set(raw.subarray(16, 16 + count * 784), ptr);
    testImages[data] = { ptr, count };
  }
  return testImages[data];
}

function evaluateTorchWeights(data, seed, row) {
  const bytes = Buffer.from(row.params_f32_base64, 'base64');
  const params = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  const model = new core.Model(JSON.stringify({ ...arch, init: 'pytorch', seed }));
  try {
    model.setParams(params);
    const { ptr, count } = testSet(data);
    const m = model.evaluateU8(ptr, count);
    for (const [name, mine, theirs] of [['BCE', m.loss, row.val_loss], ['MSE', m.mse, row.val_mse]]) {
      if (Math.abs(mine - theirs) > CROSS_CHECK_RTOL * Math.abs(theirs))
        throw new Error(`${data} seed ${seed} epoch ${row.epoch}: the engine's ${name} of PyTorch's weights is ${mine}, PyTorch's own ${theirs}`);
    }
    return { epoch: row.epoch, bce: m.loss, mse: m.mse, psnr: m.psnr, psnr_global: 10 * Math.log10(1 / m.mse),
             ssim: m.ssim, samples_per_s: row.samples_per_s, torch_bce: row.val_loss, torch_mse: row.val_mse };
  } finally {
    model.destroy();
  }
}

async function runTorch(run, seed) {
  const args = [torchScript, '--data', run.data, '--seed', String(seed), '--epochs', String(run.epochs),
                '--record', run.record.join(','), '--threads', '1'];
  if (flags.config !== undefined) args.push('--config', JSON.stringify(arch));
  if (limit) args.push('--limit', String(limit));
  const rows = [];
  let header = null;
  const started = performance.now();
  await jsonLines(TORCH_PYTHON, args, (row) => {
    if (row.torch) header = row;
    else rows.push(evaluateTorchWeights(run.data, seed, row));
  });
  log(`PyTorch ${run.data} seed ${seed}: ${run.epochs} epochs in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return { rows, version: header?.torch };
}

// Two slots, so at most two processes at a time (AeVP's and PyTorch's side by side), seed by seed:
// a run stopped early (SIGINT/SIGTERM) still prints the table of the seeds it completed.
const started = performance.now();
const jobs = seeds.flatMap((seed) => runs.flatMap((run) => [{ side: 'aevp', run, seed }, { side: 'torch', run, seed }]));
let torchVersion = null;
const results = {};
async function slot() {
  for (let job = jobs.shift(); job; job = jobs.shift()) {
    const key = `${job.run.data}/${job.seed}`;
    if (job.side === 'aevp') {
      (results[key] ??= {}).aevp = await runAevp(job.run, job.seed);
    } else {
      const { rows, version } = await runTorch(job.run, job.seed);
      (results[key] ??= {}).torch = rows;
      torchVersion = version;
    }
    log(`${job.side} ${key}: ${JSON.stringify(results[key][job.side].map(({ epoch, bce }) => ({ epoch, bce })))}`);
  }
}
let stoppedEarly = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stoppedEarly = true;
    jobs.length = 0;
    for (const child of children) child.kill('SIGTERM');
  });
}
try {
  await Promise.allSettled([slot(), slot()]).then((outcomes) => {
    const failed = outcomes.find((o) => o.status === 'rejected');
    if (failed && !stoppedEarly) throw failed.reason;
  });
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
const wallSeconds = (performance.now() - started) / 1000;
const completeSeeds = seeds.filter((seed) => runs.every((run) => results[`${run.data}/${seed}`]?.aevp &&
                                                                  results[`${run.data}/${seed}`]?.torch));
if (!completeSeeds.length) { console.error('quality: stopped before any seed was complete'); process.exit(1); }
if (completeSeeds.length < seeds.length) {
  log(`stopped early: the table has the complete seed${completeSeeds.length > 1 ? 's' : ''} ${completeSeeds.join(', ')} only`);
  seeds.splice(0, seeds.length, ...completeSeeds);
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const METRICS = ['bce', 'mse', 'psnr', 'psnr_global', 'ssim'];
const table = runs.flatMap((run) => run.record.map((epoch) => {
  const side = (name) => {
    const perSeed = seeds.map((seed) => results[`${run.data}/${seed}`][name].find((r) => r.epoch === epoch));
    return Object.fromEntries(METRICS.map((k) => [k, median(perSeed.map((r) => r[k]))]).concat([['per_seed_bce', perSeed.map((r) => r.bce)]]));
  };
  const aevp = side('aevp'), torch = side('torch');
  const ratio = aevp.bce / torch.bce;
  return { data: run.data, epoch, aevp, torch, bce_ratio: ratio, within_bar: ratio <= BAR };
}));
const allWithin = table.every((row) => row.within_bar);
const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length };
const verdict = `AeVP's median val BCE is ${allWithin ? '' : 'NOT '}within 1 % of PyTorch's (or below) at every epoch` +
  (allWithin ? '' : ` (over the bar at: ${table.filter((r) => !r.within_bar).map((r) => `${r.data} epoch ${r.epoch}`).join(', ')})`);

if (flags.json) {
  console.log(JSON.stringify({ seeds, limit, config: arch, torch: torchVersion, machine, wall_seconds: wallSeconds, table,
                               all_within_bar: allWithin, verdict, stopped_early: stoppedEarly, runs: results }));
} else {
  const f = (v, d) => v.toFixed(d);
  console.log(`Learning quality, AeVP (init "pytorch") beside PyTorch ${torchVersion} (default init, 1 thread): ` +
              `batch 64, Adam 1e-3, BCE, ${limit ? `the first ${limit}` : 'all'} training images, validation on the 10,000 test images;` +
              ` median of ${seeds.length} seed${seeds.length > 1 ? 's' : ''} (${seeds.join(', ')}).` +
              (flags.config !== undefined ? ` Config: the default with ${JSON.stringify(arch)}.` : ''));
  console.log('PSNR mean = the mean of per-image PSNR (AeVP\'s val_psnr, what the page shows); PSNR global = 10 log10(1 / mean MSE).\n');
  console.log('| data | epoch | val BCE AeVP | val BCE PyTorch | ratio | MSE AeVP | MSE PyTorch | PSNR mean AeVP | PSNR mean PyTorch | PSNR global AeVP | PSNR global PyTorch | SSIM AeVP | SSIM PyTorch |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of table) {
    const { aevp: a, torch: t } = r;
    console.log(`| ${r.data} | ${r.epoch} | ${f(a.bce, 4)} | ${f(t.bce, 4)} | ${f(r.bce_ratio, 4)}${r.within_bar ? '' : ' ✗'} | ` +
                `${f(a.mse, 5)} | ${f(t.mse, 5)} | ${f(a.psnr, 2)} | ${f(t.psnr, 2)} | ${f(a.psnr_global, 2)} | ${f(t.psnr_global, 2)} | ` +
                `${f(a.ssim, 4)} | ${f(t.ssim, 4)} |`);
  }
  console.log('\nval BCE per seed (AeVP; PyTorch):');
  for (const r of table)
    console.log(`  ${r.data} epoch ${r.epoch}: ${r.aevp.per_seed_bce.map((v) => f(v, 4)).join(' ')}; ${r.torch.per_seed_bce.map((v) => f(v, 4)).join(' ')}`);
  console.log(`\n${verdict}.`);
  if (stoppedEarly) console.log(`Stopped early: only the seeds that completed every run are in the table (${seeds.join(', ')}).`);
  console.log(`Machine: ${machine.cpu}, ${machine.cores} cores; wall time ${f(wallSeconds, 0)} s.`);
}
