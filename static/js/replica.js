// The browser replica: the device's change log, records, outbox, checkpoints and clock,
// all sealed at rest. It mirrors sync/client.py (Replica): it writes changes, applies
// changes it receives (any order, any repeats), never deletes its own log, and drops an
// outbox entry only when the hub answered accepted or duplicate.
//
// Every mutation runs under one lock (Web Locks across tabs), re-reads what it touches
// from IndexedDB, computes and seals everything first, and then writes it all in ONE
// transaction: a pulled page and its checkpoint, a local change with its record, outbox
// entry and clock. It never stores HTTP requests, only changes.

import { ChangeError, blankForPurge, newChange } from './sync/changes.js';
import { HaveVector } from './sync/have.js';
import { recv, tick } from './sync/hlc.js';
import { applyChange, linkMerges } from './sync/materialise.js';
import { indexKeys, request, transact } from './db.js';
import { haystack } from './search.js';

const LOCK = 'tawthiq-replica';
const WRITE_STORES = ['kv', 'changes', 'records', 'outbox', 'checkpoints', 'dirty'];
const SNAPSHOT_CHUNK = 1000; // views per sealed chunk
const SNAPSHOT_AFTER = 200; // dirty records before a new snapshot is worth taking
const aadChange = (opId) => `changes:${opId}`;
const aadRecord = (rid) => `records:${rid}`;
const aadProblem = (opId) => `outbox:${opId}`;

/**
 * What the app keeps of a record in memory while unlocked: the public view (values,
 * conflicts, flags), its heads, and its search key. The full state (op graph, live
 * candidates) stays sealed in `records` and is read when a change is applied.
 */
export function toView(state) {
  return {
    record_id: state.record_id,
    kind: state.kind,
    values: state.values,
    conflicts: state.conflicts,
    deleted: state.deleted,
    delete_conflict: state.delete_conflict,
    needs_review: state.needs_review,
    merged_into: state.merged_into,
    merged_from: state.merged_from,
    purged: state.purged,
    heads: state.heads,
    updated_at: state.updated_at,
    search: haystack(state),
  };
}

/** [origin_id, origin_seq, op_id] of every stored change (plaintext index, no unsealing). */
function originEntries(index) {
  return new Promise((resolve, reject) => {
    const out = [];
    const req = index.openKeyCursor();
    req.onsuccess = () => {
      const cursor = req.result;
      if (!cursor) {
        resolve(out);
        return;
      }
      out.push([cursor.key[0], cursor.key[1], cursor.primaryKey]);
      cursor.continue();
    };
    req.onerror = () => reject(req.error);
  });
}

let chain = Promise.resolve();
function exclusive(fn) {
  if (globalThis.navigator?.locks) return navigator.locks.request(LOCK, fn);
  const run = chain.then(fn, fn);
  chain = run.catch(() => {});
  return run;
}

export class BrowserReplica {
  constructor(vault, { originId, author }) {
    this.vault = vault;
    this.originId = originId;
    this.author = author;
    this.states = new Map();
    this.have = new HaveVector();
    this.clock = { next_seq: 1, hlc: null };
    this.outboxSize = 0;
    this.dirtyCount = 0;
    this.refused = 0; // outbox entries the hub refused (parked, id_collision)
    this.originCounts = new Map(); // origin -> changes held (for the repair digest)
    this.listeners = new Set();
    this.now = () => Date.now();
  }

