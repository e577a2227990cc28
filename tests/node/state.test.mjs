// state.test.mjs — the share link of web/state.js in Node: hash round trips, the message for every
// kind of bad field, and the weights blob. The page's use of it (hashchange, the DOM) is not tested here.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';

import {
  installSchema, DEFAULT_STATE, MAX_HASH_CHARS, MAX_LINK_BYTES, decodeWeights, encodeWeights, fitsInLink, listenHash, parseHash,
  serializeHash, writeHash,
} from '../../web/state.js';

// The share-link table is built from the engine's schema, read from the built aevp.wasm (dist/).
const distDir = new URL('../../dist/', import.meta.url);
const { loadCore } = await import(new URL('core.js', distDir));
installSchema((await loadCore(await readFile(new URL('aevp.wasm', distDir)))).schema());

const DEFAULT_PARAMS = 10674;   // the default model's parameter count

// Every field away from its default; z has g×g = 16 values with at most 3 decimals.
const FULL = {
  dataset: 'fashion',
  config: { filters: [32, 4], latent_grid: 4, activation: 'leaky_relu', loss: 'mse', optimizer: 'rmsprop',
            learning_rate: 0.0005, batch_size: 128, epochs: 20, seed: 4294967295, variational: true, beta: 4.5 },
  view: { source: 'draw', testIndex: 9999, noise: 0.35, occlusion: 1,
          latent: [-1.5, 0, 2.25, 3.125, -0.001, 10000, -10000, 0.5, 1, 2, 3, 4, 5, 6, 7, 8] },
  weights: null,
};

// Seeded uniform floats in [lo, hi) (mulberry32), so failures reproduce.
function randomFloats(count, seed, lo = -1, hi = 1) {
  let a = seed >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + (((t ^ (t >>> 14)) >>> 0) / 4294967296) * (hi - lo);
  }
  return out;
}

// Seeded normal floats (Box–Muller), a stand-in for a trained model's weights.
function normalFloats(count, seed, std) {
  const u = randomFloats(2 * count, seed, 0, 1);
  return Float32Array.from({ length: count }, (_, i) => std * Math.sqrt(-2 * Math.log(1 - u[2 * i])) * Math.cos(2 * Math.PI * u[2 * i + 1]));
}

test('the defaults give an empty hash, and an empty hash the defaults', () => {
  assert.equal(serializeHash(DEFAULT_STATE), '');
  assert.equal(serializeHash({}), '', 'a missing part means its default');
  for (const hash of ['', '#', undefined]) assert.deepEqual(parseHash(hash), { state: structuredClone(DEFAULT_STATE), errors: [] });
  console.log(`link length, default state: ${serializeHash(DEFAULT_STATE).length} characters`);
});

test('one changed field gives a short hash', () => {
  const state = structuredClone(DEFAULT_STATE);
  state.config.latent_grid = 2;
  assert.equal(serializeHash(state), '#g=2');
});

test('a full non-default state survives serialize → parse', () => {
  const hash = serializeHash(FULL);
  console.log(`link length, full non-default state: ${hash.length} characters: ${hash}`);
  const { state, errors } = parseHash(hash);
  assert.deepEqual(errors, []);
  assert.deepEqual(state, FULL);
  for (const key of ['d', 'f1', 'f2', 'g', 'act', 'loss', 'opt', 'lr', 'bs', 'ep', 'seed', 'vae', 'beta', 'src', 'img', 'z', 'noise', 'occ'])
    assert.ok(new URLSearchParams(hash.slice(1)).has(key), `${key} is written`);
  assert.equal(parseHash(hash.slice(1)).errors.length, 0, 'the leading # is optional');
});

test('z is rounded to 3 decimals when written', () => {
  const state = structuredClone(DEFAULT_STATE);
  state.config.latent_grid = 1;
  state.view.latent = new Float32Array([0.123456]);
  assert.equal(serializeHash(state), '#g=1&z=0.123');
  state.config.latent_grid = 2;
  state.view.latent = [1, -2, 0.5, 0];
  assert.equal(serializeHash(state), '#g=2&z=1,-2,0.5,0', 'commas are left unescaped: legal in a fragment, and 2 characters shorter each');
  assert.deepEqual(parseHash('#g=1&z=0.123').state.view.latent, [0.123]);
});

