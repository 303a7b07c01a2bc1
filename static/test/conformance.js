// Runs the conformance vectors of tests/vectors/ in the page and returns what this
// client computes; the Python test compares it with the expected values. Test-only:
// never precached, never imported by the app.

import { canonicalJson, sha256Hex } from '../js/sync/canonical.js';
import { checkChange } from '../js/sync/changes.js';
import { applyChange, linkMerges, materialise, publicDict } from '../js/sync/materialise.js';
import { SyncClient, SyncError } from '../js/sync-client.js';
import { BrowserReplica } from '../js/replica.js';
import { Vault } from '../js/vault.js';
import { deleteDb, request, transact } from '../js/db.js';

const publicOf = (states) => Object.fromEntries(
  Object.entries(states).map(([rid, s]) => [rid, publicDict(s)]));

async function runOne(path, vector) {
  const suite = path.split('/')[0];
  if (suite === 'canonical') {
    return { canonical: canonicalJson(vector.input), sha256: await sha256Hex(vector.input) };
  }
  if (suite === 'materialise') {
    const changes = [];
    for (const d of vector.changes) changes.push(await checkChange(d));
    const hashes = Object.fromEntries(changes.map((c) => [c.op_id, c.content_hash]));
    const naive = publicOf(materialise(changes));
    let states = {};
    for (const c of changes) states[c.record_id] = applyChange(states[c.record_id] || null, c);
    states = linkMerges(states);
    return { hashes, naive, incremental: publicOf(states) };
  }
  if (suite === 'rejections') {
    try {
      await checkChange(vector.change);
      return { error_field: null };
    } catch (exc) {
      return { error_field: exc.field ?? `not a ChangeError: ${exc}` };
    }
  }
  if (suite === 'protocol') return runProtocol(vector);
  return { unknown_suite: suite };
}

const plain = (x) => JSON.parse(JSON.stringify(x));

/** The client state of a protocol vector (docs/sync.md), read from what the replica
 * stored (IndexedDB), plus `extra`: its in-memory bookkeeping, which must agree. */
async function clientState(r, peer) {
  const pending = await r.pending();
  const { log, rids } = await transact(r.vault.db, ['changes', 'records'], 'readonly', (s) => ({
    log: request(s.changes.getAllKeys()), rids: request(s.records.getAllKeys()),
  })).then(async (p) => ({ log: await p.log, rids: await p.rids }));
  const states = Object.fromEntries(await r.readStates(rids));
  const records = Object.fromEntries(Object.entries(linkMerges(states)).sort()
    .map(([rid, st]) => [rid, publicDict(st)]));
  const problems = {};
  for (const e of pending.filter((x) => x.problem).sort((a, b) => (a.change.op_id < b.change.op_id ? -1 : 1))) {
    problems[e.change.op_id] = { status: e.problem.status, reason: e.problem.reason };
  }
  return plain({
    state: {
      outbox: pending.map((e) => e.change.op_id),
      checkpoint: await r.checkpoint(peer),
      have: r.haveVector(),
      log: [...log].sort(),
      problems,
      records,
    },
    extra: { outbox_size: r.outboxSize, refused: r.refused, views: [...r.states.keys()].sort() },
  });
}

/** A transport answering from the vector: it records every request the client makes
 * and, before each, the state the client reached after the previous answer. */
class ScriptedHub {
  constructor(exchanges, snapshot, onHandshake) {
    Object.assign(this, { exchanges, snapshot, onHandshake, done: 0, requests: [], states: [] });
  }

  async next(endpoint, request) {
    if (this.done) this.states.push(await this.snapshot());
    this.requests.push(plain({ endpoint, ...request }));
    if (this.done >= this.exchanges.length) throw new Error(`an extra ${endpoint} request`);
    const ex = this.exchanges[this.done];
    this.done += 1;
    if (ex.request.endpoint !== endpoint) throw new Error(`${endpoint} instead of ${ex.request.endpoint}`);
    if (ex.response === null) throw new SyncError(0, 'network', 'network: answer lost (vector)');
    if (endpoint === 'handshake') this.onHandshake(ex.response);
    return structuredClone(ex.response);
  }

