// link-fields.test.mjs — the share-link keys added with the engine's schema (init, sch, wu, wd) and
// the rule for links made before init existed. The older keys are state.test.mjs's part.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { loadCore } from '../../web/core.js';
import { DEFAULT_STATE, OLD_LINK_INIT, installSchema, linkConfig, parseHash, serializeHash } from '../../web/state.js';

const core = await loadCore(readFileSync(new URL('../../out/wasm/aevp.wasm', import.meta.url)));
const schema = core.schema();
installSchema(schema);
const defaultOf = (name) => schema.fields.find((f) => f.name === name).default;

test('a link written from a full config always carries init, even at its default', () => {
  const state = structuredClone(DEFAULT_STATE);
  Object.assign(state.config, { init: defaultOf('init'), schedule: 'cosine', warmup: 0.1, weight_decay: 0.01 });
  const hash = serializeHash(state);
  assert.equal(hash, `#init=${defaultOf('init')}&sch=cosine&wu=0.1&wd=0.01`);
  const { state: back, errors } = parseHash(hash);
  assert.deepEqual(errors, []);
  assert.deepEqual(back, state);
});

test('a non-empty link without init means init he; an empty one the defaults; one with init its own', () => {
  assert.equal(OLD_LINK_INIT, 'he');
  assert.equal(linkConfig(parseHash('#g=2').state.config).init, 'he');
  assert.equal(linkConfig(parseHash('#g=2').state.config).latent_grid, 2);
  assert.equal(linkConfig(parseHash('#init=pytorch&g=2').state.config).init, 'pytorch');
  assert.equal(linkConfig(parseHash('#init=glorot').state.config).init, 'glorot');
  const empty = linkConfig(parseHash('').state.config, { emptyLink: true });
  assert.equal(empty.init, defaultOf('init'));
  // Every other field a link leaves out is the engine's default.
  const model = new core.Model('{}');
  try {
    assert.deepEqual(empty, model.config);
    assert.deepEqual({ ...linkConfig(parseHash('#g=2').state.config), init: undefined, latent_grid: undefined },
                     { ...model.config, init: undefined, latent_grid: undefined });
  } finally {
    model.destroy();
  }
});

test('the new keys refuse what the engine refuses, in the link\'s words', () => {
  const cases = [
    ['#init=kaiming', 'init must be one of pytorch, he, glorot (got "kaiming")'],
    ['#sch=step', 'sch must be one of constant, cosine, onecycle (got "step")'],
    ['#wu=0.75', 'wu must be 0..0.5 (got 0.75)'],
    ['#wd=-1', 'wd must be 0..1 (got -1)'],
    ['#wd=abc', 'wd must be a number 0..1 (got "abc")'],
  ];
  for (const [hash, expected] of cases) {
    const { state, errors } = parseHash(hash);
    assert.equal(errors.length, 1, `${hash}: ${JSON.stringify(errors)}`);
    assert.ok(errors[0].includes(expected), `${hash}: ${errors[0]}`);
    assert.deepEqual(state, structuredClone(DEFAULT_STATE), 'nothing applied');
  }
});
