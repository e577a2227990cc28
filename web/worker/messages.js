// messages.js — the worker's side of the channel to the page: replies, pushed progress events,
// and the yield that lets queued requests run between two slices of work. Knows no engine.

export const PROGRESS_INTERVAL_MS = 100; // the least time between two progress events of a kind
export const SLICE_MS = 25;              // the longest stretch of work between two looks at the inbox

export function post(message, transfer = []) {
  self.postMessage(message, transfer);
}

export function progress(event) {
  post({ type: 'progress', ...event });
}

// Lets queued messages (pause, stop, trace, ...) run before the next slice of work. Browsers
// deliver a worker's inbox and a MessageChannel in order, so a channel message is a cheap yield
// (setTimeout is clamped to 4 ms there); Node drains one port before another, so it gets a timer.
const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';
const channel = new MessageChannel();
const waiting = [];
channel.port1.onmessage = () => waiting.shift()?.();

export function yieldToInbox() {
  if (isNode) return new Promise((resolve) => setTimeout(resolve, 0));
  return new Promise((resolve) => {
    waiting.push(resolve);
    channel.port2.postMessage(0);
  });
}
