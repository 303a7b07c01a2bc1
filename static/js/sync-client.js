// The sync client: the protocol of docs/sync.md spoken over HTTP with the device token,
// exactly as sync/client.py's Replica.sync does it (handshake, push the outbox in FIFO
// batches, pull pages with their checkpoint, repair through `missing`), and the
// scheduler that runs it by itself: online event, page visible again, periodic retry
// with backoff, Background Sync wake-ups, after a local write, and "Sync now".

import { checkChange, SCHEMA_VERSION } from './sync/changes.js';
import { tick } from './sync/hlc.js';

export const APP_VERSION = '0.1.0';
const API = '/api/v1';
const PAGE = 500;
const BACKOFF_MIN_MS = 2_000;
const BACKOFF_MAX_MS = 5 * 60_000;
const IDLE_PERIOD_MS = 60_000;
const REQUEST_TIMEOUT_MS = 30_000;
const REFUSED_RETRY_MS = 6 * 3600_000;
const HUB_KEY_REFRESH_MS = 24 * 3600_000;

export class SyncError extends Error {
  constructor(status, code, message) {
    super(message || `${status} ${code}`);
    this.name = 'SyncError';
    this.status = status;
    this.code = code;
  }
}

async function gzip(text) {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export class HttpTransport {
  constructor(token, { base = '', timeoutMs = REQUEST_TIMEOUT_MS } = {}) {
    this.token = token;
    this.base = base;
    this.timeoutMs = timeoutMs;
  }

  async call(method, path, body) {
    const headers = { Authorization: `Bearer ${this.token}`, Accept: 'application/json' };
    let payload;
    if (body !== undefined) {
      const text = JSON.stringify(body);
      headers['Content-Type'] = 'application/json';
      if (text.length > 32_768 && globalThis.CompressionStream) {
        payload = await gzip(text);
        headers['Content-Encoding'] = 'gzip';
      } else {
        payload = text;
      }
    }
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.timeoutMs);
    let response;
    try {
      response = await fetch(this.base + API + path, { method, headers, body: payload,
        cache: 'no-store', credentials: 'omit', signal: abort.signal });
    } catch (exc) {
      throw new SyncError(0, 'network', `network: ${exc.message}`);
    } finally {
      clearTimeout(timer);
    }
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    if (!response.ok) {
      const err = data?.error || {};
      throw new SyncError(response.status, err.code || 'http', err.message);
    }
    return data;
  }

  handshake(hello) { return this.call('POST', '/sync/handshake', hello); }

  push(changes) { return this.call('POST', '/sync/push', { changes }); }

  /** A pull page; `ack` (optional, at most `since`) tells the hub what is stored. */
  pull(since, limit, ack) {
    const acked = Number.isInteger(ack) ? `&ack=${ack}` : '';
    return this.call('GET', `/sync/pull?since=${since}&limit=${limit}${acked}`);
  }

  /** This transport may be asked for the next page before this one is stored. */
  get pullsAhead() { return true; }

  missing(have, digest, limit) { return this.call('POST', '/sync/missing', { have, digest, limit }); }

  hub() { return this.call('GET', '/hub'); }
}

/** One sync run: the Python reference client's order, with the hub's limits. */
export class SyncClient {
  constructor({ replica, vault, transport, onPolicy = null, onProgress = null, pageSize = PAGE }) {
    this.replica = replica;
    this.onProgress = onProgress;
    this.progress = null;
    this.pageSize = pageSize;
    this.vault = vault;
    this.transport = transport;
    this.onPolicy = onPolicy;
  }

