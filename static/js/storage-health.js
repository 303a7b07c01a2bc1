// Storage health: whether the browser keeps this site's data under pressure (persistent
// storage), how much it uses of its quota, and the thresholds that make the app warn
// (storage running low; changes waiting unsynced for days). Reads the browser's storage
// manager only; never writes records or changes.

/** Changes waiting this long without reaching the hub are worth a warning. */
export const WAITING_WARN_MS = 2 * 86_400_000;
/** Storage is "low" when less than this is free, or more than LOW_FRACTION is used. */
export const LOW_FREE_BYTES = 50 * 1024 * 1024;
export const LOW_FRACTION = 0.9;
const ESTIMATE_TTL_MS = 60_000;

let cached = null;

/**
 * {supported, persisted, usage, quota, free, low}; estimates are cached for a minute (the
 * status strip asks often). Without the storage manager everything but `supported` is null.
 */
export async function storageHealth({ fresh = false } = {}) {
  const sm = globalThis.navigator?.storage;
  if (!sm?.estimate) return { supported: false, persisted: null, usage: null, quota: null, free: null, low: false };
  if (!fresh && cached && Date.now() - cached.at < ESTIMATE_TTL_MS) return cached.value;
  const [estimate, persisted] = await Promise.all([sm.estimate(), sm.persisted ? sm.persisted() : null]);
  const usage = estimate.usage ?? 0;
  const quota = estimate.quota ?? 0;
  const free = Math.max(0, quota - usage);
  const value = { supported: true, persisted, usage, quota, free,
    low: quota > 0 && (free < LOW_FREE_BYTES || usage / quota > LOW_FRACTION) };
  cached = { at: Date.now(), value };
  return value;
}

/**
 * Ask the browser to keep this site's data when the disk fills up (it may answer no:
 * Chromium grants it to installed or often used sites). Returns whether it is persistent.
 */
export async function requestPersistence() {
  const sm = globalThis.navigator?.storage;
  if (!sm?.persist) return false;
  const granted = (await sm.persisted?.()) || (await sm.persist());
  cached = null;
  return Boolean(granted);
}

/** Whether the oldest waiting change (device time, ms) has waited too long. */
export function waitingTooLong(oldestAt, now = Date.now()) {
  return oldestAt !== null && oldestAt !== undefined && now - oldestAt >= WAITING_WARN_MS;
}

/** Days (whole, at least 1) since a time in ms. */
export function daysSince(at, now = Date.now()) {
  return Math.max(1, Math.floor((now - at) / 86_400_000));
}

/** A byte count for people: "12.3 MB" (numbers in the user's locale). */
export function formatBytes(bytes, lang) {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let n = bytes;
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u += 1;
  }
  const fmt = new Intl.NumberFormat(lang === 'ar' ? 'ar' : 'en', { maximumFractionDigits: u ? 1 : 0 });
  return `${fmt.format(n)} ${units[u]}`;
}

/** The version of the shell the service worker serves (null without one, or after 1 s). */
export function shellVersion() {
  const worker = globalThis.navigator?.serviceWorker?.controller;
  if (!worker) return Promise.resolve(null);
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    const timer = setTimeout(() => resolve(null), 1000);
    channel.port1.onmessage = (e) => {
      clearTimeout(timer);
      resolve(e.data?.version ?? null);
    };
    worker.postMessage({ type: 'version' }, [channel.port2]);
  });
}
