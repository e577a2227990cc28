// datasets.js — the worker's data set: the gzip download with byte progress, the size and SHA-256
// checks against the manifest, and the images kept in the WASM heap as uint8. Knows no model.
import { EngineError } from '../errors.js';
import { progress } from './messages.js';

const here = (path) => new URL(`../${path}`, import.meta.url); // beside worker.js, one folder up

let manifestPromise = null;
// {name, displayName, shape, classes, train: {ptr, dataPtr, count, labels}, test: {...}, perm}:
// perm is a heap uint32 buffer for the training set's permutation, one per data set.
let dataset = null;

function manifest() {
  manifestPromise ??= fetch(here('data/manifest.json')).then((r) => {
    if (!r.ok) throw new EngineError('load', `could not load data/manifest.json (HTTP ${r.status})`);
    return r.json();
  });
  return manifestPromise;
}

async function sha256Hex(bytes) {
  if (!globalThis.crypto?.subtle) return null; // not a secure context: sizes and headers still checked
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

// Fetches one gzip'd IDX file with byte progress, decompresses it, checks it and copies it into
// the WASM heap. Returns {ptr, length, bytes, rank, dims}; the caller frees ptr.
async function fetchIdx(core, setName, key, spec, onBytes) {
  const url = here(`data/${setName}/${spec.name}`);
  let response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new EngineError('load', `could not download ${spec.name} (${e.message}): ${globalThis.navigator?.onLine === false
      ? 'you are offline, and this data set was not downloaded on an earlier visit' : 'check the connection and try again'}`);
  }
  if (!response.ok || !response.body)
    throw new EngineError('load', `could not download ${spec.name} (HTTP ${response.status}); is the data set part of this build?`);
  const total = Number(response.headers.get('content-length')) || 0;
  let loaded = 0;
  const counter = new TransformStream({
    transform(chunk, controller) {
      loaded += chunk.byteLength;
      onBytes(key, loaded, total);
      controller.enqueue(chunk);
    },
  });
  const chunks = [];
  let length = 0;
  try {
    const reader = response.body.pipeThrough(counter).pipeThrough(new DecompressionStream('gzip')).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      length += value.byteLength;
      if (length > spec.idx_size)
        throw new EngineError('data', `${spec.name} is larger than the ${spec.idx_size} bytes the manifest lists`);
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof EngineError) throw e;
    throw new EngineError('data', `${spec.name} is not a valid gzip file (${e.message})`);
  }
  if (length !== spec.idx_size)
    throw new EngineError('data', `${spec.name}: expected ${spec.idx_size} bytes after decompression, got ${length}`);
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  const hash = await sha256Hex(bytes);
  if (hash && hash !== spec.idx_sha256)
    throw new EngineError('data', `${spec.name}: SHA-256 ${hash} does not match the manifest's ${spec.idx_sha256}`);
  const ptr = core.malloc(length);
  core.heap().set(bytes, ptr);
  try {
    return { ptr, length, bytes, ...core.idxInfo(ptr, length) };
  } catch (e) {
    core.free(ptr);
    throw e;
  }
}

function freeDataset(core) {
  if (!dataset) return;
  core.free(dataset.train.ptr);
  core.free(dataset.test.ptr);
  core.free(dataset.perm);
  dataset = null;
}

// What the page learns of a data set: sizes, shape, class names and the test labels.
export function describeDataset(d) {
  return { name: d.name, displayName: d.displayName, train: d.train.count, test: d.test.count,
           shape: d.shape, classes: d.classes, testLabels: d.test.labels.slice() };
}

export function requireDataset() {
  if (!dataset) throw new EngineError('state', 'no data set: call loadDataset first');
  return dataset;
}

// Loads run one after another, and the last one asked for wins: a load that a newer one has
// superseded (a person clicking MNIST, then Fashion-MNIST at once) stops before it installs and
// rejects with code 'superseded', so the data set in the engine is always the last one chosen.
let loads = Promise.resolve();
let asked = 0;

export function loadDataset(core, name, requireIdle) {
  const ticket = ++asked;
  const superseded = () => {
    if (ticket !== asked) throw new EngineError('superseded', `${name} was not loaded: another data set was chosen since`);
  };
  const run = loads.then(() => install(core, name, requireIdle, superseded));
  loads = run.catch(() => {});
  return run;
}

