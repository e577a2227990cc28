// engine-start.js — how many workers the engine gets, which WASM build they run, and starting it
// with a fallback to one worker. No DOM: the storage, the core count, the address's query and
// createEngine are handed in.

export const WORKERS_KEY = 'aevp.workers';
export const SIMD_KEY = 'aevp.simd';

// At most this many workers train together (engine.js's cap).
export const MAX_WORKERS = 8;

// Two workers where the machine has the cores for them, unless the person chose otherwise
// (1..MAX_WORKERS).
export function workerCount(storage, cores) {
  const chosen = Number(storage.getItem(WORKERS_KEY));
  if (Number.isInteger(chosen) && chosen >= 1 && chosen <= MAX_WORKERS) return chosen;
  return (cores ?? 1) >= 2 ? 2 : 1;
}

// The worker counts to offer: one per core up to MAX_WORKERS (1 and 2 always), and `current`.
export function workerChoices(cores, current = 1) {
  const top = Math.max(2, Math.min(MAX_WORKERS, Math.floor(cores ?? 1)), Math.min(current, MAX_WORKERS));
  return Array.from({ length: top }, (_, i) => i + 1);
}

// 'auto' (the relaxed-SIMD build where the browser has it) unless the person chose 'plain' (the
// same bits on every machine); ?simd=plain or ?simd=auto in the address wins over the choice.
export function simdChoice(storage, search = '') {
  const asked = new URLSearchParams(search).get('simd') ?? storage.getItem(SIMD_KEY);
  return asked === 'plain' ? 'plain' : 'auto';
}

// An engine of `workers` workers; a browser that cannot run two still runs one.
export async function openEngine(createEngine, workers, simd = 'auto') {
  try {
    return await createEngine({ workers, simd });
  } catch (e) {
    if (workers === 1) throw e;
    return createEngine({ workers: 1, simd });
  }
}
