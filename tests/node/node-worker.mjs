// node-worker.mjs — a Worker-like object ({postMessage, onmessage, onerror, terminate}) over a
// Node worker thread running the built dist/worker.js, for createEngine({worker}).
import { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

export const distDir = new URL('../../dist/', import.meta.url);

export function nodeWorker() {
  const thread = new Worker(new URL('./worker-shim.mjs', import.meta.url), {
    workerData: { workerUrl: new URL('worker.js', distDir).href },
  });
  const adapter = {
    onmessage: null,
    onerror: null,
    postMessage: (message, transfer) => thread.postMessage(message, transfer),
    terminate: () => thread.terminate(),
  };
  thread.on('message', (data) => adapter.onmessage?.({ data }));
  thread.on('error', (error) => adapter.onerror?.({ message: error.message }));
  return adapter;
}

export { join, pathToFileURL };
