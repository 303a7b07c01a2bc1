// The offline engine: one object the UI (and the tests) talk to. It knows the app's
// life cycle: new device -> logged in -> passphrase chosen -> unlocked <-> locked,
// signed out, wiped. Records are written as changes through the replica; the server is
// reached only through the session API (log in, register the device, fetch schemas)
// and the sync client (device token).

import { b64, importSigningKey, newSigningKey } from './crypto.js';
import { Gazetteer, refreshGazetteer } from './gazetteer.js';
import { BrowserReplica } from './replica.js';
import { SearchIndex } from './search.js';
import { requestPersistence } from './storage-health.js';
import { HttpTransport, SyncClient, SyncScheduler } from './sync-client.js';
import { diffPatch, restValues } from './sync/codec.js';
import { fieldClass } from './sync/fields.js';
import { Vault } from './vault.js';

const API = '/api/v1';
export const KINDS = ['incident', 'casualty', 'missing_person', 'supply_need'];
export const MIN_PASSPHRASE = 8;

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = body?.error?.code || 'http';
    this.fields = body?.error?.fields || {};
  }
}

export class Engine extends EventTarget {
  constructor() {
    super();
    this.vault = null;
    this.replica = null;
    this.index = new SearchIndex();
    this.identity = null;
    this.schemas = null;
    this.places = null; // the sealed gazetteer, in memory while unlocked (gazetteer.js)
    this.session = null; // {user, csrf_token}: only in memory
    this.lang = 'en'; // the UI's language ('ar' or 'en'): what the server's refusals are in
    this.scheduler = null;
    this.timers = { idle: null, hiddenAt: null, hidden: null };
    this.activity = () => this.touch();
    this.visibility = () => this.onVisibility();
    this.channel = globalThis.BroadcastChannel ? new BroadcastChannel('tawthiq') : null;
    if (this.channel) this.channel.onmessage = (e) => this.onBroadcast(e.data);
  }

  // -- life cycle ------------------------------------------------------------------------

  async boot() {
    this.vault = await Vault.open({ onVersionChange: (v) => this.onDatabaseGone(v) });
    return this.phase();
  }

  /** "new" (no passphrase yet), "locked", "signed_out" or "unlocked". */
  async phase() {
    if (this.replica) return 'unlocked';
    if (!this.vault || !(await this.vault.isSetUp())) return 'new';
    return (await this.vault.get('signed_out')) ? 'signed_out' : 'locked';
  }

  emit(type, detail = {}) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  // -- the server session (only for log in, device registration and schemas) ------------

