// autosave.js — keeps the page's work in IndexedDB: one record holding the model file, the
// config, the loss history, the runs and the view. A failed write never touches the old record.
const DB_NAME = 'aevp';
const STORE = 'autosave';
const KEY = 'current';
export const AUTOSAVE_VERSION = 1;

function open() {
  return new Promise((resolve, reject) => {
    if (!globalThis.indexedDB) { reject(new Error('this browser has no IndexedDB')); return; }
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function run(mode, fn) {
  return open().then((db) => new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const request = fn(tx.objectStore(STORE));
    tx.oncomplete = () => { db.close(); resolve(request?.result); };
    tx.onabort = tx.onerror = () => { db.close(); reject(tx.error ?? request?.error); };
  }));
}

// Resolves when the record is stored; rejects with a message people can act on. IndexedDB
// transactions are atomic, so on any failure the previous save is still there.
export async function save(record) {
  try {
    await run('readwrite', (store) => store.put({ ...record, version: AUTOSAVE_VERSION, savedAt: Date.now() }, KEY));
  } catch (e) {
    const full = e?.name === 'QuotaExceededError';
    throw new Error(full
      ? 'Autosave failed: this browser’s storage for the site is full. Your previous save is kept; free some space (or export the model) to save again.'
      : `Autosave failed: ${e?.message ?? e}. Your previous save is kept.`);
  }
}

// The saved record, or null (none, another version, or storage unavailable).
export async function load() {
  try {
    const record = await run('readonly', (store) => store.get(KEY));
    return record?.version === AUTOSAVE_VERSION ? record : null;
  } catch {
    return null;
  }
}

export async function clear() {
  await run('readwrite', (store) => store.delete(KEY));
}
