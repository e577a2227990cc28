// state.js — the share link: one table, built from the engine's config schema, maps the page's state
// to a URL hash and back, with every bad field explained; plus the optional weights blob. Pure
// state: no DOM, no engine, no drawing. installSchema(schema) must run before the rest is used.
import { defaults as schemaDefaults, getPath, setPath } from './lib/config-schema.js';
import { pageFields } from './lib/config-fields.js';
import { printable } from './lib/printable.js';

export const MAX_HASH_CHARS = 16384;  // parseHash refuses longer hashes as a whole
export const MAX_LINK_BYTES = 8192;   // what we are willing to write: longer links break in chat apps and some servers
const MAX_SHOWN = 40;                 // a value quoted in a message is cut to this many characters
const MAX_ERRORS = 20;                // then one line counts the rest: a 16 KB hash could hold thousands
const LATENT_LIMIT = 1e4;
const WEIGHTS_VERSION = 1;
const WEIGHTS_HEADER = 13;            // version u8, count u32, min f32, max f32 (little-endian)
const DATASETS = ['mnist', 'fashion'];
const TEST_IMAGES = 10000;

// The config keys links had before the engine's schema: their fields always have a value in a
// parsed link (absent: the default). A field whose key came later is in a parsed link only when
// the link names it, and written whenever the state has it, so that a link says what it meant
// even after a default moves (as init's did: a non-empty link without init means OLD_LINK_INIT).
const FIRST_KEYS = ['f1', 'f2', 'g', 'act', 'loss', 'opt', 'lr', 'bs', 'ep', 'seed', 'vae', 'beta'];
export const OLD_LINK_INIT = 'he';

const deepFreeze = (o) => { for (const v of Object.values(o)) if (v && typeof v === 'object') deepFreeze(v); return Object.freeze(o); };

// Set by installSchema: the defaults, the table, the table by key, the largest latent (g max squared).
export let DEFAULT_STATE = null;
let FIELDS = [], BY_KEY = new Map(), MAX_LATENT = 0, CONFIG_DEFAULTS = null;

// Decimal numbers only: Number() would also take '', ' 1', '0x10' and 'Infinity'.
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

// The raw text for a message: never longer than 40 characters, and control and bidi characters
// written as \uXXXX (the page uses textContent, so no HTML is ever interpreted either).
function shown(raw) {
  const chars = Array.from(printable(raw));
  return chars.length <= MAX_SHOWN ? chars.join('') : chars.slice(0, MAX_SHOWN - 1).join('') + '…';
}

const int = (min, max) => ({ kind: 'int', min, max, rule: `${min}..${max}` });
const number = (min, max, minExclusive = false) => ({ kind: 'number', min, max, minExclusive, rule: `${minExclusive ? '>' : ''}${min}..${max}` });
const choice = (...options) => ({ kind: 'choice', options, rule: `one of ${options.join(', ')}` });

// The link's reading of a schema leaf: a bool is written 0 or 1.
function leafRule(leaf) {
  if (leaf.type === 'bool') return choice('0', '1');
  if (leaf.type === 'choice') return choice(...leaf.choices);
  if (leaf.type === 'int' && leaf.values) return { ...int(leaf.min, leaf.max), values: leaf.values, rule: leaf.values.join(' or ') };
  if (leaf.type === 'int') return { ...int(leaf.min, leaf.max), multipleOf: leaf.multipleOf };
  return number(leaf.min, leaf.max, leaf.minExclusive);
}

