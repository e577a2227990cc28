// wasi-run.mjs — runs a C test or benchmark linked as a standalone WASI program (the relaxed-SIMD
// build: build/wasm.cmake) under Node: node wasi-run.mjs program.wasm args... The file system's
// root is its one preopened directory (tests/wasi_files.c opens files under it); exits with the
// program's status.
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';

const [program, ...args] = process.argv.slice(2);
if (!program) {
  console.error('usage: node wasi-run.mjs program.wasm [args...]');
  process.exit(2);
}
const wasi = new WASI({ version: 'preview1', args: [program, ...args], env: {}, preopens: { '/': '/' }, returnOnExit: true });
const module = await WebAssembly.compile(readFileSync(program));
const instance = await WebAssembly.instantiate(module, {
  wasi_snapshot_preview1: wasi.wasiImport,
  env: { emscripten_notify_memory_growth() {} },
});
process.exitCode = wasi.start(instance);
