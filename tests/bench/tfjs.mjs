// tfjs.mjs — the TensorFlow.js rows of bench.mjs: serves tfjs.html, tfjs-page.js, the tfjs bundles
// from node_modules and the MNIST gzip from a temporary site, and drives a page per backend. No speed checks.
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { serve } from '../../build/serve.mjs';

const root = (path) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const TF_DIST = root('node_modules/@tensorflow/tfjs/dist/');
const WASM_DIST = root('node_modules/@tensorflow/tfjs-backend-wasm/dist/');
const MNIST = 'mnist/train-images-idx3-ubyte.gz';
// What the site holds: its path -> the file it links to.
const FILES = {
  'tfjs.html': root('tests/bench/tfjs.html'),
  'tfjs-page.js': root('tests/bench/tfjs-page.js'),
  'tfjs/tf.min.js': join(TF_DIST, 'tf.min.js'),
  'tfjs/tf-backend-wasm.min.js': join(WASM_DIST, 'tf-backend-wasm.min.js'),
  'tfjs/tfjs-backend-wasm.wasm': join(WASM_DIST, 'tfjs-backend-wasm.wasm'),
  'tfjs/tfjs-backend-wasm-simd.wasm': join(WASM_DIST, 'tfjs-backend-wasm-simd.wasm'),
  'tfjs/tfjs-backend-wasm-threaded-simd.wasm': join(WASM_DIST, 'tfjs-backend-wasm-threaded-simd.wasm'),
  [MNIST]: root('datasets/cache/mnist/train-images-idx3-ubyte.gz'),
};

// Why the TF.js rows cannot run, or null.
export function tfjsMissing() {
  const missing = Object.values(FILES).filter((file) => !existsSync(file));
  return missing.length ? `missing ${missing.join(', ')} (npm ci; node datasets/fetch.mjs)` : null;
}

// Starts the site. Returns {open(browser, backend, config), close()}; open() resolves to a page set up
// with the model on that backend — the default one, or the engine's filled-in config's built from tf
// ops (tfjs-page.js) — : {info: {version, backend, params}, train(count), errors, close()}.
export async function tfjsSite() {
  const dir = mkdtempSync(join(tmpdir(), 'aevp-tfjs-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeDir);
  for (const [path, target] of Object.entries(FILES)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    symlinkSync(target, join(dir, path));
  }
  const server = await serve(dir, { port: 0 });
  const url = `http://127.0.0.1:${server.address().port}/`;

  async function open(browser, backend, config = null) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = [];
    page.on('console', (msg) => { if (msg.type() === 'error') errors.push(msg.text()); });
    page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
    const close = () => context.close();
    try {
      await page.goto(url + 'tfjs.html');
      const info = await page.evaluate((args) => window.tfjsBench.setUp(args),
                                       { backend, mnistUrl: url + MNIST, wasmPaths: url + 'tfjs/', config });
      // A failed training step comes back as {error}, not as a rejection, so that its message is TF's own.
      const train = (count) => page.evaluate((n) => window.tfjsBench.train(n).catch((e) => ({ error: e.message })), count);
      return { info, train, errors, close };
    } catch (error) {
      await close();
      throw error;
    }
  }

  async function close() {
    const stopped = new Promise((resolve) => server.close(resolve));
    server.closeAllConnections();
    await stopped;
    removeDir();
  }
  return { open, close };
}