  async syncOnce({ resendRefused = false } = {}) {
    const r = this.replica;
    const meta = (await this.vault.getSealed('sync')) || {};
    const info = await this.transport.handshake({
      origin_id: r.originId,
      schema_version: SCHEMA_VERSION,
      app_version: APP_VERSION,
      clock: r.now(),
      have: r.haveVector(),
      own_seq: r.clock.next_seq - 1,
      access_epoch: meta.access_epoch ?? null,
    });
    // The hub's clock only nudges ours forward: a hub far behind changes nothing.
    if (Number.isInteger(info.clock)) await r.seeClock(tick(null, info.clock, 'hub'));
    const wipeAfter = info.wipe_after_failed_unlocks ?? info.limits?.wipe_after_failed_unlocks;
    if (Number.isInteger(wipeAfter) && this.onPolicy) await this.onPolicy({ wipe_after_failed_unlocks: wipeAfter });
    const peer = info.hub_id || 'hub';
    const limits = info.limits || {};
    await this.keepHubKey();
    const report = { pushed: 0, pulled: 0, repaired: 0, problems: 0, forgotten: 0 };
    // What the status strip shows while a long sync runs: counts sent and received, and
    // how far the pull cursor is between where it started and the hub's watermark.
    this.progress = { phase: 'push', toPush: 0, pushed: 0, pulled: 0, pullFrom: 0, pullAt: 0,
      pullTo: Number.isInteger(info.hub_seq) ? info.hub_seq : null };
    await this.push(limits, report, resendRefused);
    const seen = info.resync ? new Set() : null;
    if (info.resync) await r.setCheckpoint(peer, 0);
    const from = await r.checkpoint(peer);
    this.tellProgress({ phase: 'pull', pullFrom: from, pullAt: from });
    await this.pull(peer, report, seen);
    this.tellProgress({ phase: 'repair' });
    if (seen) {
      // Access changed: what the hub no longer serves goes (unsent changes stay queued).
      const queued = new Set((await r.pending()).map((e) => e.change.record_id));
      const gone = [...r.states.keys()].filter((rid) => !seen.has(rid) && !queued.has(rid));
      if (gone.length) await r.forget(gone);
      report.forgotten = gone.length;
    }
    await this.repair(report);
    this.progress = null;
    report.at = Date.now();
    await this.vault.putSealed('sync', { access_epoch: info.access_epoch ?? null, hub_id: peer,
      last_sync_at: report.at });
    return report;
  }

  async push(limits, report, resendRefused) {
    const r = this.replica;
    const maxChanges = limits.push_changes || PAGE;
    const maxBytes = Math.floor((limits.body_bytes || 2_000_000) * 0.9);
    // A change the hub refused stays queued with its reason, but is not re-sent on every
    // run (each re-send would be parked again): only on "Sync now" or after a while,
    // since the hub may accept it once it learns more (a newer schema).
    const now = Date.now();
    const entries = (await r.pending()).filter((e) => !e.problem || resendRefused
      || now - (e.problem.at || 0) > REFUSED_RETRY_MS);
    this.tellProgress({ toPush: entries.length });
    let i = 0;
    while (i < entries.length) {
      // FIFO batches within both limits (sizes of the JSON text, before any gzip).
      const batch = [];
      let bytes = 20;
      while (i < entries.length && batch.length < maxChanges) {
        const size = JSON.stringify(entries[i].change).length + 1;
        if (batch.length && bytes + size > maxBytes) break;
        batch.push(entries[i]);
        bytes += size;
        i += 1;
      }
      const answer = await this.transport.push(batch.map((e) => e.change));
      const out = await r.markResults(batch, answer.results || []);
      report.pushed += out.sent;
      report.problems += out.problems;
      this.tellProgress({ pushed: (this.progress?.pushed || 0) + batch.length });
    }
  }

  /**
   * Keep the hub's public P-256 key sealed on the device (refreshed daily), so unsynced
   * changes can be saved to a bundle for the hub while offline (docs/bundles.md).
   */
  async keepHubKey() {
    const held = await this.vault.getSealed('hub');
    if (held && Date.now() - (held.fetched_at || 0) < HUB_KEY_REFRESH_MS) return;
    try {
      const hub = await this.transport.hub();
      if (!hub?.keys?.p256?.jwk) return;
      await this.vault.putSealed('hub', { hub_id: hub.hub_id, fingerprint: hub.fingerprint,
        p256_jwk: hub.keys.p256.jwk, fetched_at: Date.now() });
    } catch {
      // An older hub without /hub: bundles wait until the key is known; sync goes on.
    }
  }

  /** Update the progress of the run in hand (none when push/pull are called alone). */
  tellProgress(fields = {}) {
    if (!this.progress) return;
    Object.assign(this.progress, fields);
    if (this.onProgress) this.onProgress({ ...this.progress });
  }

