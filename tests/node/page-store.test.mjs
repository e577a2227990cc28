// page-store.test.mjs — web/page/store.js in Node: declared keys only, one notification per listener
// per update, the promise that waits for the listeners. Not the controllers that use it.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { PAGE_STATE, createStore, store } from '../../web/page/store.js';

test('update sets declared keys and refuses undeclared ones; the state cannot be written directly', () => {
  const s = createStore({ a: 1, b: 2 });
  s.update({ a: 5 });
  assert.equal(s.state.a, 5);
  assert.equal(s.state.b, 2);
  assert.throws(() => s.update({ c: 1 }), /"c" is not a declared key/);
  assert.throws(() => { s.state.a = 3; }, /use update/);
  assert.throws(() => s.on('nope', () => {}), /"nope" is not a declared key/);
  assert.equal(s.state.a, 5);
});

test('a listener of several keys changed in one update is called once, with the new and old value', async () => {
  const s = createStore({ a: 1, b: 2, c: 3 });
  const calls = [];
  s.on(['a', 'b'], (value, before, key) => calls.push([key, value, before]));
  s.on('c', (value) => calls.push(['c', value]));
  await s.update({ a: 10, b: 20 });
  assert.deepEqual(calls, [['a', 10, 1]]);
  await s.update({ a: 10 });
  assert.equal(calls.length, 1, 'an unchanged value notifies nobody');
  await s.update({ c: 4, b: 21 });
  assert.deepEqual(calls.slice(1), [['b', 21, 20], ['c', 4]], 'in the order the listeners were added');
});

test('the values are all set before any listener runs', () => {
  const s = createStore({ code: null, moved: false });
  let seen = null;
  s.on('code', () => { seen = s.state.moved; });
  s.update({ code: [1], moved: true });
  assert.equal(seen, true);
});

test('update resolves once the listeners\' promises have settled, and rejects with the first failure', async () => {
  const s = createStore({ model: null });
  const done = [];
  s.on('model', async () => { await new Promise((r) => setTimeout(r, 5)); done.push('slow'); });
  s.on('model', () => { done.push('sync'); });
  await s.update({ model: 1 });
  assert.deepEqual(done, ['sync', 'slow']);
  s.on('model', () => { throw new Error('listener failed'); });
  await assert.rejects(s.update({ model: 2 }), /listener failed/);
  assert.equal(done.length, 4, 'the other listeners still ran');
});

test('on returns the function that stops listening; a nested update notifies its own listeners', async () => {
  const s = createStore({ a: 0, b: 0 });
  const seen = [];
  const stop = s.on('a', (v) => { seen.push(`a${v}`); return s.update({ b: v * 10 }); });
  s.on('b', (v) => seen.push(`b${v}`));
  await s.update({ a: 1 });
  stop();
  await s.update({ a: 2 });
  assert.deepEqual(seen, ['a1', 'b10']);
});

test('the page store declares its keys once, with their starting values', () => {
  assert.equal(store.state.engine, null);
  assert.equal(store.state.restoring, true);
  assert.deepEqual(Object.keys(store.state), Object.keys(PAGE_STATE));
});
