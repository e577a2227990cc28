// worker-shim.mjs — runs dist/worker.js inside a Node worker thread as if it were a Web Worker:
// self, postMessage and onmessage over parentPort, and fetch() of file: URLs from disk.
import { createReadStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

globalThis.self = globalThis;
globalThis.postMessage = (message, transfer) => parentPort.postMessage(message, transfer);
// As in a browser, messages sent before the worker script has run wait for it.
const early = [];
parentPort.on('message', (data) => (globalThis.onmessage ? globalThis.onmessage({ data }) : early.push(data)));

const networkFetch = globalThis.fetch;
globalThis.fetch = async (url, init) => {
  const u = new URL(url);
  if (u.protocol !== 'file:') return networkFetch(url, init);
  const path = fileURLToPath(u);
  let size;
  try {
    size = statSync(path).size;
  } catch {
    return new Response(null, { status: 404 });
  }
  return new Response(Readable.toWeb(createReadStream(path)), { headers: { 'content-length': String(size) } });
};

await import(workerData.workerUrl);
for (const data of early.splice(0)) globalThis.onmessage?.({ data });