test('serializeHash refuses a state the parser would reject', () => {
  const bad = (edit) => { const s = structuredClone(DEFAULT_STATE); edit(s); return () => serializeHash(s); };
  assert.throws(bad((s) => { s.config.latent_grid = 12; }), /g must be 1\.\.8 \(got 12\)/);
  assert.throws(bad((s) => { s.config.activation = 'swish'; }), /act must be one of/);
  assert.throws(bad((s) => { s.view.latent = [1, NaN, 0, 0, 0, 0, 0, 0, 0]; }), /z value 2/);
  assert.throws(bad((s) => { s.view.latent = [1, 2]; }), /z must have 9 values for g=3 \(got 2\)/);
});

const XSS = '<img src=x onerror=alert(1)>';
const LONG_XSS = `<script>alert(document.cookie)</script>${'A'.repeat(100)}`;

// [hash, substring of the one expected message]
const BAD = [
  ['#foo=1', 'share link: unknown key "foo"'],
  ['#G=3', 'unknown key "G"'],
  ['#=3', 'unknown key ""'],
  ['#d=cifar', 'd must be one of mnist, fashion (got "cifar")'],
  ['#f1=0', 'f1 must be 1..128 (got 0)'],
  ['#f1=129', 'f1 must be 1..128 (got 129)'],
  ['#k=4', 'k must be 3 or 5 (got 4)'],
  ['#dep=3', 'dep=3 needs f1..f3'],
  ['#f2=-3', 'f2 must be 1..128 (got -3)'],
  ['#f2=2.5', 'f2 must be a whole number 1..128 (got 2.5)'],
  ['#g=12', 'share link: g must be 1..8 (got 12)'],
  ['#g=0', 'g must be 1..8 (got 0)'],
  ['#g=abc', 'g must be a number 1..8 (got "abc")'],
  ['#g=', 'g must be a number 1..8 (got "")'],
  ['#g=0x3', 'g must be a number 1..8 (got "0x3")'],
  ['#g=%203', 'g must be a number 1..8 (got " 3")'],
  ['#act=sigmoid', 'act must be one of relu, leaky_relu, elu, tanh (got "sigmoid")'],
  ['#act=RELU', 'act must be one of relu, leaky_relu, elu, tanh (got "RELU")'],
  ['#loss=l1', 'loss must be one of bce, mse (got "l1")'],
  ['#opt=lbfgs', 'opt must be one of adam, sgd, rmsprop (got "lbfgs")'],
  ['#lr=0', 'lr must be >0..10 (got 0)'],
  ['#lr=11', 'lr must be >0..10 (got 11)'],
  ['#lr=Infinity', 'lr must be a number >0..10 (got "Infinity")'],
  ['#lr=1e999', 'lr must be >0..10 (got 1e999)'],
  ['#bs=0', 'bs must be 1..512 (got 0)'],
  ['#bs=513', 'bs must be 1..512 (got 513)'],
  ['#ep=1001', 'ep must be 1..1000 (got 1001)'],
  ['#ep=0', 'ep must be 1..1000 (got 0)'],
  ['#seed=-1', 'seed must be 0..4294967295 (got -1)'],
  ['#seed=4294967296', 'seed must be 0..4294967295 (got 4294967296)'],
  ['#src=camera', 'src must be one of draw, test (got "camera")'],
  ['#img=10000', 'img must be 0..9999 (got 10000)'],
  ['#img=-1', 'img must be 0..9999 (got -1)'],
  ['#img=NaN', 'img must be a number 0..9999 (got "NaN")'],
  ['#noise=1.5', 'noise must be 0..1 (got 1.5)'],
  ['#noise=-0.1', 'noise must be 0..1 (got -0.1)'],
  ['#occ=2', 'occ must be 0..1 (got 2)'],
  ['#occ=lots', 'occ must be a number 0..1 (got "lots")'],
  [`#g=8&z=${Array(65).fill(0).join(',')}`, 'z must be 1..64 comma-separated numbers, each |v| <= 10000 (got 65 values)'],
  ['#g=1&z=', 'z must be 1..64 comma-separated numbers, each |v| <= 10000 (got nothing)'],
  ['#g=2&z=1,NaN,0,0', 'z value 2 must be a number with |v| <= 10000 (got "NaN")'],
  ['#g=2&z=1,2,,4', 'z value 3 must be a number with |v| <= 10000 (got "")'],
  ['#g=1&z=10001', 'z value 1 must be a number with |v| <= 10000 (got "10001")'],
  ['#g=1&z=Infinity', 'z value 1 must be a number with |v| <= 10000 (got "Infinity")'],
  ['#z=1,2,3', 'z must have 9 values for g=3 (got 3)'],
  ['#w=a+b/c', 'w must be base64url text (got "a b/c")'],
  ['#w=abcde', 'w must be base64url text (got "abcde")'],
  ['#g=2&g=5', 'g appears more than once; the first is used (ignored "5")'],
];

