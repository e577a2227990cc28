// state.js — the share link: one table maps the page's state to a URL hash and back, with every
// bad field explained; plus the optional weights blob. Pure state: no DOM, no engine, no drawing.
import { DEFAULT_CONFIG } from './views/config.js';

export const MAX_HASH_CHARS = 16384;  // parseHash refuses longer hashes as a whole
export const MAX_LINK_BYTES = 8192;   // what we are willing to write: longer links break in chat apps and some servers
const MAX_SHOWN = 40;                 // a value quoted in a message is cut to this many characters
const MAX_ERRORS = 20;                // then one line counts the rest: a 16 KB hash could hold thousands
const MAX_LATENT = 64;                // latent_grid 8 → 8×8
const LATENT_LIMIT = 1e4;
const WEIGHTS_VERSION = 1;
const WEIGHTS_HEADER = 13;            // version u8, count u32, min f32, max f32 (little-endian)

const deepFreeze = (o) => { for (const v of Object.values(o)) if (v && typeof v === 'object') deepFreeze(v); return Object.freeze(o); };

export const DEFAULT_STATE = deepFreeze({
  dataset: 'mnist',
  config: structuredClone(DEFAULT_CONFIG),
  view: { source: 'test', testIndex: 0, latent: null, noise: 0, occlusion: 0 },
  weights: null,   // the `w` blob as text; decodeWeights turns it into numbers once the model's size is known
});

// Decimal numbers only: Number() would also take '', ' 1', '0x10' and 'Infinity'.
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

// The raw text for a message: never escaped (the page uses textContent), never longer than 40.
function shown(raw) {
  const chars = Array.from(String(raw));
  return chars.length <= MAX_SHOWN ? chars.join('') : chars.slice(0, MAX_SHOWN - 1).join('') + '…';
}

const int = (min, max) => ({ kind: 'int', min, max, rule: `${min}..${max}` });
const number = (min, max, minExclusive = false) => ({ kind: 'number', min, max, minExclusive, rule: `${minExclusive ? '>' : ''}${min}..${max}` });
const choice = (...options) => ({ kind: 'choice', options, rule: `one of ${options.join(', ')}` });

// One row per hash key, in the order they are written. get/set address the plain state object.
const FIELDS = [
  { key: 'd', ...choice('mnist', 'fashion'), get: (s) => s.dataset, set: (s, v) => { s.dataset = v; } },
  { key: 'f1', ...int(1, 64), get: (s) => s.config.filters[0], set: (s, v) => { s.config.filters[0] = v; } },
  { key: 'f2', ...int(1, 64), get: (s) => s.config.filters[1], set: (s, v) => { s.config.filters[1] = v; } },
  { key: 'g', ...int(1, 8), get: (s) => s.config.latent_grid, set: (s, v) => { s.config.latent_grid = v; } },
  { key: 'act', ...choice('relu', 'leaky_relu', 'elu', 'tanh'), get: (s) => s.config.activation, set: (s, v) => { s.config.activation = v; } },
  { key: 'loss', ...choice('bce', 'mse'), get: (s) => s.config.loss, set: (s, v) => { s.config.loss = v; } },
  { key: 'opt', ...choice('adam', 'sgd', 'rmsprop'), get: (s) => s.config.optimizer, set: (s, v) => { s.config.optimizer = v; } },
  { key: 'lr', ...number(0, 10, true), get: (s) => s.config.learning_rate, set: (s, v) => { s.config.learning_rate = v; } },
  { key: 'bs', ...int(1, 512), get: (s) => s.config.batch_size, set: (s, v) => { s.config.batch_size = v; } },
  { key: 'ep', ...int(1, 1000), get: (s) => s.config.epochs, set: (s, v) => { s.config.epochs = v; } },
  { key: 'seed', ...int(0, 4294967295), get: (s) => s.config.seed, set: (s, v) => { s.config.seed = v; } },
  { key: 'vae', ...choice('0', '1'), get: (s) => (s.config.variational ? '1' : '0'), set: (s, v) => { s.config.variational = v === '1'; } },
  { key: 'beta', ...number(0, 100), get: (s) => s.config.beta, set: (s, v) => { s.config.beta = v; } },
  { key: 'src', ...choice('draw', 'test'), get: (s) => s.view.source, set: (s, v) => { s.view.source = v; } },
  { key: 'img', ...int(0, 9999), get: (s) => s.view.testIndex, set: (s, v) => { s.view.testIndex = v; } },
  { key: 'z', kind: 'latent', rule: `1..${MAX_LATENT} comma-separated numbers, each |v| <= ${LATENT_LIMIT}`,
    get: (s) => s.view.latent, set: (s, v) => { s.view.latent = v; } },
  { key: 'noise', ...number(0, 1), get: (s) => s.view.noise, set: (s, v) => { s.view.noise = v; } },
  { key: 'occ', ...number(0, 1), get: (s) => s.view.occlusion, set: (s, v) => { s.view.occlusion = v; } },
  { key: 'w', kind: 'blob', rule: 'base64url text', get: (s) => s.weights, set: (s, v) => { s.weights = v; } },
];
const BY_KEY = new Map(FIELDS.map((f) => [f.key, f]));