  /**
   * Pull pages after the checkpoint. With a transport that `pullsAhead` (HTTP), the next
   * page is fetched while this one is checked and stored, its request acknowledging only
   * the checkpoint already stored; a pull that ended on such a request sends one closing
   * request (since = ack = the checkpoint) so the hub's record of our progress is exact:
   * the same order as sync/client.py's `pull_pipelined` (docs/sync.md, "pull").
   * Otherwise (the conformance vectors' scripted hub) one page at a time.
   */
  async pull(peer, report, seen) {
    const r = this.replica;
    const ahead = Boolean(this.transport.pullsAhead);
    let stored = await r.checkpoint(peer);
    let waiting = this.transport.pull(stored, this.pageSize);
    let exact = true;
    for (;;) {
      const page = await waiting;
      if (page.more && ahead) {
        waiting = this.transport.pull(page.hub_seq, this.pageSize, stored);
        waiting.catch(() => {}); // awaited below; a store that fails first must not leave it unhandled
        exact = false;
      }
      const changes = [];
      for (const d of page.changes || []) changes.push(await checkChange(d));
      if (seen) for (const c of changes) seen.add(c.record_id);
      await r.receive(changes, { checkpoint: { peer, hubSeq: page.hub_seq }, forget: page.forget || [] });
      stored = page.hub_seq;
      report.pulled += changes.length;
      this.tellProgress({ pulled: (this.progress?.pulled || 0) + changes.length, pullAt: page.hub_seq });
      if (page.more) {
        if (!ahead) waiting = this.transport.pull(stored, this.pageSize);
        continue;
      }
      if (exact) return;
      waiting = this.transport.pull(stored, this.pageSize, stored);
      exact = true;
    }
  }

  async repair(report) {
    const r = this.replica;
    for (let round = 0; round < 20; round++) {
      const answer = await this.transport.missing(r.haveVector(), await r.digest(), PAGE);
      const changes = [];
      for (const d of answer.changes || []) changes.push(await checkChange(d));
      if (changes.length) await r.receive(changes);
      report.repaired += changes.length;
      if (!answer.more || !changes.length) return;
    }
  }
}

/** Runs syncs by itself, one at a time, with backoff after failures. */
export class SyncScheduler {
  constructor(client, { onStatus = () => {} } = {}) {
    this.client = client;
    this.onStatus = onStatus;
    this.running = null;
    this.again = false;
    this.failures = 0;
    this.timer = null;
    this.stopped = true;
    this.state = { syncing: false, lastOkAt: null, lastError: null, nextAt: null, revoked: false,
      lastReport: null, progress: null };
    client.onProgress = (progress) => {
      this.state.progress = progress;
      this.onStatus(this.state);
    };
    this.handlers = {
      online: () => this.now('online'),
      visible: () => { if (document.visibilityState === 'visible') this.now('visible'); },
      message: (e) => { if (e.data?.type === 'sync') this.now('background-sync'); },
    };
  }

  start() {
    this.stopped = false;
    addEventListener('online', this.handlers.online);
    document.addEventListener('visibilitychange', this.handlers.visible);
    navigator.serviceWorker?.addEventListener('message', this.handlers.message);
    this.now('start');
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    removeEventListener('online', this.handlers.online);
    document.removeEventListener('visibilitychange', this.handlers.visible);
    navigator.serviceWorker?.removeEventListener('message', this.handlers.message);
  }

  /** Sync as soon as possible (a run in progress is followed by one more). */
  now(reason = 'manual') {
    if (this.stopped || this.state.revoked) return Promise.resolve();
    if (reason === 'manual') {
      this.failures = 0;
      this.manual = true;
    }
    if (this.running) {
      this.again = true;
      return this.running;
    }
    clearTimeout(this.timer);
    this.running = this.run().finally(() => {
      this.running = null;
      if (this.again && !this.stopped) {
        this.again = false;
        this.now('again');
      }
    });
    return this.running;
  }

  async run() {
    const manual = Boolean(this.manual);
    this.manual = false;
    this.state.syncing = true;
    this.onStatus(this.state);
    let delay;
    try {
      this.state.lastReport = await this.client.syncOnce({ resendRefused: manual });
      this.failures = 0;
      // The same instant as the sealed copy, so a reload shows the same time.
      this.state.lastOkAt = this.state.lastReport?.at ?? Date.now();
      this.state.lastError = null;
      delay = IDLE_PERIOD_MS;
    } catch (exc) {
      this.failures += 1;
      this.state.lastError = { code: exc.code || exc.name, message: exc.message };
      if (exc.status === 401) this.state.revoked = true;
      // 2 s, 4 s, 8 s ... up to 5 min, with jitter so a team's phones do not all retry
      // together when the network comes back.
      const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (this.failures - 1));
      delay = base * (0.5 + Math.random());
    }
    this.state.syncing = false;
    this.state.progress = null;
    this.client.progress = null; // a failed run leaves none behind
    if (!this.stopped && !this.state.revoked) {
      this.state.nextAt = Date.now() + delay;
      this.timer = setTimeout(() => this.now('timer'), delay);
    }
    this.onStatus(this.state);
  }
}