  /**
   * The unlock step: record views into memory from the sealed snapshot plus the records
   * written since (or from every record row when there is no snapshot yet), and the
   * have-vector from the plaintext origin index.
   */
  static async load(vault, identity) {
    const r = new BrowserReplica(vault, identity);
    const got = await transact(vault.db, ['snapshot', 'changes', 'outbox', 'dirty', 'kv'],
      'readonly', (s) => ({
        chunks: request(s.snapshot.getAll()),
        meta: request(s.kv.get('snapshot')),
        dirty: request(s.dirty.getAllKeys()),
        have: request(s.kv.get('have')),
        outboxSize: request(s.outbox.count()),
      }));
    const [chunks, meta, dirty, haveBlob, outboxSize] = await Promise.all([got.chunks, got.meta,
      got.dirty, got.have, got.outboxSize]);
    if (meta && chunks.length === meta.chunks) {
      const parts = await Promise.all(chunks.map((blob, i) => vault.unseal(blob,
        `snapshot:${meta.generation}:${i}`)));
      for (const part of parts) for (const view of part) r.states.set(view.record_id, view);
      const fresh = await r.readStates(dirty);
      for (const [rid, st] of fresh) {
        if (st) r.states.set(rid, toView(st));
        else r.states.delete(rid);
      }
      r.dirtyCount = dirty.length;
    } else {
      const rows = await transact(vault.db, ['records'], 'readonly', (s) => request(s.records.getAll()));
      const states = await Promise.all(rows.map((row) => vault.unseal(row.blob, aadRecord(row.record_id))));
      for (const st of states) r.states.set(st.record_id, toView(st));
      r.dirtyCount = states.length ? Infinity : 0;
    }
    if (haveBlob) {
      const saved = await vault.unseal(haveBlob, 'kv:have');
      r.have = HaveVector.fromJSON(saved.have);
      r.originCounts = new Map(Object.entries(saved.counts));
    } else {
      // No saved vector (older database): rebuild it from the plaintext origin index.
      const origins = await transact(vault.db, ['changes'], 'readonly',
        (s) => indexKeys(s.changes.index('origin')));
      for (const key of origins) r.countChange(key[0], key[1]);
    }
    r.clock = (await vault.getSealed('clock')) || r.clock;
    r.outboxSize = outboxSize;
    r.refused = outboxSize ? (await transact(vault.db, ['outbox'], 'readonly',
      (s) => request(s.outbox.getAll()))).filter((e) => e.problem).length : 0;
    return r;
  }

  /** Whether enough has changed since the snapshot to take a new one (a tenth of the
   * records, at least 200: a big pull does not rewrite the snapshot after every page). */
  get snapshotDue() {
    return this.dirtyCount >= Math.max(SNAPSHOT_AFTER, this.states.size / 10);
  }

  /** Seal every view into a new snapshot and clear the dirty list, in one transaction. */
  writeSnapshot() {
    return exclusive(async () => {
      const v = this.vault;
      // Another tab may have written since this one read: refresh what is dirty first.
      const dirty = await transact(v.db, ['dirty'], 'readonly', (s) => request(s.dirty.getAllKeys()));
      for (const [rid, st] of await this.readStates(dirty)) {
        if (st) this.states.set(rid, toView(st));
        else this.states.delete(rid);
      }
      const views = [...this.states.values()];
      const generation = crypto.randomUUID();
      const blobs = [];
      for (let i = 0; i * SNAPSHOT_CHUNK < views.length || i === 0; i++) {
        blobs.push(await v.seal(views.slice(i * SNAPSHOT_CHUNK, (i + 1) * SNAPSHOT_CHUNK),
          `snapshot:${generation}:${i}`, { compress: true }));
      }
      await transact(v.db, ['snapshot', 'dirty', 'kv'], 'readwrite', (s) => {
        s.snapshot.clear();
        blobs.forEach((blob, i) => s.snapshot.put(blob, i));
        s.kv.put({ generation, chunks: blobs.length, records: views.length }, 'snapshot');
        s.dirty.clear();
      });
      this.dirtyCount = 0;
    });
  }

  onChange(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  emit(ids) {
    for (const fn of this.listeners) fn(ids);
  }

  // -- reading -------------------------------------------------------------------------

  record(recordId) {
    return this.states.get(recordId) || null;
  }

  /** Every change held for one record, decrypted (any order): the device's own history. */
  async changesOf(recordId) {
    const rows = await transact(this.vault.db, ['changes'], 'readonly',
      (s) => request(s.changes.index('record_id').getAll(recordId)));
    return Promise.all(rows.map((row) => this.vault.unseal(row.blob, aadChange(row.op_id))));
  }

  /** Every record view held, merge links filled in. */
  records() {
    return linkMerges(Object.fromEntries(this.states));
  }

  haveVector() {
    return this.have.vector();
  }

  countChange(originId, seq) {
    this.have.add(originId, seq);
    this.originCounts.set(originId, (this.originCounts.get(originId) || 0) + 1);
  }

  /** The repair digest of docs/sync.md: sha256 of the sorted `origin:count` lines. */
  async digest() {
    const { sha256HexOfBytes } = await import('./sync/canonical.js');
    const lines = [...this.originCounts].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([o, c]) => `${o}:${c}`).join('\n');
    return sha256HexOfBytes(lines);
  }

  // -- writing -------------------------------------------------------------------------

  /** Write one change (deps default to the record's heads) and apply it. */
  async write(recordId, kind, action, patch, deps = null) {
    return (await this.writeMany([{ recordId, kind, action, patch, deps }]))[0];
  }