// Builds the table from the engine's schema: one row per hash key, in the order they are written.
// get/set address the plain state object.
export function installSchema(schema) {
  CONFIG_DEFAULTS = deepFreeze(schemaDefaults(schema));
  const linked = pageFields(schema).filter((f) => f.key);
  const configRows = linked.map((leaf) => {
    const bool = leaf.type === 'bool';
    return {
      key: leaf.key, ...leafRule(leaf), sparse: !FIRST_KEYS.includes(leaf.key),
      get: (s) => { const v = getPath(s.config, leaf.path); return bool && v !== undefined ? (v ? '1' : '0') : v; },
      set: (s, v) => setPath(s.config, leaf.path, bool ? v === '1' : v),
    };
  });
  // The number of encoder stages: the filters' items past it are dropped after the link is read
  // (a 1-stage link must say so; a deeper one also names f3, f4).
  const list = linked.find((f) => f.item === 0);
  const depthRow = list && {
    key: 'dep', ...int(list.field.min_items, list.field.max_items), sparse: true,
    get: (s) => getPath(s.config, list.path.slice(0, -1))?.length,
    set: (s, v) => { s.depth = v; },
  };
  FIELDS = [
    { key: 'd', ...choice(...DATASETS), get: (s) => s.dataset, set: (s, v) => { s.dataset = v; } },
    ...configRows.filter((r) => !r.sparse),
    ...configRows.filter((r) => r.sparse),
    ...(depthRow ? [depthRow] : []),
    { key: 'src', ...choice('draw', 'test'), get: (s) => s.view.source, set: (s, v) => { s.view.source = v; } },
    { key: 'img', ...int(0, TEST_IMAGES - 1), get: (s) => s.view.testIndex, set: (s, v) => { s.view.testIndex = v; } },
    { key: 'z', kind: 'latent', rule: '', get: (s) => s.view.latent, set: (s, v) => { s.view.latent = v; } },
    { key: 'noise', ...number(0, 1), get: (s) => s.view.noise, set: (s, v) => { s.view.noise = v; } },
    { key: 'occ', ...number(0, 1), get: (s) => s.view.occlusion, set: (s, v) => { s.view.occlusion = v; } },
    { key: 'w', kind: 'blob', rule: 'base64url text', get: (s) => s.weights, set: (s, v) => { s.weights = v; } },
  ];
  const grid = linked.find((f) => f.key === 'g');
  MAX_LATENT = grid.max * grid.max;
  FIELDS.find((f) => f.key === 'z').rule = `1..${MAX_LATENT} comma-separated numbers, each |v| <= ${LATENT_LIMIT}`;
  BY_KEY = new Map(FIELDS.map((f) => [f.key, f]));
  const config = {};
  for (const row of configRows) if (!row.sparse) row.set({ config }, row.get({ config: CONFIG_DEFAULTS }));
  DEFAULT_STATE = deepFreeze({
    dataset: DATASETS[0],
    config,
    view: { source: 'test', testIndex: 0, latent: null, noise: 0, occlusion: 0 },
    weights: null,   // the `w` blob as text; decodeWeights turns it into numbers once the model's size is known
  });
}

// The full config a parsed link means: the schema's defaults, the link's fields over them, and for
// a non-empty link made before init existed, the init of its day.
export function linkConfig(linked, { emptyLink = false } = {}) {
  const config = { ...structuredClone(CONFIG_DEFAULTS), ...structuredClone(linked) };
  if (!emptyLink && linked.init === undefined) config.init = OLD_LINK_INIT;
  return config;
}

function requireSchema() {
  if (!DEFAULT_STATE) throw new Error('state: installSchema(schema) has not run');
}

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
      if (field.values && !field.values.includes(v)) return { error: `must be ${field.rule} (got ${shown(raw)})` };
      if (field.multipleOf && v % field.multipleOf !== 0) return { error: `must be divisible by ${field.multipleOf} (got ${shown(raw)})` };
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
  requireSchema();
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
// URLSearchParams.get does), later ones are reported. A hash over 16 KB is refused as a whole:
// {state (the defaults), errors, refused: true}, and none of it is to be applied.
export function parseHash(hash) {
  requireSchema();
  const state = structuredClone(DEFAULT_STATE);
  const errors = [];
  let text = typeof hash === 'string' ? hash : '';
  if (text.length > MAX_HASH_CHARS) {
    errors.push(`share link: too long (${text.length.toLocaleString('en')} characters; this page's links stay under ` +
      `${MAX_HASH_CHARS.toLocaleString('en')}), so none of it was applied`);
    return { state, errors, refused: true };
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
  if (state.depth !== undefined) {
    const filters = state.config.filters;
    if (filters.length < state.depth || filters.slice(0, state.depth).some((v) => v === undefined))
      report(`dep=${state.depth} needs f1..f${state.depth} (the filters of each stage)`);
    else state.config.filters = filters.slice(0, state.depth);
    delete state.depth;
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