  handshake(hello) { return this.next('handshake', { body: hello }); }

  push(changes) { return this.next('push', { body: { changes } }); }

  pull(since, limit) { return this.next('pull', { query: { since, limit } }); }

  missing(have, digest, limit) { return this.next('missing', { body: { have, digest, limit } }); }
}

const PASSPHRASE = 'a passphrase for the protocol vectors';

/** Replay one protocol vector with the app's replica and sync client; report what the
 * client did at each step (the Python test compares it with the vector). */
async function runProtocol(vector) {
  const name = `tawthiq-protocol-${vector.name}`;
  await deleteDb(name);
  const vault = await Vault.open({ name });
  await vault.create(PASSPHRASE);
  const { origin_id: originId, author } = vector.client;
  const r = await BrowserReplica.load(vault, { originId, author });
  let now = 0;
  r.now = () => now;
  let peer = vector.client.peer;
  const snapshot = () => clientState(r, peer);
  const steps = [];
  try {
    for (const step of vector.steps) {
      const action = step.action;
      if (action === 'hub_receives') {
        steps.push({ action });
        continue;
      }
      if (action === 'write') {
        const given = step.input;
        now = given.clock_ms;
        // The op id the vector prescribes (the replica draws it from crypto.randomUUID).
        crypto.randomUUID = () => given.op_id;
        let change;
        try {
          change = await r.write(given.record_id, given.kind, given.action, given.patch, given.deps);
        } finally {
          delete crypto.randomUUID;
        }
        steps.push({ action, change: plain(change), ...(await snapshot()) });
        continue;
      }
      const hub = new ScriptedHub(step.exchanges, snapshot, (answer) => {
        peer = answer.hub_id || 'hub';
      });
      const client = new SyncClient({ replica: r, vault, transport: hub,
        pageSize: step.page_size ?? 500 });
      const report = { pushed: 0, pulled: 0, repaired: 0, problems: 0, forgotten: 0 };
      let error = null;
      try {
        // "push" is the app's "Sync now" push: refused entries are re-sent too.
        if (action === 'push') await client.push({ push_changes: step.batch_size }, report, true);
        else if (action === 'pull') await client.pull(peer, report, null);
        else if (action === 'sync') await client.syncOnce({ resendRefused: true });
        else if (action === 'repair') await client.repair(report);
        else throw new Error(`unknown action ${action}`);
      } catch (exc) {
        const lost = exc instanceof SyncError && exc.code === 'network'
          && step.exchanges[hub.done - 1]?.response === null;
        if (!lost) error = `${exc.name}: ${exc.message}`;
      }
      if (hub.done) hub.states.push(await snapshot());
      steps.push({ action, requests: hub.requests, states: hub.states, error, peer });
    }
  } finally {
    vault.close();
    await deleteDb(name);
  }
  return { steps };
}

/** Fetch each vector from `base` + path (raw JSON text, parsed here) and run it. */
export async function runVectors(base, paths) {
  const out = {};
  for (const path of paths) {
    const text = await (await fetch(base + path)).text();
    try {
      out[path] = await runOne(path, JSON.parse(text));
    } catch (exc) {
      out[path] = { exception: `${exc.name}: ${exc.message}` };
    }
  }
  return out;
}

/** Materialise arbitrary change dicts both ways (for the randomized parity test). */
export async function materialiseBoth(changeDicts) {
  const changes = [];
  for (const d of changeDicts) changes.push(await checkChange(d));
  let states = {};
  for (const c of changes) states[c.record_id] = applyChange(states[c.record_id] || null, c);
  return { naive: publicOf(materialise(changes)), incremental: publicOf(linkMerges(states)) };
}