test(`each of ${BAD.length} bad hashes gives one message naming the key, the rule and the value`, () => {
  assert.ok(BAD.length >= 15);
  for (const [hash, expected] of BAD) {
    const { errors } = parseHash(hash);
    assert.equal(errors.length, 1, `${hash}: ${JSON.stringify(errors)}`);
    assert.ok(errors[0].startsWith('share link: '), errors[0]);
    assert.ok(errors[0].includes(expected), `${hash}:\n  got      ${errors[0]}\n  expected ${expected}`);
  }
});

test('duplicate keys: the first wins, even when it is the bad one', () => {
  assert.equal(parseHash('#g=2&g=5').state.config.latent_grid, 2);
  const { state, errors } = parseHash('#g=99&g=5');
  assert.equal(state.config.latent_grid, DEFAULT_STATE.config.latent_grid);
  assert.equal(errors.length, 2);
  assert.match(errors[0], /g must be 1\.\.8 \(got 99\)/);
  assert.match(errors[1], /g appears more than once/);
});

test('good fields still apply when bad ones are present', () => {
  const { state, errors } = parseHash('#g=2&foo=bar&lr=0.01&bs=9999&act=tanh&img=-5&noise=0.25&z=1,2,3,4');
  assert.equal(errors.length, 3, JSON.stringify(errors));
  assert.equal(state.config.latent_grid, 2);
  assert.equal(state.config.learning_rate, 0.01);
  assert.equal(state.config.activation, 'tanh');
  assert.equal(state.view.noise, 0.25);
  assert.deepEqual(state.view.latent, [1, 2, 3, 4]);
  assert.equal(state.config.batch_size, DEFAULT_STATE.config.batch_size);
  assert.equal(state.view.testIndex, DEFAULT_STATE.view.testIndex);
});

test('a script in a value or key is reported as plain text, cut to 40 characters', () => {
  for (const hash of [`#act=${encodeURIComponent(XSS)}`, `#${encodeURIComponent(XSS)}=1`, `#g=${encodeURIComponent(LONG_XSS)}`,
                      `#act=${encodeURIComponent(LONG_XSS)}`, `#${encodeURIComponent(LONG_XSS)}=1`, `#z=${encodeURIComponent(LONG_XSS)}`]) {
    const { errors } = parseHash(hash);
    assert.equal(errors.length, 1);
    const quoted = errors[0].match(/"([^]*)"/)[1];
    assert.ok(Array.from(quoted).length <= 40, `quoted ${Array.from(quoted).length} characters: ${errors[0]}`);
    assert.ok(!errors[0].includes('&lt;'), 'nothing is escaped: the page uses textContent');
  }
  assert.ok(parseHash(`#act=${encodeURIComponent(XSS)}`).errors[0].includes(`(got "${XSS}")`), 'a short value is shown whole');
  const cut = parseHash(`#act=${encodeURIComponent(LONG_XSS)}`).errors[0].match(/"([^]*)"/)[1];
  assert.equal(cut, `${LONG_XSS.slice(0, 39)}…`);
  assert.equal(Array.from(parseHash(`#g=${'9'.repeat(200)}`).errors[0].match(/got (.*)\)$/)[1]).length, 40);
});

