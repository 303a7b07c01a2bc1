// The one module that owns IndexedDB: it opens the database, upgrades its schema step by
// step, and offers small promise helpers over transactions. Nothing else calls
// indexedDB.open. It stores what it is given: encryption happens before (vault.js), so
// a transaction never waits on WebCrypto (an IndexedDB transaction commits as soon as
// it has no pending request, so awaiting anything else inside one would end it early).
//
// Stores (docs/offline-app.md, "IndexedDB"):
//   kv          key -> value: install, vault, policy, counters; secrets only as sealed blobs
//   changes     op_id -> {op_id, record_id, origin_id, origin_seq, blob}
//   records     record_id -> {record_id, blob}           (materialised state, sealed)
//   outbox      auto key (FIFO) -> {op_id, problem}       (problem: sealed server reason)
//   checkpoints peer -> {peer, hub_seq}
//   snapshot    chunk number -> sealed [view, ...] (what the list and search need)
//   dirty       record_id -> true: records written since the snapshot was taken

export const DB_NAME = 'tawthiq';

// UPGRADES[v] takes the database from version v to v + 1. Append, never edit: a device
// that missed several releases runs every step in order.
export const UPGRADES = [
  // 0 -> 1: the first stores.
  (db) => {
    db.createObjectStore('kv');
    const changes = db.createObjectStore('changes', { keyPath: 'op_id' });
    changes.createIndex('record_id', 'record_id');
    db.createObjectStore('records', { keyPath: 'record_id' });
    db.createObjectStore('outbox', { autoIncrement: true });
  },
  // 1 -> 2: pull checkpoints per peer; the outbox found by op id; changes by origin.
  (db, tx) => {
    db.createObjectStore('checkpoints', { keyPath: 'peer' });
    tx.objectStore('outbox').createIndex('op_id', 'op_id', { unique: true });
    tx.objectStore('changes').createIndex('origin', ['origin_id', 'origin_seq']);
  },
  // 2 -> 3: a sealed snapshot of the record views in a few large chunks, and the ids of
  // records changed since it was taken, so unlocking reads tens of values, not 20,000.
  (db) => {
    db.createObjectStore('snapshot');
    db.createObjectStore('dirty');
  },
];
export const DB_VERSION = UPGRADES.length;
export const STORES = ['kv', 'changes', 'records', 'outbox', 'checkpoints', 'snapshot', 'dirty'];

export function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** Open (and upgrade) the database. `version` is for tests of the upgrade path. */
export function openDb({ name = DB_NAME, version = DB_VERSION, onVersionChange } = {}) {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name, version);
    req.onupgradeneeded = (event) => {
      const db = req.result;
      const tx = req.transaction;
      for (let v = event.oldVersion; v < event.newVersion; v++) UPGRADES[v](db, tx);
    };
    req.onsuccess = () => {
      const db = req.result;
      // Another tab wants the database — a newer version upgrading it (newVersion set)
      // or a wipe deleting it (newVersion null): let go at once so it is not blocked.
      db.onversionchange = (event) => {
        db.close();
        if (onVersionChange) onVersionChange(event.newVersion ?? null);
      };
      resolve(db);
    };
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new Error('database upgrade blocked by another tab'));
  });
}

/** Run `fn(stores)` in one transaction and resolve when it has committed. */
export function transact(db, names, mode, fn) {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(names, mode, { durability: 'strict' });
    const stores = Object.fromEntries(names.map((n) => [n, tx.objectStore(n)]));
    let result;
    try {
      result = fn(stores, tx);
    } catch (exc) {
      tx.abort();
      reject(exc);
      return;
    }
    tx.oncomplete = async () => resolve(await result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error('transaction aborted'));
  });
}

/** Every key of an index ([origin_id, origin_seq] for 'origin'), with no values read. */
export function indexKeys(index) {
  return new Promise((resolve, reject) => {
    const keys = [];
    const req = index.openKeyCursor();
    req.onsuccess = () => {
      const cursor = req.result;
      if (!cursor) {
        resolve(keys);
        return;
      }
      keys.push(cursor.key);
      cursor.continue();
    };
    req.onerror = () => reject(req.error);
  });
}

export function deleteDb(name = DB_NAME) {
  return new Promise((resolve, reject) => {
    const req = indexedDB.deleteDatabase(name);
    req.onsuccess = () => resolve();
    req.onerror = () => reject(req.error);
    // Other tabs are told to close (onversionchange); the deletion completes after.
    req.onblocked = () => {};
  });
}