// Downloads, checks and installs the named data set in place of the current one. requireIdle()
// and superseded() are asked before and after the download: a run started meanwhile keeps its data set.
async function install(core, name, requireIdle, superseded) {
  superseded();
  requireIdle();
  if (dataset?.name === name) return describeDataset(dataset);
  const all = (await manifest()).datasets;
  const spec = all[name];
  if (!spec) throw new EngineError('arg', `unknown data set "${name}": choose one of ${Object.keys(all).join(', ')}`);
  const files = spec.files;
  const sizes = {};
  const onBytes = (key, loaded, total) => {
    sizes[key] = { loaded, total };
    const sum = Object.values(sizes).reduce((a, s) => ({ loaded: a.loaded + s.loaded, total: a.total + s.total }), { loaded: 0, total: 0 });
    progress({ kind: 'download', dataset: name, file: files[key].name, ...sum });
  };
  const got = {};
  try {
    for (const key of ['train_images', 'train_labels', 'test_images', 'test_labels']) {
      superseded();
      got[key] = await fetchIdx(core, name, key, files[key], onBytes);
    }
    const [h, w] = spec.shape;
    for (const split of ['train', 'test']) {
      const images = got[`${split}_images`], labels = got[`${split}_labels`];
      if (images.rank !== 3 || images.dims[1] !== h || images.dims[2] !== w)
        throw new EngineError('data', `${split} images are ${images.dims.join('x')}, expected Nx${h}x${w}`);
      if (labels.rank !== 1 || labels.dims[0] !== images.dims[0])
        throw new EngineError('data', `${split} labels: ${labels.dims[0]} for ${images.dims[0]} images`);
    }
    superseded();
    requireIdle();
  } catch (e) {
    for (const f of Object.values(got)) core.free(f.ptr);
    throw e;
  }
  freeDataset(core);
  // An IDX file's data follows its 4-byte magic and one 4-byte size per dimension.
  const header = (idx) => 4 + 4 * idx.rank;
  const split = (images, labels) => {
    // Labels are small and read by JS: they leave the heap; images stay there as uint8.
    const labelCopy = labels.bytes.slice(header(labels));
    core.free(labels.ptr);
    return { ptr: images.ptr, dataPtr: images.ptr + header(images), count: images.dims[0], labels: labelCopy };
  };
  const train = split(got.train_images, got.train_labels), test = split(got.test_images, got.test_labels);
  dataset = { name, displayName: spec.display_name, shape: spec.shape, classes: spec.classes, train, test, perm: 0 };
  dataset.perm = core.malloc(train.count * 4);
  return describeDataset(dataset);
}

// A model reads the data set's images only if its input has their shape.
export function checkInputShape(m, d) {
  const [h, w, c] = d.shape;
  const { input } = m.config;
  if (input.h !== h || input.w !== w || input.c !== c)
    throw new EngineError('config', `config: input is ${input.h}x${input.w}x${input.c} but ${d.name} images are ${h}x${w}x${c}`);
}

// Pixels per image of the data set's shape [h, w, c].
const imageSize = (d) => d.shape[0] * d.shape[1] * d.shape[2];

// The test images offset..offset+count-1 as floats in [0, 1].
export function testImages(core, d, { count = 1, offset = 0 }) {
  if (!Number.isInteger(count) || !Number.isInteger(offset) || count < 1 || offset < 0 || offset + count > d.test.count)
    throw new EngineError('arg', `testImages: count and offset must select within the ${d.test.count} test images (got count ${count}, offset ${offset})`);
  const size = imageSize(d);
  const bytes = core.heap().subarray(d.test.dataPtr + offset * size, d.test.dataPtr + (offset + count) * size);
  const images = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) images[i] = bytes[i] / 255;
  return { images, labels: d.test.labels.slice(offset, offset + count), shape: d.shape };
}

// The first `count` test images as floats, `chunk` at a time: fn(images, offset, n).
export function forTestImages(core, d, count, chunk, fn) {
  for (let start = 0; start < count; start += chunk) {
    const n = Math.min(chunk, count - start);
    fn(testImages(core, d, { count: n, offset: start }).images, start, n);
  }
}
