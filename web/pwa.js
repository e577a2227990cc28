// pwa.js — makes the page work offline: registers sw.js, says when the app shell is cached, and
// asks for a data set to be kept. No UI: the page decides what to show.

const supported = typeof navigator === 'object' && 'serviceWorker' in navigator && location.protocol !== 'file:';

// 'unsupported' (no service workers here, or a file:// page), 'installing', 'ready' (the shell is
// cached: the page loads offline) or 'failed' (it will be tried again on the next visit).
export let offlineStatus = supported ? 'installing' : 'unsupported';

const readyCallbacks = [];

// Calls callback once the app shell is cached (at once if it already is).
export function onOfflineReady(callback) {
  if (offlineStatus === 'ready') queueMicrotask(callback);
  else readyCallbacks.push(callback);
}

// Resolves once reg has an active worker (its install, and so the shell's precache, succeeded).
function whenActive(reg) {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (reg.active) return resolve(reg);
      const worker = reg.installing ?? reg.waiting;
      if (!worker) return reject(new Error('the service worker failed to install'));
      worker.addEventListener('statechange', check, { once: true });
    };
    check();
  });
}

async function register() {
  try {
    const reg = await whenActive(await navigator.serviceWorker.register(new URL('sw.js', import.meta.url)));
    offlineStatus = 'ready';
    for (const callback of readyCallbacks.splice(0)) callback();
    return reg;
  } catch (e) {
    offlineStatus = 'failed';
    console.warn(`AeVP will not work offline: ${e.message}`);
    return null;
  }
}

const registration = supported ? register() : Promise.resolve(null);

// Keeps data set `name` for offline use. A page that the service worker controls has its data
// cached as it is downloaded; this fetches what was downloaded before (on the first visit) and
// is cheap otherwise. Resolves to {name, files, fetched, bytes}, or null without a service worker.
export async function cacheDataset(name) {
  const reg = await registration;
  if (!reg?.active) return null;
  const channel = new MessageChannel();
  const reply = new Promise((resolve, reject) => {
    channel.port1.onmessage = ({ data }) => (data.ok ? resolve(data.result) : reject(new Error(data.error)));
  });
  reg.active.postMessage({ type: 'cache-dataset', name }, [channel.port2]);
  return reply;
}
