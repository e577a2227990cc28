// engine-start.js — how many workers the engine gets, and starting it with a fallback to one.
// No DOM: the storage, the core count and createEngine are handed in.

export const WORKERS_KEY = 'aevp.workers';

// Two workers where the machine has the cores for them, unless the person chose otherwise.
export function workerCount(storage, cores) {
  const chosen = Number(storage.getItem(WORKERS_KEY));
  if (chosen === 1 || chosen === 2) return chosen;
  return (cores ?? 1) >= 2 ? 2 : 1;
}

// An engine of `workers` workers; a browser that cannot run two still runs one.
export async function openEngine(createEngine, workers) {
  try {
    return await createEngine({ workers });
  } catch (e) {
    if (workers === 1) throw e;
    return createEngine({ workers: 1 });
  }
}