  /** Write several changes in one transaction (a form save, or seeding a benchmark). */
  writeMany(specs) {
    return exclusive(async () => {
      const clock = (await this.vault.getSealed('clock')) || { next_seq: 1, hlc: null };
      const states = await this.readStates(specs.map((s) => s.recordId));
      const made = [];
      for (const s of specs) {
        const now = this.now();
        clock.hlc = tick(clock.hlc, now, this.originId);
        const state = states.get(s.recordId) || null;
        const change = await newChange({
          opId: crypto.randomUUID(),
          recordId: s.recordId,
          kind: s.kind,
          originId: this.originId,
          originSeq: clock.next_seq,
          action: s.action,
          patch: s.patch,
          hlc: clock.hlc,
          deviceTime: now,
          author: this.author,
          deps: s.deps ?? (state ? state.heads : []),
        });
        clock.next_seq += 1;
        states.set(s.recordId, applyChange(state, change));
        made.push(change);
      }
      await this.ingest(made, { local: true, clock, states });
      return made;
    });
  }

  /** A resolve: `choices` {field: value}; deps = every candidate of those fields seen. */
  async resolve(recordId, choices) {
    const state = this.record(recordId);
    const picked = new Set();
    for (const f of Object.keys(choices)) for (const c of state.conflicts[f] || []) picked.add(c.op_id);
    if (state.delete_conflict || !picked.size) for (const h of state.heads) picked.add(h);
    return this.write(recordId, state.kind, 'resolve', choices, [...picked]);
  }

  // -- receiving -----------------------------------------------------------------------

  /**
   * Store and apply validated changes from the hub, in any order, repeats included; with
   * `checkpoint` ({peer, hubSeq}) and `forget` (record ids), all in one transaction.
   * Throws ChangeError on an id collision: the page is then refused whole, not skipped.
   */
  receive(changes, { checkpoint = null, forget = [] } = {}) {
    return exclusive(async () => {
      const clock = (await this.vault.getSealed('clock')) || { next_seq: 1, hlc: null };
      await this.ingest(changes, { local: false, clock, checkpoint, forget });
    });
  }