  async api(method, path, body, { csrf = true } = {}) {
    // The server words its refusals in the app's language (the UI sets `lang`), not in
    // whatever the browser itself prefers.
    const headers = { Accept: 'application/json', 'Accept-Language': this.lang === 'ar' ? 'ar' : 'en' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = this.session?.csrf_token || 'login';
    const response = await fetch(API + path, { method, headers, credentials: 'same-origin',
      cache: 'no-store', body: body === undefined ? undefined : JSON.stringify(body) });
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  async login(username, password) {
    let data;
    try {
      data = await this.api('POST', '/session', { username, password });
    } catch (exc) {
      // An old session cookie is still live (logged out while offline): log in again
      // with that session's CSRF token.
      if (exc.code !== 'csrf' || !(await this.resumeSession())) throw exc;
      data = await this.api('POST', '/session', { username, password });
    }
    this.session = { user: data.user, csrf_token: data.csrf_token };
    return data.user;
  }

  async changePassword(current, next) {
    await this.api('POST', '/session/password', { current_password: current, new_password: next });
    // The password change ended this session; a new login gives a fresh one.
    return this.login(this.session.user.username, next);
  }

  async resumeSession() {
    try {
      const data = await this.api('GET', '/session');
      this.session = { user: data.user, csrf_token: data.csrf_token };
    } catch {
      this.session = null;
    }
    return this.session;
  }

  // -- first use -------------------------------------------------------------------------

  /** Choose the device passphrase after logging in: keys, identity, device token. */
  async setup(passphrase) {
    if (!this.session) throw new Error('log in first');
    if (passphrase.length < MIN_PASSPHRASE) throw new Error('passphrase too short');
    const user = this.session.user;
    // After a wipe the database is gone until the device is set up again.
    if (!this.vault) this.vault = await Vault.open({ onVersionChange: (v) => this.onDatabaseGone(v) });
    await this.vault.create(passphrase);
    const signing = await newSigningKey();
    this.identity = {
      origin_id: `web-${crypto.randomUUID()}`,
      user: { id: user.id, username: user.username, display_name: user.display_name,
        memberships: user.memberships || [] },
      public_jwk: signing.publicJwk,
      signing_pkcs8: b64.encode(signing.pkcs8),
      device: null,
    };
    await this.vault.putSealed('identity', this.identity);
    await this.vault.put('signed_out', false);
    // Without the hub's device endpoint (or the network) setup still completes: the
    // device registers at the next unlock with a session, and syncs from then on.
    await this.registerDevice().catch((exc) => { this.registerError = exc; });
    await this.refreshSchemas();
    await this.start();
  }

  async registerDevice() {
    if (this.identity.device || !this.session) return;
    const platform = navigator.userAgentData?.platform || navigator.platform || 'browser';
    const answer = await this.api('POST', '/devices', { name: `Tawthiq web (${platform})`,
      origin_id: this.identity.origin_id, public_key: JSON.stringify(this.identity.public_jwk) });
    this.identity.device = { id: answer.device?.id ?? null, token: answer.token };
    await this.vault.putSealed('identity', this.identity);
  }

  async refreshSchemas() {
    if (!this.session) return;
    try {
      const schemas = await this.api('GET', '/schemas');
      if (!this.vault?.unlocked) return; // locked meanwhile: nothing is kept in memory
      this.schemas = schemas;
      await this.vault.putSealed('schemas', schemas);
    } catch {
      // Offline or the session expired: the cached copy serves.
    }
  }

  /** Fetch what changed in the gazetteer and seal it (online with a session only). */
  async refreshPlaces() {
    if (!this.session || !this.vault?.unlocked) return;
    try {
      const places = await refreshGazetteer((m, path) => this.api(m, path), this.vault);
      if (this.replica) {
        this.places = places;
        this.emit('places');
      }
    } catch {
      // Offline or the session expired: the cached copy serves.
    }
  }

  // -- unlock and lock -------------------------------------------------------------------

  /** Returns {ok} or {ok: false, failures, wiped}. */
  async unlock(passphrase) {
    const result = await this.vault.unlock(passphrase);
    if (!result.ok) {
      if (result.wipe) {
        await this.wipe({ confirm: true });
        return { ok: false, failures: result.failures, wiped: true };
      }
      return result;
    }
    this.identity = await this.vault.getSealed('identity');
    if (this.session && this.session.user.id !== this.identity.user.id) {
      this.vault.lock();
      this.identity = null;
      throw new Error('this device belongs to another user');
    }
    this.schemas = await this.vault.getSealed('schemas');
    await this.vault.put('signed_out', false);
    await this.start();
    return { ok: true };
  }

  async start() {
    this.signingKey = await importSigningKey(b64.decode(this.identity.signing_pkcs8));
    this.replica = await BrowserReplica.load(this.vault, { originId: this.identity.origin_id,
      author: this.identity.user.id });
    this.index.rebuild(this.replica.states.values());
    this.places = new Gazetteer(await this.vault.getSealed('gazetteer'));
    this.replica.onChange((ids) => this.onRecordsChanged(ids));
    // The last successful sync is kept sealed, so the strip can say it after a reload.
    this.syncMeta = (await this.vault.getSealed('sync')) || {};
    this.conflictCount = null;
    this.snapshotSoon();
    this.armLockTimers();
    this.emit('unlocked');
    // Ask the browser not to evict this site's data under disk pressure (unsynced
    // reports live here); Chromium answers without a prompt.
    requestPersistence().catch(() => {});
    if (navigator.onLine) {
      // Online with a session: register if setup could not, and refresh the schemas.
      if (!this.session) await this.resumeSession();
      if (this.session) {
        await this.registerDevice().catch(() => {});
        // Without a cached copy, wait for the schemas; else refresh them in the background
        // (a newer server may describe its fields further, e.g. `x-fields` for the forms).
        if (!this.schemas) await this.refreshSchemas();
        else this.refreshSchemas();
        this.placesReady = this.refreshPlaces(); // in the background: unlock must not wait
      }
    }
    this.startSync();
  }

  startSync() {
    if (!this.identity.device?.token) {
      this.emit('status');
      return;
    }
    const transport = new HttpTransport(this.identity.device.token);
    const client = new SyncClient({ replica: this.replica, vault: this.vault, transport,
      onPolicy: (p) => this.vault.setPolicy(p) });
    this.scheduler = new SyncScheduler(client, { onStatus: (state) => {
      if (state.lastOkAt) this.syncMeta = { ...this.syncMeta, last_sync_at: state.lastOkAt };
      this.emit('status');
    } });
    this.scheduler.start();
  }

  /** Forget every key and plaintext in memory; the data stays sealed on disk. */
  lock(reason = 'manual') {
    clearTimeout(this.snapshotTimer);
    this.snapshotTimer = null;
    if (this.scheduler) this.scheduler.stop();
    this.scheduler = null;
    this.replica = null;
    this.identity = null;
    this.schemas = null;
    this.places = null;
    this.signingKey = null;
    this.syncMeta = null;
    this.index.clear();
    if (this.vault) this.vault.lock();
    this.disarmLockTimers();
    this.emit('locked', { reason });
  }

  /** Log out: end the server session, keep every pending change (locked). */
  async logout() {
    if (this.vault) await this.vault.put('signed_out', true);
    try {
      await this.api('DELETE', '/session');
    } catch {
      // Offline: the cookie stays until it expires; the device is locked regardless.
    }
    this.session = null;
    this.lock('logout');
  }

  // -- auto-lock -------------------------------------------------------------------------

  async armLockTimers() {
    this.policy = await this.vault.policy();
    for (const e of ['pointerdown', 'keydown', 'input', 'scroll', 'touchstart']) {
      addEventListener(e, this.activity, { passive: true, capture: true });
    }
    document.addEventListener('visibilitychange', this.visibility);
    this.touch();
  }

  disarmLockTimers() {
    clearTimeout(this.timers.idle);
    clearTimeout(this.timers.hidden);
    for (const e of ['pointerdown', 'keydown', 'input', 'scroll', 'touchstart']) {
      removeEventListener(e, this.activity, { capture: true });
    }
    document.removeEventListener('visibilitychange', this.visibility);
  }

  touch() {
    if (!this.replica || !this.policy) return;
    clearTimeout(this.timers.idle);
    this.timers.idle = setTimeout(() => this.lock('idle'), this.policy.lock_idle_ms);
  }

  onVisibility() {
    if (!this.replica) return;
    if (document.visibilityState === 'hidden') {
      this.timers.hiddenAt = Date.now();
      this.timers.hidden = setTimeout(() => this.lock('hidden'), this.policy.lock_hidden_ms);
    } else {
      clearTimeout(this.timers.hidden);
      // Timers are throttled in the background: measure how long it really was.
      if (this.timers.hiddenAt && Date.now() - this.timers.hiddenAt >= this.policy.lock_hidden_ms) {
        this.lock('hidden');
      } else this.touch();
    }
  }

  async setLockTimes({ idleMs, hiddenMs }) {
    await this.vault.setPolicy({ ...(idleMs ? { lock_idle_ms: idleMs } : {}),
      ...(hiddenMs ? { lock_hidden_ms: hiddenMs } : {}) });
    this.policy = await this.vault.policy();
    this.touch();
  }

  // -- wipe ------------------------------------------------------------------------------

  /** Changes not yet acknowledged by the hub (readable while locked: a count only). */
  async pendingCount() {
    if (this.replica) return this.replica.outboxSize;
    const { transact, request } = await import('./db.js');
    return transact(this.vault.db, ['outbox'], 'readonly', (s) => request(s.outbox.count()));
  }

  /**
   * Delete everything on this device: database, caches, keys, service worker.
   * Without `confirm` and with unsent changes it does nothing and says how many.
   */
  async wipe({ confirm = false } = {}) {
    const pending = this.vault ? await this.pendingCount() : 0;
    if (pending && !confirm) return { wiped: false, pending };
    this.lock('wipe');
    if (this.channel) this.channel.postMessage({ type: 'wiped' });
    if (this.vault) await this.vault.destroy();
    this.vault = null;
    if (globalThis.caches) {
      for (const name of await caches.keys()) await caches.delete(name);
    }
    if (navigator.serviceWorker) {
      for (const reg of await navigator.serviceWorker.getRegistrations()) await reg.unregister();
    }
    try {
      localStorage.clear();
      sessionStorage.clear();
    } catch {
      // storage may be unavailable; nothing of ours is kept there anyway
    }
    if (this.session) await this.api('DELETE', '/session').catch(() => {});
    this.session = null;
    this.emit('wiped');
    return { wiped: true, pending };
  }

  /**
   * Another tab took the database: a wipe deleted it (`newVersion` null), or a newer
   * version of the app is upgrading it. Either way this page lets go and locks; after an
   * upgrade its code is older than the data, so the page reloads (main.js) — the data,
   * outbox included, is untouched by the upgrade steps.
   */
  onDatabaseGone(newVersion = null) {
    if (newVersion) {
      const vault = this.vault;
      this.vault = null;
      vault?.lock();
      this.lock('upgrade');
      this.emit('upgraded', { version: newVersion });
      return;
    }
    this.lock('wipe');
    this.vault = null;
    this.emit('wiped');
  }

  onBroadcast(msg) {
    if (msg?.type === 'wiped' && this.vault) this.onDatabaseGone();
  }

  // -- records ---------------------------------------------------------------------------

  requireReplica() {
    if (!this.replica) throw new Error('locked');
    return this.replica;
  }

  onRecordsChanged(ids) {
    this.conflictCount = null;
    for (const rid of ids) this.index.update(rid, this.replica.record(rid));
    this.emit('records', { ids });
    this.snapshotSoon();
  }

  /** Take a new sealed snapshot of the views when enough changed, in a quiet moment. */
  snapshotSoon() {
    if (!this.replica?.snapshotDue || this.snapshotTimer) return;
    this.snapshotTimer = setTimeout(async () => {
      this.snapshotTimer = null;
      const r = this.replica;
      if (r?.snapshotDue) await r.writeSnapshot().catch(() => {});
    }, 2000);
  }

  teamIds() {
    return (this.identity?.user.memberships || []).map((m) => m.team_id);
  }

  roleIn(teamId) {
    return (this.identity?.user.memberships || []).find((m) => m.team_id === teamId)?.role;
  }

  defaultsFor(kind) {
    const props = this.schemas?.kinds?.[kind]?.properties || {};
    const out = {};
    for (const [name, p] of Object.entries(props)) {
      if (p.default !== undefined && !['id', 'kind', 'schema_version'].includes(name)) out[name] = p.default;
    }
    return out;
  }

  /** Create a record from REST-shaped values; returns its id. */
  async createRecord(kind, values, { id = crypto.randomUUID() } = {}) {
    const r = this.requireReplica();
    const teamId = values.team_id || this.teamIds()[0];
    const wanted = { ...this.defaultsFor(kind), ...dropEmpty(values), team_id: teamId };
    const patch = await diffPatch(kind, {}, wanted);
    await r.write(id, kind, 'create', patch);
    this.afterWrite();
    return id;
  }

  /** Change some fields (REST shape); fields with open conflicts are refused. */
  async updateRecord(id, values) {
    const r = this.requireReplica();
    const state = r.record(id);
    if (!state) throw new Error('no such record');
    const current = restValues(state.kind, state.values);
    const patch = await diffPatch(state.kind, current, values);
    const open = Object.keys(patch).filter((f) => state.conflicts[f]);
    if (open.length) {
      const err = new Error(`conflict open on ${open.join(', ')}`);
      err.code = 'conflict_open';
      err.fields = open;
      throw err;
    }
    if (!Object.keys(patch).length) return null;
    const change = await r.write(id, state.kind, 'patch', patch);
    this.afterWrite();
    return change;
  }

  async deleteRecord(id, reason = '') {
    const r = this.requireReplica();
    const state = r.record(id);
    await r.write(id, state.kind, 'delete', reason ? { reason } : {});
    this.afterWrite();
  }

  async resolveRecord(id, choices) {
    const change = await this.requireReplica().resolve(id, choices);
    this.afterWrite();
    return change;
  }

  afterWrite() {
    // Ask for a wake-up when the network returns, even if this page is closed by then
    // (the service worker pings any open, unlocked page; nothing is sent while locked).
    navigator.serviceWorker?.ready.then((reg) => reg.sync?.register('tawthiq-sync')).catch(() => {});
    if (this.scheduler && navigator.onLine) setTimeout(() => this.scheduler?.now('write'), 300);
  }

  /** The REST view of a record held on the device. */
  view(id) {
    const st = this.replica?.record(id);
    if (!st) return null;
    return { id, kind: st.kind, values: restValues(st.kind, st.values), conflicts: st.conflicts,
      deleted: st.deleted, delete_conflict: st.delete_conflict, needs_review: st.needs_review,
      purged: st.purged, updated_at: st.updated_at };
  }

  /**
   * A record's sync state for its list row or detail: {state: 'waiting' | 'sent' |
   * 'conflict' | 'rejected', reason?, waiting}. Read from memory (no decryption), so it
   * is cheap for every row. `rejected` wins (the user must act), then `conflict`, then
   * `waiting` (a change of it is in the outbox); `sent` otherwise.
   */
  recordSyncState(id) {
    if (!this.replica) return null;
    return this.replica.syncState(id);
  }

  list({ query = '', limit = 200 } = {}) {
    const r = this.replica;
    if (!r) return [];
    let ids;
    if (query.trim()) ids = this.index.search(query, limit);
    else {
      ids = [...r.states.values()].filter((s) => !s.deleted || s.delete_conflict)
        .sort((a, b) => (a.updated_at < b.updated_at ? 1 : -1)).slice(0, limit).map((s) => s.record_id);
    }
    return ids.map((id) => this.view(id));
  }

  /** Records with open conflicts (recounted only after records changed). */
  conflicts() {
    if (!this.replica) return 0;
    if (this.conflictCount === null) {
      let n = 0;
      for (const st of this.replica.states.values()) {
        if (st.delete_conflict || (st.conflicts && Object.keys(st.conflicts).length)) n += 1;
      }
      this.conflictCount = n;
    }
    return this.conflictCount;
  }

  async status() {
    const sched = this.scheduler?.state || {};
    return {
      phase: await this.phase(),
      pending: this.vault ? await this.pendingCount() : 0,
      refused: this.replica ? this.replica.refused : 0,
      conflicts: this.conflicts(),
      // Device time of the oldest change still waiting: its age warns of a stuck outbox.
      oldestWaitingAt: this.replica?.oldestQueuedAt ?? null,
      online: navigator.onLine,
      registered: Boolean(this.identity?.device?.token),
      syncing: Boolean(sched.syncing),
      progress: sched.progress || null,
      lastOkAt: sched.lastOkAt || this.syncMeta?.last_sync_at || null,
      lastError: sched.lastError || null,
      revoked: Boolean(sched.revoked),
    };
  }

  /** The changes the hub refused, with its reasons (decrypted on demand). */
  refusedChanges() {
    return this.replica ? this.replica.problems() : Promise.resolve([]);
  }

  /**
   * "Save unsynced changes to a file": every change in the outbox, signed by this device
   * and encrypted to the hub's key, as a bundle (docs/bundles.md) for a courier. The
   * changes stay queued: the hub's answer to a later sync (duplicate) removes them.
   * Returns {blob, filename, count, bundleId}; throws with `code` 'nothing_waiting',
   * 'not_registered' or 'no_hub_key'.
   */
  async saveUnsyncedBundle() {
    const r = this.requireReplica();
    const fail = (code) => Object.assign(new Error(code), { code });
    const entries = await r.pending();
    if (!entries.length) throw fail('nothing_waiting');
    if (!this.identity.device?.id) throw fail('not_registered');
    let hub = await this.vault.getSealed('hub');
    if (!hub && navigator.onLine && this.identity.device.token) {
      const client = new SyncClient({ replica: r, vault: this.vault,
        transport: new HttpTransport(this.identity.device.token) });
      await client.keepHubKey();
      hub = await this.vault.getSealed('hub');
    }
    if (!hub) throw fail('no_hub_key');
    const { buildBundle } = await import('./bundle.js');
    const now = new Date();
    const { bytes, manifest } = await buildBundle({ changes: entries.map((e) => e.change),
      device: { device_id: this.identity.device.id, origin_id: this.identity.origin_id },
      signingKey: this.signingKey, hub, now });
    const record = { at: now.getTime(), changes: entries.length, bundle_id: manifest.bundle_id,
      hub_id: hub.hub_id };
    await this.vault.putSealed('last_bundle', record);
    const stamp = now.toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
    return { blob: new Blob([bytes], { type: 'application/octet-stream' }),
      filename: `tawthiq-${stamp}-${entries.length}.bundle`, count: entries.length,
      bundleId: manifest.bundle_id };
  }

  /** The last bundle saved on this device {at, changes, bundle_id, hub_id}, or null. */
  lastBundle() {
    return this.vault?.unlocked ? this.vault.getSealed('last_bundle') : Promise.resolve(null);
  }

  /** The hub whose key bundles are encrypted to {hub_id, fingerprint}, or null. */
  async hubKey() {
    return this.vault?.unlocked ? this.vault.getSealed('hub') : null;
  }

  /** "Sync now": also re-sends changes the hub refused before (it may accept them now). */
  syncNow() {
    return this.scheduler ? this.scheduler.now('manual') : Promise.resolve();
  }

  fieldClass(kind, name) {
    return fieldClass(kind, name);
  }
}

function dropEmpty(values) {
  const out = {};
  for (const [k, v] of Object.entries(values)) {
    if (v === '' || v === undefined || (Array.isArray(v) && !v.length)) continue;
    out[k] = v;
  }
  return out;
}