test('control and bidi characters in a link are shown escaped, so they cannot reverse or hide a message', () => {
  // U+202E (right-to-left override) would turn the rest of the banner around; U+2066 isolates,
  // U+200B hides, U+0007 and U+000A are controls.
  for (const [raw, escaped] of [['\u202Eevil', '\\u202Eevil'], ['a\u2066b', 'a\\u2066b'], ['x\u200By', 'x\\u200By'],
                                ['\u0007\n', '\\u0007\\u000A']]) {
    for (const hash of [`#act=${encodeURIComponent(raw)}`, `#${encodeURIComponent(raw)}=1`]) {
      const { errors } = parseHash(hash);
      assert.equal(errors.length, 1, hash);
      assert.ok(errors[0].includes(escaped), `${JSON.stringify(errors[0])} shows ${JSON.stringify(escaped)}`);
      assert.doesNotMatch(errors[0], /[\u0000-\u001f\u200b\u202a-\u202e\u2066-\u2069]/u, 'no raw control or bidi character');
    }
  }
  assert.ok(parseHash('#act=%C3%A9t%C3%A9').errors[0].includes('"été"'), 'ordinary letters stay as they are');
});

test('a hash over 16 KB is refused as a whole', () => {
  const hash = `#g=2&x=${'a'.repeat(20 * 1024)}`;
  const { state, errors, refused } = parseHash(hash);
  assert.equal(refused, true);
  assert.equal(parseHash('#g=2').refused, undefined);
  assert.deepEqual(state, structuredClone(DEFAULT_STATE), 'not even the good field applies');
  assert.equal(errors.length, 1);
  assert.match(errors[0], /^share link: too long \(20,487 characters; this page's links stay under 16,384\), so none of it was applied$/);
  const edge = `#w=${'A'.repeat(MAX_HASH_CHARS - 4)}&`;
  assert.equal(edge.length, MAX_HASH_CHARS);
  assert.equal(parseHash(edge).errors.length, 0, 'exactly 16 KB is read');
  assert.equal(parseHash(`${edge}&`).errors.length, 1, 'one character more is not');
});

test('thousands of bad keys give a bounded list of messages', () => {
  const { errors } = parseHash('#' + 'x&'.repeat(3000));
  assert.equal(errors.length, 21);
  assert.equal(errors.at(-1), 'share link: 2980 more problems not listed');
});

test('fitsInLink measures bytes against MAX_LINK_BYTES', () => {
  assert.equal(MAX_LINK_BYTES, 8192);
  assert.ok(fitsInLink(serializeHash(FULL)));
  assert.ok(fitsInLink('#' + 'a'.repeat(8191)));
  assert.ok(!fitsInLink('#' + 'a'.repeat(8192)));
  assert.ok(!fitsInLink('#' + 'é'.repeat(4096)), 'é is two bytes');
});

test(`weights: ${DEFAULT_PARAMS} random floats round-trip within the quantisation error`, async () => {
  const weights = randomFloats(DEFAULT_PARAMS, 7, -0.7, 0.4);
  let min = Infinity, max = -Infinity;
  for (const v of weights) { min = Math.min(min, v); max = Math.max(max, v); }
  const text = await encodeWeights(weights);
  assert.match(text, /^[A-Za-z0-9_-]+$/);
  const back = await decodeWeights(text, DEFAULT_PARAMS);
  assert.ok(back instanceof Float32Array);
  assert.equal(back.length, DEFAULT_PARAMS);
  let worst = 0;
  for (let i = 0; i < weights.length; i++) worst = Math.max(worst, Math.abs(back[i] - weights[i]));
  const bound = (max - min) / 255 / 2 + 1e-7;
  assert.ok(worst <= bound, `max |diff| ${worst} > ${bound}`);

  // Uniform noise does not compress; a trained model's weights sit near zero and do a little better.
  const state = structuredClone(DEFAULT_STATE);
  state.weights = text;
  const hash = serializeHash(state);
  assert.deepEqual(parseHash(hash), { state, errors: [] });
  const gaussian = normalFloats(DEFAULT_PARAMS, 11, 0.1);
  const gaussianText = await encodeWeights(gaussian);
  console.log(`weights of ${DEFAULT_PARAMS} parameters: uniform ${text.length} characters, roughly normal ${gaussianText.length}; ` +
              `full link with the default state ${hash.length} characters, fits in ${MAX_LINK_BYTES}: ${fitsInLink(hash)}`);
});

test('weights: edge cases encode and decode', async () => {
  assert.deepEqual(await decodeWeights(await encodeWeights(new Float32Array(5).fill(0.25)), 5), new Float32Array(5).fill(0.25));
  assert.deepEqual(await decodeWeights(await encodeWeights(new Float32Array(0)), 0), new Float32Array(0));
  const ends = await decodeWeights(await encodeWeights(new Float32Array([-3, 1, 5])), 3);
  assert.equal(ends[0], -3);
  assert.equal(ends[2], 5);
  await assert.rejects(encodeWeights(new Float32Array([1, NaN])), /NaN or an infinity/);
});

test('weights: garbage, truncation and the wrong model are refused with a clear message', async () => {
  const good = await encodeWeights(randomFloats(100, 3));
  const cases = [
    ['not base64!', 100, /not base64url text \(got "not base64!"\)/],
    ['', 100, /not base64url text/],
    ['abcde', 100, /not base64url text/],
    ['AAAAAAAAAAAAAAAA', 100, /weights could not be decompressed|truncated/],
    ['____________', 100, /could not be decompressed/],
    [good.slice(0, good.length / 2), 100, /could not be decompressed|truncated|hold/],
    [good, 99, /more than the 112 bytes expected/],
    [good, 101, /for a model of 100 parameters, this one has 101/],
    [await encodeWeights(randomFloats(50_000, 1)), DEFAULT_PARAMS, /more than the 10687 bytes expected/],
  ];
  for (const [text, count, expected] of cases) {
    await assert.rejects(decodeWeights(text, count), (e) => {
      assert.ok(e instanceof Error);
      assert.match(e.message, expected, `${text.slice(0, 20)}… → ${e.message}`);
      return true;
    });
  }
  await assert.rejects(decodeWeights(good, -1), /expectedCount must be a whole number/);
});

test('listenHash parses on every hashchange until stopped; writeHash replaces the URL without history', () => {
  const win = new EventTarget();
  win.location = { hash: '#g=2', href: 'https://example.org/aevp/?x=1#old' };
  const calls = [];
  win.history = { state: { keep: true }, replaceState: (...args) => calls.push(args) };
  const seen = [];
  const stop = listenHash(win, (result) => seen.push(result));
  win.dispatchEvent(new Event('hashchange'));
  win.location.hash = '#g=99';
  win.dispatchEvent(new Event('hashchange'));
  stop();
  win.dispatchEvent(new Event('hashchange'));
  assert.equal(seen.length, 2);
  assert.equal(seen[0].state.config.latent_grid, 2);
  assert.match(seen[1].errors[0], /g must be 1\.\.8 \(got 99\)/);

  const state = structuredClone(DEFAULT_STATE);
  state.view.testIndex = 42;
  assert.equal(writeHash(win, state), '#img=42');
  assert.deepEqual(calls, [[{ keep: true }, '', 'https://example.org/aevp/?x=1#img=42']]);
});

test('the VAE keys: vae is 0 or 1, beta 0..100; bad values are named and skipped', () => {
  const { state, errors } = parseHash('#vae=yes&beta=500&g=2');
  assert.deepEqual(errors, ['share link: vae must be one of 0, 1 (got "yes")', 'share link: beta must be 0..100 (got 500)']);
  assert.equal(state.config.variational, false);
  assert.equal(state.config.beta, 1);
  assert.equal(state.config.latent_grid, 2);
  const good = parseHash('#vae=1&beta=0');
  assert.deepEqual(good.errors, []);
  assert.equal(good.state.config.variational, true);
  assert.equal(good.state.config.beta, 0);
  assert.equal(serializeHash(good.state), '#vae=1&beta=0');
});
