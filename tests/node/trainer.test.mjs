// trainer.test.mjs — the native trainer's arguments (out/native/aevp-train): every output path is
// checked before training, an empty config is refused, --init and --resume, and the collapse warning.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const trainer = join(root, 'out/native/aevp-train');
const dir = mkdtempSync(join(tmpdir(), 'aevp-trainer-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(...args) {
  const started = performance.now();
  const r = spawnSync(trainer, ['--data', 'mnist', ...args], { encoding: 'utf8', timeout: 120000 });
  return { code: r.status, out: r.stdout, err: r.stderr, ms: performance.now() - started };
}
const epochs = (out) => out.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));

test('an --out the trainer cannot write is refused before any training', () => {
  const r = run('--out', join(dir, 'no-such-folder', 'model.safetensors'), '--epochs', '3');
  assert.equal(r.code, 2);
  assert.match(r.err, /--out .*: the folder .*no-such-folder does not exist; create it first/);
  assert.doesNotMatch(r.out, /epoch/);
  const folder = run('--out', dir);
  assert.equal(folder.code, 2);
  assert.match(folder.err, /is a folder: name a file in it/);
});

test('an empty --config file is refused, {} means the defaults, and inline JSON works', () => {
  const empty = join(dir, 'empty.json');
  writeFileSync(empty, ' \n');
  const r = run('--config', empty);
  assert.equal(r.code, 2);
  assert.match(r.err, /empty\.json is empty; write \{\} in it for the defaults/);
  const bad = run('--config', '{"learning_rate": 50}');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /config: learning_rate must be > 0 and <= 10 \(got 50\)/);
  const both = run('--init', 'a', '--resume', 'b');
  assert.equal(both.code, 2);
  assert.match(both.err, /--init and --resume exclude each other/);
});

test('--resume continues a checkpoint exactly as the unbroken run; a plain file cannot be resumed', () => {
  const whole = epochs(run('--limit', '1024', '--epochs', '2', '--json').out);
  const checkpoint = join(dir, 'one-epoch.safetensors'), plain = join(dir, 'plain.safetensors');
  assert.equal(run('--limit', '1024', '--epochs', '1', '--json', '--out', checkpoint, '--checkpoint').code, 0);
  const resumed = run('--limit', '1024', '--resume', checkpoint, '--epochs', '1', '--json');
  assert.equal(resumed.code, 0, resumed.err);
  const [second] = epochs(resumed.out);
  assert.equal(second.epoch, 2);
  assert.equal(second.val_loss, whole[1].val_loss);
  assert.equal(second.train_loss, whole[1].train_loss);

  assert.equal(run('--limit', '256', '--epochs', '1', '--out', plain).code, 0);
  const refused = run('--resume', plain);
  assert.equal(refused.code, 2);
  assert.match(refused.err, /holds no optimizer state: write it with --out .* --checkpoint, or start from its weights with --init/);
  // --init takes the weights (and config) with a fresh optimizer: it trains from epoch 1.
  const init = run('--limit', '256', '--init', plain, '--epochs', '1', '--json');
  assert.equal(init.code, 0, init.err);
  assert.equal(epochs(init.out)[0].epoch, 1);
});

test('a diverged run writes the last sane model, and resuming it gently works', () => {
  const out = join(dir, 'diverged.safetensors');
  const r = run('--limit', '1024', '--epochs', '1', '--config', '{"learning_rate": 10}', '--out', out);
  assert.equal(r.code, 1);
  assert.match(r.err, /training diverged at step \d+: .*put back to those before the last update/);
  assert.match(r.err, /wrote the last sane model to .*diverged\.safetensors; continue it with --resume/);
  assert.ok(existsSync(out));
  const gentle = run('--limit', '1024', '--resume', out, '--config', '{"learning_rate": 0.001}', '--json');
  assert.equal(gentle.code, 0, gentle.err);
  assert.ok(epochs(gentle.out).every((e) => Number.isFinite(e.val_loss) && e.lr === 0.001));
});

test('a run worse than the mean image is flagged with the baseline; a good one is not', () => {
  const bad = run('--limit', '2048', '--epochs', '1', '--json', '--config', '{"optimizer": "sgd", "learning_rate": 10}');
  assert.equal(bad.code, 0, bad.err);
  const [record] = epochs(bad.out);
  assert.equal(record.collapsed, true);
  assert.ok(record.val_loss > record.baseline_loss);
  assert.match(bad.err, /the validation loss [\d.]+ is worse than predicting the mean image \([\d.]+\)/);
  const good = run('--limit', '8192', '--epochs', '1', '--json', '--config', '{"batch_size": 16}');
  assert.equal(good.code, 0, good.err);
  assert.ok(epochs(good.out).at(-1).collapsed === false && !/mean image/.test(good.err), good.err);
});
