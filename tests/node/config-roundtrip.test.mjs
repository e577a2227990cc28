// config-roundtrip.test.mjs — the page's reading of the engine's config schema against the engine
// itself: the form's checks and the share-link table, both built from engine.schema(), must
// accept and refuse exactly what config_parse does. The engine runs via web/core.js on
// out/wasm's module; the fixtures are tests/test_config.c's, config_fixtures.h's sentinel, and an
// edge sweep of every field. Not the DOM: the form's widgets are stood in for by their raw values.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { loadCore } from '../../web/core.js';
import { pageFields } from '../../web/lib/config-fields.js';
import { checkInput, defaults, getPath, leaves } from '../../web/lib/config-schema.js';
import { installSchema, parseHash } from '../../web/state.js';

const core = await loadCore(readFileSync(new URL('../../out/wasm/aevp.wasm', import.meta.url)));
const schema = core.schema();
installSchema(schema);

// config_parse's verdict: '' (accepted) or its message. Only a config refusal counts: a model too
// big for memory was still a valid config.
function engineVerdict(text) {
  try {
    new core.Model(text).destroy();
    return '';
  } catch (e) {
    return e.code === 'config' ? e.message : '';
  }
}

// The C string literals of test_config.c: the bad_configs table and every literal handed to
// config_parse or accepts(). Adjacent literals are joined, as the C compiler does.
function cFixtures() {
  const source = readFileSync(new URL('../test_config.c', import.meta.url), 'utf8');
  const literal = /"((?:[^"\\\n]|\\.)*)"/g;
  const decode = (body) => JSON.parse(`"${body.replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1')}"`);
  const texts = new Set();
  const table = source.slice(source.indexOf('bad_configs[] = {'), source.indexOf('};', source.indexOf('bad_configs[] = {')));
  for (const entry of table.matchAll(/\{\s*((?:"(?:[^"\\\n]|\\.)*"\s*)+),/g))
    texts.add([...entry[1].matchAll(literal)].map((m) => decode(m[1])).join(''));
  for (const call of source.matchAll(/(?:config_parse\(&cfg, |accepts\()((?:"(?:[^"\\\n]|\\.)*"\s*)+)/g))
    texts.add([...call[1].matchAll(literal)].map((m) => decode(m[1])).join(''));
  return [...texts];
}

// config_fixtures.h's sentinel: unlike the defaults in every field.
const SENTINEL = {
  filters: [7, 9], latent_grid: 5, activation: 'tanh', loss: 'mse', variational: true, beta: 0.25, init: 'glorot',
  optimizer: 'sgd', learning_rate: 0.25, schedule: 'onecycle', warmup: 0.125, weight_decay: 0.01, batch_size: 3,
  epochs: 77, seed: 99, input: { h: 12, w: 16, c: 2 },
};

// Each field at and beyond its edges (batch_size 1 keeps a large input cheap to build).
function edgeSweep() {
  const out = [];
  for (const leaf of leaves(schema)) {
    const values = leaf.type === 'bool' ? [true, false]
      : leaf.type === 'choice' ? [...leaf.choices, 'none_of_these', leaf.choices[0].toUpperCase()]
      : [leaf.min, leaf.max, leaf.min - 1, leaf.max + 1, leaf.min + 0.5, (leaf.min + leaf.max) / 2, leaf.min + 1e-9,
         ...(leaf.multipleOf ? [leaf.min + 1, leaf.max - leaf.multipleOf] : [])];
    for (const value of values) {
      const config = leaf.name === 'batch_size' ? {} : { batch_size: 1 };
      const [top, second] = leaf.path;
      if (leaf.item !== null) config[top] = Object.assign([...leaf.field.default], { [leaf.item]: value });
      else if (leaf.path.length === 2) config[top] = { [second]: value };
      else config[top] = value;
      out.push(JSON.stringify(config));
    }
  }
  return out;
}

const FIXTURES = [...cFixtures(), JSON.stringify(SENTINEL), ...edgeSweep()];

// {parsed, engine} for a fixture a parsed value can stand for, else null: the text's syntax and
// its duplicate keys are the engine's alone to refuse.
function comparable(text) {
  const engine = engineVerdict(text);
  if (/duplicate key|text must be at most/.test(engine)) return null;
  try {
    return { parsed: JSON.parse(text), engine };
  } catch {
    return null;
  }
}

// A parsed fixture the form and the link can express: an object whose every value has its leaf's
// JSON type (a link is text, a form has typed widgets) and whose lists have their full length.
function typedLeaves(config, shown) {
  if (!config || typeof config !== 'object' || Array.isArray(config)) return null;
  const names = new Set(leaves(schema).map((l) => l.path[0]));
  if (Object.keys(config).some((k) => !names.has(k))) return null;
  const out = [];
  for (const leaf of leaves(schema)) {
    const value = getPath(config, leaf.path);
    if (value === undefined) continue;
    if (leaf.item !== null && (!Array.isArray(config[leaf.path[0]]) || config[leaf.path[0]].length !== leaf.field.max_items)) return null;
    const type = leaf.type === 'bool' ? 'boolean' : leaf.type === 'choice' ? 'string' : 'number';
    if (typeof value !== type) return null;
    const page = shown.find((f) => f.name === leaf.name);
    if (!page) return null;
    out.push([page, value]);
  }
  if (Object.values(config).some((v) => v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0)) return null;
  return out;
}

test('the form\'s checks accept and refuse what config_parse does, over every fixture the form can express', () => {
  const shown = pageFields(schema);
  let compared = 0, refused = 0;
  for (const text of FIXTURES) {
    const fixture = comparable(text);
    const typed = fixture && typedLeaves(fixture.parsed, shown);
    if (!typed || typed.length === 0) continue;
    const { engine } = fixture;
    // Every other field keeps the default the form starts from.
    const messages = shown.map((field) => {
      const hit = typed.find(([f]) => f === field);
      const value = hit ? hit[1] : getPath(defaults(schema), field.path);
      return checkInput(field, (field.type === 'int' || field.type === 'number') && value !== undefined ? String(value) : value);
    }).filter(Boolean);
    assert.equal(messages.length > 0, Boolean(engine), `${text}\n  engine: ${engine || 'accepted'}\n  form:   ${messages.join('; ') || 'accepted'}`);
    compared++;
    if (engine) refused++;
  }
  assert.ok(compared > 80 && refused > 30, `compared ${compared}, refused ${refused}`);
  console.log(`form: ${compared} fixtures compared, ${refused} of them refused by both`);
});

test('the share-link table accepts and refuses what config_parse does, over every fixture a link can express', () => {
  const linked = pageFields(schema).filter((f) => f.key);
  let compared = 0, refused = 0;
  for (const text of FIXTURES) {
    const fixture = comparable(text);
    const typed = fixture && typedLeaves(fixture.parsed, linked);
    if (!typed || typed.length === 0) continue;
    const { engine } = fixture;
    const hash = '#' + typed.map(([f, v]) => `${f.key}=${encodeURIComponent(f.type === 'bool' ? (v ? '1' : '0') : String(v))}`).join('&');
    const { errors } = parseHash(hash);
    assert.equal(errors.length > 0, Boolean(engine), `${text} as ${hash}\n  engine: ${engine || 'accepted'}\n  link:   ${errors.join('; ') || 'accepted'}`);
    compared++;
    if (engine) refused++;
  }
  assert.ok(compared > 80 && refused > 30, `compared ${compared}, refused ${refused}`);
  console.log(`share link: ${compared} fixtures compared, ${refused} of them refused by both`);
});

test('the defaults the page builds are the engine\'s own config for "{}"', () => {
  const model = new core.Model('{}');
  try {
    assert.deepEqual(defaults(schema), model.config);
  } finally {
    model.destroy();
  }
});