// {value} or {error: 'must be … (got …)'} for one raw hash value.
function readValue(field, raw) {
  switch (field.kind) {
    case 'choice':
      return field.options.includes(raw) ? { value: raw } : { error: `must be ${field.rule} (got "${shown(raw)}")` };
    case 'int':
    case 'number': {
      if (!NUMBER.test(raw)) return { error: `must be a number ${field.rule} (got "${shown(raw)}")` };
      const v = Number(raw);
      if (field.kind === 'int' && !Number.isInteger(v)) return { error: `must be a whole number ${field.rule} (got ${shown(raw)})` };
      if (!Number.isFinite(v) || (field.minExclusive ? v <= field.min : v < field.min) || v > field.max)
        return { error: `must be ${field.rule} (got ${shown(raw)})` };
      return { value: v };
    }
    case 'latent': {
      const parts = raw.split(',');
      if (raw === '' || parts.length > MAX_LATENT)
        return { error: `must be ${field.rule} (got ${raw === '' ? 'nothing' : `${parts.length} values`})` };
      const values = [];
      for (const [i, part] of parts.entries()) {
        const v = Number(part);
        if (!NUMBER.test(part) || !Number.isFinite(v) || Math.abs(v) > LATENT_LIMIT)
          return { error: `value ${i + 1} must be a number with |v| <= ${LATENT_LIMIT} (got "${shown(part)}")` };
        values.push(v);
      }
      return { value: values };
    }
    case 'blob':
      return BASE64URL.test(raw) && raw.length % 4 !== 1 ? { value: raw } : { error: `must be ${field.rule} (got "${shown(raw)}")` };
    default:
      throw new Error(`state: no reader for kind ${field.kind}`);
  }
}

// The text written for a value: rounding happens here, so equal texts mean equal links.
function writeValue(field, value) {
  if (field.kind === 'latent') return Array.from(value, (v) => String(Math.round(v * 1000) / 1000)).join(',');
  return String(value);
}

// The state as a hash, e.g. '#g=2&lr=0.01'; '' for the defaults. Fields equal to the default are
// left out so that links stay short. A state the parser would reject throws: that is a page bug.
export function serializeHash(state) {
  const params = new URLSearchParams();
  for (const field of FIELDS) {
    const value = fieldValue(field, state);
    if (value === null || value === undefined) continue;
    const text = writeValue(field, value);
    const fallback = field.get(DEFAULT_STATE);
    if (fallback !== null && text === writeValue(field, fallback)) continue;
    const { error } = readValue(field, text);
    if (error) throw new Error(`serializeHash: ${field.key} ${error}`);
    params.append(field.key, text);
  }
  const latent = fieldValue(BY_KEY.get('z'), state), grid = fieldValue(BY_KEY.get('g'), state);
  if (latent && latent.length !== grid * grid) throw new Error(`serializeHash: z must have ${grid * grid} values for g=${grid} (got ${latent.length})`);
  // ',' only occurs in z; it is legal in a fragment and URLSearchParams reads it back as is.
  const text = params.toString().replace(/%2C/g, ',');
  return text ? `#${text}` : '';
}

// A missing part of a partial state means the default.
function fieldValue(field, state) {
  try {
    return field.get(state) ?? field.get(DEFAULT_STATE);
  } catch {
    return field.get(DEFAULT_STATE);
  }
}

// {state, errors}: the defaults with every valid field of the hash applied. Each unknown key, bad
// value or repeated key adds one message and is skipped; the first occurrence of a key wins (as
// URLSearchParams.get does), later ones are reported. A hash over 16 KB is refused as a whole.
export function parseHash(hash) {
  const state = structuredClone(DEFAULT_STATE);
  const errors = [];
  let text = typeof hash === 'string' ? hash : '';
  if (text.length > MAX_HASH_CHARS) {
    errors.push(`share link: too long (${text.length} characters; the limit is ${MAX_HASH_CHARS}), ignored`);
    return { state, errors };
  }
  if (text.startsWith('#')) text = text.slice(1);
  const seen = new Set();
  let dropped = 0;
  const report = (message) => { if (errors.length < MAX_ERRORS) errors.push(`share link: ${message}`); else dropped++; };
  for (const [key, raw] of new URLSearchParams(text)) {
    const field = BY_KEY.get(key);
    if (!field) { report(`unknown key "${shown(key)}"`); continue; }
    if (seen.has(key)) { report(`${key} appears more than once; the first is used (ignored "${shown(raw)}")`); continue; }
    seen.add(key);
    const { value, error } = readValue(field, raw);
    if (error) report(`${key} ${error}`);
    else field.set(state, value);
  }
  // The decoder takes exactly g×g numbers: a z that does not fit the grid cannot be shown.
  const latent = state.view.latent;
  const grid = state.config.latent_grid;
  if (latent && latent.length !== grid * grid) {
    report(`z must have ${grid * grid} values for g=${grid} (got ${latent.length})`);
    state.view.latent = null;
  }
  if (dropped) errors.push(`share link: ${dropped} more problem${dropped === 1 ? '' : 's'} not listed`);
  return { state, errors };
}

