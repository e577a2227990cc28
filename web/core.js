// core.js — instantiates aevp.wasm and wraps its flat C API once: strings, structs and status
// codes in, typed arrays and EngineErrors out. Used only inside the worker; knows no protocol.

import { EngineError } from './errors.js';
import { defineModel } from './core/model.js';
import { defineProjections } from './core/projections.js';

export { EngineError };

// Status codes of core/aevp.h, by name, for messages and for the JS side's own errors.
export const STATUS = ['ok', 'config', 'data', 'nomem', 'arg', 'diverged'];

export async function loadCore(wasmBytes) {
  let memory = null;
  const { instance } = await WebAssembly.instantiate(wasmBytes, {
    env: { emscripten_notify_memory_growth() {} },
  });
  const c = instance.exports;
  memory = c.memory;
  c._initialize();

  const u8 = () => new Uint8Array(memory.buffer);
  const u32 = () => new Uint32Array(memory.buffer);
  const i32 = () => new Int32Array(memory.buffer);
  const f32 = () => new Float32Array(memory.buffer);
  const f64 = () => new Float64Array(memory.buffer);
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();

  function string(ptr) {
    if (!ptr) return '';
    const heap = u8();
    let end = ptr;
    while (heap[end]) end++;
    return decoder.decode(heap.subarray(ptr, end));
  }

  function malloc(bytes) {
    const ptr = c.malloc(Math.max(bytes, 1));
    if (!ptr) throw new EngineError('nomem', `out of memory: could not allocate ${bytes} bytes in the WASM heap`);
    return ptr;
  }

  // Runs fn with temporary heap buffers of the given byte sizes, freed afterwards.
  function withBuffers(sizes, fn) {
    const ptrs = [];
    try {
      for (const size of sizes) ptrs.push(malloc(size));
      return fn(...ptrs);
    } finally {
      for (const p of ptrs) c.free(p);
    }
  }

  function check(rc) {
    if (rc !== 0) throw new EngineError(STATUS[rc] ?? `status ${rc}`, string(c.ae_last_error()));
  }

  function cString(text) {
    const bytes = encoder.encode(text);
    const ptr = malloc(bytes.length + 1);
    u8().set(bytes, ptr);
    u8()[ptr + bytes.length] = 0;
    return ptr;
  }

  // Copies a typed array into a fresh heap buffer; never keeps a view across a call that may grow.
  function copyIn(array) {
    const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
    const ptr = malloc(bytes.length);
    u8().set(bytes, ptr);
    return ptr;
  }

  // What the wrappers in core/ build on: the exports, heap views and the copy/check helpers.
  const wasm = { c, u8, u32, i32, f32, f64, string, malloc, withBuffers, check, cString, copyIn };

  const Model = defineModel(wasm);
  const { pca, Tsne } = defineProjections(wasm);

  // The __metadata__ of a model file as an object (framing checked, tensors not).
  function fileMetadata(bytes) {
    const src = copyIn(bytes);
    try {
      return withBuffers([4], (out) => {
        check(c.ae_load_metadata(src, bytes.length, out));
        const ptr = u32()[out >> 2];
        const text = string(ptr);
        c.ae_free(ptr);
        return JSON.parse(text);
      });
    } finally {
      c.free(src);
    }
  }

  // Checks IDX bytes in the heap; returns {rank, dims}.
  function idxInfo(ptr, length) {
    return withBuffers([4, 12], (rank, dims) => {
      check(c.ae_idx_info(ptr, length, rank, dims));
      const r = i32()[rank >> 2];
      return { rank: r, dims: Array.from(u32().subarray(dims >> 2, (dims >> 2) + r)) };
    });
  }

  // Every config field with its type, range or choices, default, rule and help, from the engine's
  // one table (ae_config_schema): the page builds its form and share link from it.
  let schemaCache = null;
  function schema() {
    if (!schemaCache) {
      const ptr = c.ae_config_schema();
      if (!ptr) throw new EngineError('nomem', 'out of memory: the engine could not write its config schema');
      schemaCache = JSON.parse(string(ptr));
    }
    return schemaCache;
  }

  return {
    Model,
    Tsne,
    schema,
    pca,
    fileMetadata,
    idxInfo,
    malloc,
    free: (ptr) => c.free(ptr),
    heap: () => u8(),
    heapBytes: () => memory.buffer.byteLength,
    heapUsed: () => c.aew_heap_used(),
    trap: () => c.aew_trap(),
  };
}
