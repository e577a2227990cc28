// schema.test.mjs — the engine's config schema through engine.js and the worker (dist/): asked
// once, answered with no model and no data set, and its defaults are the default model.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { distDir, nodeWorker } from './node-worker.mjs';

const { createEngine } = await import(new URL('engine.js', distDir));

const engine = await createEngine({ worker: nodeWorker() });
after(() => engine.dispose());

// A config of every field at its schema default, objects (input) field by field.
function defaults(fields) {
  return Object.fromEntries(fields.map((f) => [f.name, f.type === 'object' ? defaults(f.fields) : f.default]));
}

test('the schema comes before any model or data set, once, with every field described', async () => {
  const first = engine.schema();
  assert.equal(engine.schema(), first, 'the second ask is the same promise');
  const schema = await first;
  assert.ok(Array.isArray(schema.fields) && schema.fields.length >= 15, 'a list of fields');
  const names = schema.fields.map((f) => f.name);
  for (const name of ['filters', 'latent_grid', 'activation', 'loss', 'variational', 'beta', 'optimizer',
                      'learning_rate', 'batch_size', 'epochs', 'seed', 'input'])
    assert.ok(names.includes(name), `the schema describes ${name}`);
  for (const f of schema.fields) {
    assert.ok(['int', 'number', 'bool', 'choice', 'int_list', 'object'].includes(f.type), `${f.name}: type ${f.type}`);
    assert.equal(typeof f.help, 'string', `${f.name} has a help text`);
    if (f.type !== 'object') assert.equal(typeof f.rule, 'string', `${f.name} has a rule`);
    if (f.type === 'choice') assert.ok(f.choices.includes(f.default), `${f.name}: the default is a choice`);
  }
});

test("the schema's defaults, given to configure, are the default model, field for field and in order", async () => {
  const schema = await engine.schema();
  const fromSchema = defaults(schema.fields);
  const byDefault = await engine.configure({});
  const configured = await engine.configure(fromSchema);
  assert.equal(JSON.stringify(configured.config), JSON.stringify(byDefault.config),
               'configure(schema defaults) fills in nothing else, and the config is written in schema order');
  assert.equal(JSON.stringify(fromSchema), JSON.stringify(byDefault.config), 'the defaults are the default config');
  assert.equal(configured.params, byDefault.params);
  // A range the schema states is the one the engine refuses past.
  const grid = schema.fields.find((f) => f.name === 'latent_grid');
  await assert.rejects(engine.configure({ ...fromSchema, latent_grid: grid.max + 1 }),
                       (e) => e.code === 'config' && e.message.includes(`latent_grid must be ${grid.rule}`));
});