  async ingest(changes, { local, clock, states: given = null, checkpoint = null, forget = [] }) {
    const v = this.vault;
    const ids = [...new Set(changes.map((c) => c.record_id))];
    const purging = new Set(changes.filter((c) => c.action === 'purge').map((c) => c.record_id));
    const pre = await transact(v.db, ['changes', 'outbox'], 'readonly', (s) => ({
      held: Promise.all(changes.map((c) => request(s.changes.get(c.op_id)))),
      ofPurged: Promise.all([...purging].map((rid) => request(s.changes.index('record_id').getAll(rid)))),
      ofForgotten: Promise.all(forget.map((rid) => request(s.changes.index('record_id').getAllKeys(rid)))),
      outboxOps: forget.length ? indexKeys(s.outbox.index('op_id')) : [],
      origins: forget.length ? originEntries(s.changes.index('origin')) : [],
    })).then(async (p) => ({ held: await p.held, ofPurged: (await p.ofPurged).flat(),
      ofForgotten: (await p.ofForgotten).flat(), outboxOps: new Set(await p.outboxOps),
      origins: await p.origins }));
    const held = new Map();
    for (const row of pre.held) if (row) held.set(row.op_id, row);
    for (const row of pre.ofPurged) held.set(row.op_id, row);
    // Local writes were applied by writeMany already; received ones are applied here.
    const states = given || await this.readStates(ids);
    // Purges held before this batch (local writes come with states already applied).
    const batchOps = new Set(local ? changes.map((c) => c.op_id) : []);
    const purgeOf = new Map();
    for (const [rid, st] of states) {
      if (!st) continue;
      const purges = Object.entries(st.ops).filter(([op, i]) => i.action === 'purge'
        && !batchOps.has(op)).map(([op]) => op).sort();
      if (purges.length) purgeOf.set(rid, purges[0]);
    }
    const toStore = new Map(); // op_id -> change to (re)write
    const stored = (op) => toStore.get(op) || held.get(op);
    const touched = new Set();
    for (let c of changes) {
      const rid = c.record_id;
      const h = stored(c.op_id);
      if (h && !local) {
        if (h.content_hash !== c.content_hash) {
          throw new ChangeError('op_id', `id_collision: ${c.op_id}`);
        }
        if (c.purged_by == null || h.purged || h.purged_by != null) continue;
        toStore.set(c.op_id, c);
      } else {
        const purge = purgeOf.get(rid);
        if (purge && c.purged_by == null && c.action !== 'purge') c = blankForPurge(c, purge);
        toStore.set(c.op_id, c);
        if (!local) clock.hlc = recv(clock.hlc, c.hlc, this.now(), this.originId);
      }
      if (c.action === 'purge' && !purgeOf.has(rid)) {
        // Blank this replica's copies too: erasure reaches every log it lands in.
        purgeOf.set(rid, c.op_id);
        for (const [op, row] of [...held, ...toStore]) {
          const ch = toStore.get(op) || (row.blob ? await v.unseal(row.blob, aadChange(op)) : row);
          if (ch.record_id === rid && ch.purged_by == null && ch.action !== 'purge') {
            toStore.set(op, blankForPurge(ch, c.op_id));
          }
        }
      }
      if (!local) states.set(rid, applyChange(states.get(rid) || null, c));
      touched.add(rid);
    }
    for (const rid of forget) {
      states.delete(rid);
      touched.delete(rid);
    }
    // What `forget` drops: the records' changes held or arriving now, except unsent ones.
    const forgotten = new Set(forget);
    const forgottenOps = new Set([...pre.ofForgotten,
      ...[...toStore.values()].filter((c) => forgotten.has(c.record_id)).map((c) => c.op_id)]
      .filter((op) => !pre.outboxOps.has(op)));
    for (const op of forgottenOps) toStore.delete(op);
    const changeRows = await Promise.all([...toStore.values()].map(async (c) => ({
      op_id: c.op_id, record_id: c.record_id, origin_id: c.origin_id, origin_seq: c.origin_seq,
      content_hash: c.content_hash, purged: c.purged_by != null,
      blob: await v.seal(c, aadChange(c.op_id)),
    })));
    const recordRows = await Promise.all([...touched].map(async (rid) => ({
      record_id: rid, blob: await v.seal(states.get(rid), aadRecord(rid)) })));
    const clockBlob = await v.seal(clock, 'kv:clock');
    // Start from the stored vector (another tab may have added to it), else from memory.
    const saved = forgottenOps.size ? null : await v.getSealed('have');
    let have = saved ? HaveVector.fromJSON(saved.have) : this.have.clone();
    let counts = saved ? new Map(Object.entries(saved.counts)) : new Map(this.originCounts);
    const stillHeld = new Set(); // stored before this batch, counted in the recount
    if (forgottenOps.size) {
      // Recount over what stays (as sync/client.py does): the have-vector claims only
      // changes held, so the repair path sends the forgotten ones again if access returns.
      have = new HaveVector();
      counts = new Map();
      for (const [origin, seq, op] of pre.origins) {
        stillHeld.add(op);
        if (forgottenOps.has(op)) continue;
        have.add(origin, seq);
        counts.set(origin, (counts.get(origin) || 0) + 1);
      }
    }
    for (const row of changeRows) {
      if (held.has(row.op_id) || stillHeld.has(row.op_id)) continue;
      have.add(row.origin_id, row.origin_seq);
      counts.set(row.origin_id, (counts.get(row.origin_id) || 0) + 1);
    }
    const haveBlob = changeRows.length || forgottenOps.size
      ? await v.seal({ have: have.toJSON(), counts: Object.fromEntries(counts) }, 'kv:have') : null;
    let added = 0;
    await transact(v.db, WRITE_STORES, 'readwrite', (s) => {
      for (const row of changeRows) s.changes.put(row);
      for (const row of recordRows) s.records.put(row);
      if (local) {
        for (const c of changes) {
          s.outbox.add({ op_id: c.op_id, problem: null });
          added += 1;
        }
      }
      for (const rid of forget) s.records.delete(rid);
      for (const rid of [...touched, ...forget]) s.dirty.put(true, rid);
      for (const op of forgottenOps) s.changes.delete(op);
      if (checkpoint) s.checkpoints.put({ peer: checkpoint.peer, hub_seq: checkpoint.hubSeq });
      s.kv.put(clockBlob, 'clock');
      if (haveBlob) s.kv.put(haveBlob, 'have');
    });
    // Committed: now memory follows.
    this.have = have;
    this.originCounts = counts;
    for (const rid of touched) this.states.set(rid, toView(states.get(rid)));
    for (const rid of forget) this.states.delete(rid);
    this.dirtyCount += touched.size + forget.length;
    this.clock = clock;
    this.outboxSize += added;
    if (touched.size || forget.length) this.emit([...touched, ...forget]);
  }

