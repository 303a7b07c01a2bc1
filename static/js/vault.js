// The locked box: the database connection plus the data key while unlocked.
//
// It seals and unseals values for the other modules, keeps the plain settings (kv), and
// counts wrong passphrases (the count is written *before* the slow key derivation, so
// closing the tab mid-attempt still counts). It never holds the passphrase.

import { createVault, openVault, seal, unseal, WrongPassphrase } from './crypto.js';
import { deleteDb, openDb, request, transact } from './db.js';

export const DEFAULT_POLICY = {
  // Wrong passphrases in a row before the device wipes itself (0 = never). A hub may set
  // another value in its handshake answer (`wipe_after_failed_unlocks`).
  wipe_after_failed_unlocks: 10,
  lock_idle_ms: 5 * 60_000, // no touch or key for this long: lock
  lock_hidden_ms: 60_000, // app in the background this long: lock
};

export class Locked extends Error {
  constructor() {
    super('the device is locked');
    this.name = 'Locked';
  }
}

export class Vault {
  constructor(db) {
    this.db = db;
    this.key = null;
  }

  static async open(options) {
    return new Vault(await openDb(options));
  }

  get unlocked() {
    return this.key !== null;
  }

  requireKey() {
    if (!this.key) throw new Locked();
    return this.key;
  }

  // -- plain settings ------------------------------------------------------------------

  async get(key) {
    return transact(this.db, ['kv'], 'readonly', (s) => request(s.kv.get(key)));
  }

  async put(key, value) {
    return transact(this.db, ['kv'], 'readwrite', (s) => { s.kv.put(value, key); });
  }

  /**
   * Read-modify-write one setting in a single transaction, so two writers (a sync
   * handshake storing the hub's policy while the lock times change, or two unlock
   * attempts counting) cannot both read the old value and lose one update.
   */
  async update(key, change) {
    return transact(this.db, ['kv'], 'readwrite', (s, tx) => new Promise((resolve, reject) => {
      const read = s.kv.get(key);
      read.onsuccess = () => {
        try {
          const value = change(read.result);
          s.kv.put(value, key);
          resolve(value);
        } catch (exc) {
          reject(exc);
          tx.abort(); // nothing half-written
        }
      };
      read.onerror = () => reject(read.error);
    }));
  }

  async policy() {
    return { ...DEFAULT_POLICY, ...((await this.get('policy')) || {}) };
  }

  async setPolicy(changes) {
    await this.update('policy', (policy) => ({ ...(policy || {}), ...changes }));
  }

  async isSetUp() {
    return Boolean(await this.get('vault'));
  }

  // -- keys ----------------------------------------------------------------------------

  /** First use: make the data key under a new passphrase. */
  async create(passphrase) {
    if (await this.isSetUp()) throw new Error('this device already has a passphrase');
    const { vault, key } = await createVault(passphrase);
    await transact(this.db, ['kv'], 'readwrite', (s) => {
      s.kv.put(vault, 'vault');
      s.kv.put(0, 'unlock_failures');
    });
    this.key = key;
  }

  /**
   * Unlock with the passphrase. Returns {ok: true} or {ok: false, failures, wipe} where
   * `wipe` says the policy's limit was reached (the caller wipes the device).
   */
  async unlock(passphrase) {
    const vault = await this.get('vault');
    if (!vault) throw new Error('this device has no passphrase yet');
    const failures = await this.update('unlock_failures', (n) => (n || 0) + 1);
    try {
      this.key = await openVault(vault, passphrase);
    } catch (exc) {
      if (!(exc instanceof WrongPassphrase)) throw exc;
      const limit = (await this.policy()).wipe_after_failed_unlocks;
      return { ok: false, failures, wipe: limit > 0 && failures >= limit };
    }
    await this.put('unlock_failures', 0);
    return { ok: true };
  }

  lock() {
    this.key = null;
  }

  // -- sealed values -------------------------------------------------------------------

  seal(value, aad, options) {
    return seal(this.requireKey(), value, aad, options);
  }

  unseal(blob, aad) {
    return unseal(this.requireKey(), blob, aad);
  }

  async getSealed(key) {
    const blob = await this.get(key);
    return blob ? this.unseal(blob, `kv:${key}`) : null;
  }

  async putSealed(key, value) {
    await this.put(key, await this.seal(value, `kv:${key}`));
  }

  close() {
    this.key = null;
    this.db.close();
  }

  /** Delete the whole database (the caller clears caches and the service worker). */
  async destroy() {
    this.close();
    await deleteDb();
  }
}