// Whether a hash is short enough to hand out as a link.
export function fitsInLink(hashString) {
  return new TextEncoder().encode(String(hashString)).length <= MAX_LINK_BYTES;
}

// Calls onChange(parseHash(location.hash)) whenever the hash changes (back/forward, an edited or
// pasted link); returns the function that stops listening. `win` is the window: no DOM here.
export function listenHash(win, onChange) {
  const handler = () => onChange(parseHash(win.location.hash));
  win.addEventListener('hashchange', handler);
  return () => win.removeEventListener('hashchange', handler);
}

// Puts the state in the address bar without a history entry per slider move and without firing
// hashchange (replaceState does neither), so the page does not re-read what it just wrote.
export function writeHash(win, state) {
  const hash = serializeHash(state);
  const url = win.location.href.replace(/#.*$/, '') + hash;
  win.history.replaceState(win.history.state, '', url);
  return hash;
}

// ---------------------------------------------------------------- weights

function toBase64url(bytes) {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64url(text) {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

async function deflate(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream('deflate-raw'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// Inflates at most `limit` bytes: a small link must not expand into gigabytes.
async function inflate(bytes, limit) {
  const reader = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate-raw')).getReader();
  const out = new Uint8Array(limit);
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return out.subarray(0, length);
    if (length + value.length > limit) {
      await reader.cancel().catch(() => {});
      throw new Error(`share link: weights expand to more than the ${limit} bytes expected`);
    }
    out.set(value, length);
    length += value.length;
  }
}

// Float32Array → link text: min and max of the whole vector, each value linearly quantised to
// 8 bits between them, deflate-raw, base64url without padding. Error per value <= (max-min)/510.
export async function encodeWeights(weights) {
  const values = weights instanceof Float32Array ? weights : Float32Array.from(weights);
  let min = Infinity, max = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) throw new Error('encodeWeights: the weights hold a NaN or an infinity');
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!values.length) min = max = 0;
  const bytes = new Uint8Array(WEIGHTS_HEADER + values.length);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, WEIGHTS_VERSION);
  view.setUint32(1, values.length, true);
  view.setFloat32(5, min, true);
  view.setFloat32(9, max, true);
  const scale = max > min ? 255 / (max - min) : 0;
  for (let i = 0; i < values.length; i++) bytes[WEIGHTS_HEADER + i] = Math.min(255, Math.max(0, Math.round((values[i] - min) * scale)));
  return toBase64url(await deflate(bytes));
}

// Link text → Float32Array of expectedCount values; throws an Error saying what is wrong.
export async function decodeWeights(text, expectedCount) {
  if (!Number.isInteger(expectedCount) || expectedCount < 0) throw new Error(`decodeWeights: expectedCount must be a whole number >= 0 (got ${expectedCount})`);
  if (typeof text !== 'string' || !BASE64URL.test(text) || text.length % 4 === 1)
    throw new Error(`share link: weights are not base64url text (got "${shown(text)}")`);
  const packed = fromBase64url(text);
  let bytes;
  try {
    bytes = await inflate(packed, WEIGHTS_HEADER + expectedCount);
  } catch (e) {
    if (e.message.startsWith('share link:')) throw e;
    throw new Error(`share link: weights could not be decompressed (${e.message})`);
  }
  if (bytes.length < WEIGHTS_HEADER) throw new Error(`share link: weights are truncated (${bytes.length} bytes, the header alone is ${WEIGHTS_HEADER})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint8(0);
  if (version !== WEIGHTS_VERSION) throw new Error(`share link: weights format ${version} is not known (this page reads ${WEIGHTS_VERSION})`);
  const count = view.getUint32(1, true);
  if (count !== expectedCount) throw new Error(`share link: the weights are for a model of ${count} parameters, this one has ${expectedCount}`);
  if (bytes.length !== WEIGHTS_HEADER + count) throw new Error(`share link: weights hold ${bytes.length - WEIGHTS_HEADER} values, the header says ${count}`);
  const min = view.getFloat32(5, true), max = view.getFloat32(9, true);
  if (!Number.isFinite(min) || !Number.isFinite(max) || min > max) throw new Error(`share link: weights have a bad range (${min}..${max})`);
  const step = (max - min) / 255;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = min + bytes[WEIGHTS_HEADER + i] * step;
  return out;
}