  async readStates(ids) {
    const unique = [...new Set(ids)];
    const rows = await transact(this.vault.db, ['records'], 'readonly',
      (s) => Promise.all(unique.map((rid) => request(s.records.get(rid)))));
    const out = new Map();
    await Promise.all(unique.map(async (rid, i) => {
      const row = (await rows)[i];
      out.set(rid, row ? await this.vault.unseal(row.blob, aadRecord(rid)) : null);
    }));
    return out;
  }

  /** Drop records this device may no longer hold (its unsent changes stay queued). */
  forget(recordIds) {
    return this.receive([], { forget: recordIds });
  }

  // -- the outbox ----------------------------------------------------------------------

  /** Outbox entries in FIFO order: [{key, change, problem}], up to `limit`. */
  async pending(limit = Infinity) {
    const v = this.vault;
    const { keys, entries } = await transact(v.db, ['outbox'], 'readonly', (s) => ({
      keys: request(s.outbox.getAllKeys(null, limit === Infinity ? undefined : limit)),
      entries: request(s.outbox.getAll(null, limit === Infinity ? undefined : limit)),
    })).then(async (p) => ({ keys: await p.keys, entries: await p.entries }));
    const rows = await transact(v.db, ['changes'], 'readonly',
      (s) => Promise.all(entries.map((e) => request(s.changes.get(e.op_id)))));
    const resolved = await rows;
    return Promise.all(entries.map(async (e, i) => ({
      key: keys[i],
      change: await v.unseal(resolved[i].blob, aadChange(e.op_id)),
      problem: e.problem ? await v.unseal(e.problem, aadProblem(e.op_id)) : null,
    })));
  }

  /** Apply a push answer: accepted/duplicate leave the outbox; others keep the reason. */
  markResults(entries, results) {
    return exclusive(async () => {
      const byOp = new Map(entries.map((e) => [e.change.op_id, e]));
      const done = [];
      const problems = [];
      for (const r of results) {
        const e = byOp.get(r.op_id);
        if (!e) continue;
        if (r.status === 'accepted' || r.status === 'duplicate') {
          // A batch delivered twice answers twice for the same op: count it once.
          if (done.includes(e.key)) continue;
          done.push(e.key);
          if (e.problem) this.refused -= 1;
        } else {
          if (done.includes(e.key) || problems.some((p) => p.key === e.key)) continue;
          if (!e.problem) this.refused += 1;
          problems.push({ key: e.key, op_id: r.op_id, problem: await this.vault.seal(
            { status: r.status, reason: r.reason || '', at: Date.now() }, aadProblem(r.op_id)) });
        }
      }
      await transact(this.vault.db, ['outbox'], 'readwrite', (s) => {
        for (const key of done) s.outbox.delete(key);
        for (const p of problems) s.outbox.put({ op_id: p.op_id, problem: p.problem }, p.key);
      });
      this.outboxSize = Math.max(0, this.outboxSize - done.length);
      this.emit([]);
      return { sent: done.length, problems: problems.length };
    });
  }

  /** The refused entries only (cheap: the others are not decrypted). */
  async problems() {
    const v = this.vault;
    const all = await transact(v.db, ['outbox'], 'readonly', (s) => request(s.outbox.getAll()));
    const entries = all.filter((e) => e.problem);
    const rows = await transact(v.db, ['changes'], 'readonly',
      (s) => Promise.all(entries.map((e) => request(s.changes.get(e.op_id)))));
    return Promise.all(entries.map(async (e, i) => {
      const change = await v.unseal(rows[i].blob, aadChange(e.op_id));
      return { op_id: e.op_id, record_id: change.record_id,
        ...(await v.unseal(e.problem, aadProblem(e.op_id))) };
    }));
  }

  async outboxCount() {
    return transact(this.vault.db, ['outbox'], 'readonly', (s) => request(s.outbox.count()));
  }

  async checkpoint(peer) {
    const row = await transact(this.vault.db, ['checkpoints'], 'readonly',
      (s) => request(s.checkpoints.get(peer)));
    return row ? row.hub_seq : 0;
  }

  async setCheckpoint(peer, hubSeq) {
    await transact(this.vault.db, ['checkpoints'], 'readwrite',
      (s) => { s.checkpoints.put({ peer, hub_seq: hubSeq }); });
  }

  /** Bump the local clock after the hub's clock (it only ever moves forward). */
  async seeClock(remoteHlc) {
    return exclusive(async () => {
      const clock = (await this.vault.getSealed('clock')) || { next_seq: 1, hlc: null };
      clock.hlc = recv(clock.hlc, remoteHlc, this.now(), this.originId);
      await this.vault.putSealed('clock', clock);
      this.clock = clock;
    });
  }
}
