// Entry point of the app shell: the engine, the UI, and the service worker (which keeps
// the shell available offline; a new version takes over only when it cannot strand
// anything: when the user agrees, or by itself when nothing is pending).
//
// The update flow (docs/offline-app.md, "Updates"):
// 1. The browser finds a new /sw.js; the new worker precaches the whole new shell under
//    its own cache, then waits (the old shell keeps serving this page).
// 2. Nothing pending (no change waiting and the app not unlocked, so no form is half
//    filled): it takes over at once. Otherwise a bar says a version is ready and that
//    the unsent changes stay; it takes over when the user presses "Update".
// 3. Taking over: wait for any write in progress (the replica's Web Lock), lock the app
//    (sync stops, keys dropped), then the worker activates and the page reloads. The new
//    code opens IndexedDB at its version and runs the upgrade steps in order (db.js),
//    which only add to the data: outbox, keys and checkpoints stay as they were.

import { h } from './dom.js';
import { Engine } from './engine.js';
import { Ui } from './ui.js';
import { addStrings, t } from './i18n.js';

addStrings({
  update_keeps: {
    en: '{n} changes not yet sent stay on this device and are sent after the update.',
    ar: 'تبقى {n} تغييرات لم تُرسل بعد على هذا الجهاز وتُرسل بعد التحديث.',
  },
  update_later: { en: 'Later', ar: 'لاحقاً' },
  update_applying: { en: 'Updating…', ar: 'جارٍ التحديث…' },
  update_elsewhere: {
    en: 'A newer version was opened in another tab: reloading…',
    ar: 'فُتحت نسخة أحدث في نافذة أخرى: جارٍ إعادة التحميل…',
  },
});

const engine = new Engine();
// One handle for the browser tests and the device benchmark; it holds nothing the page
// itself does not already hold.
globalThis.tawthiq = engine;
const ui = new Ui(engine, document.getElementById('root'));
globalThis.tawthiqUi = ui;
const started = ui.start().catch((exc) => {
  document.getElementById('root').textContent = `Tawthiq could not start: ${exc.message}`;
});

let updateAccepted = false;
let registration = null;

function bar() {
  return document.getElementById('update');
}

/** What could be stranded by switching versions now: {pending, unlocked}. */
async function pendingWork() {
  await started; // the database is open (or known absent) only after boot
  if (!engine.vault) return { pending: 0, unlocked: false };
  const pending = await engine.pendingCount().catch(() => 1);
  return { pending, unlocked: Boolean(engine.replica) };
}

/** Let the waiting worker take over: after any write in progress, with the app locked. */
async function applyUpdate(reg) {
  const worker = reg.waiting;
  if (!worker) return;
  updateAccepted = true;
  const el = bar();
  el.replaceChildren(t(ui.lang, 'update_applying'));
  el.hidden = false;
  const handOver = async () => {
    if (engine.replica) engine.lock('update');
    worker.postMessage({ type: 'skip-waiting' });
  };
  // The replica's lock: a change being written finishes (and commits) first.
  if (navigator.locks) await navigator.locks.request('tawthiq-replica', handOver);
  else await handOver();
}

let offering = Promise.resolve();

/** Offer (or apply) a waiting update; calls run one after another (events come in bursts). */
function offerUpdate(reg) {
  offering = offering.then(() => offerOnce(reg)).catch(() => {});
  return offering;
}

async function offerOnce(reg) {
  if (!reg.waiting || updateAccepted) return;
  const work = await pendingWork();
  if (!work.pending && !work.unlocked) {
    await applyUpdate(reg);
    return;
  }
  const el = bar();
  // Already offered with the same count: leave the bar (and the focus on it) alone.
  if (!el.hidden && el.dataset.pending === String(work.pending)) return;
  const button = h('button', { type: 'button', id: 'update-now', text: t(ui.lang, 'update_now'),
    onclick: () => applyUpdate(reg) });
  const later = h('button', { type: 'button', class: 'link', text: t(ui.lang, 'update_later'),
    onclick: () => { el.hidden = true; } });
  const parts = [t(ui.lang, 'update_ready')];
  if (work.pending) parts.push(' ', t(ui.lang, 'update_keeps', { n: work.pending }));
  el.replaceChildren(...parts, ' ', button, ' ', later);
  el.dataset.pending = String(work.pending);
  el.hidden = false;
}

async function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  const hadController = Boolean(navigator.serviceWorker.controller);
  const reg = await navigator.serviceWorker.register('/sw.js', { scope: '/', type: 'classic',
    updateViaCache: 'none' });
  registration = reg;
  if (reg.waiting && hadController) offerUpdate(reg);
  reg.addEventListener('updatefound', () => {
    const worker = reg.installing;
    worker?.addEventListener('statechange', () => {
      if (worker.state === 'installed' && navigator.serviceWorker.controller) offerUpdate(reg);
    });
  });
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    // The first install just takes control. An update reloads the page that accepted it;
    // other tabs reload when the new code upgrades the database (engine 'upgraded').
    if (updateAccepted) {
      updateAccepted = false;
      location.reload();
    }
  });
}

// The app locked (idle, hidden, by hand) with nothing waiting: a ready update goes in.
engine.addEventListener('locked', (e) => {
  if (registration?.waiting && e.detail.reason !== 'update') offerUpdate(registration);
});
// Everything sent while an update waits: the bar's count follows (or the update goes in).
engine.addEventListener('status', () => {
  if (registration?.waiting && !bar().hidden && !updateAccepted) offerUpdate(registration);
});
engine.addEventListener('upgraded', () => {
  const el = bar();
  el.replaceChildren(t(ui.lang, 'update_elsewhere'));
  el.hidden = false;
  location.reload();
});

// The bar speaks the language the user switches to (the shell sets <html lang>).
new MutationObserver(() => {
  const el = bar();
  if (registration?.waiting && !el.hidden && !updateAccepted) {
    delete el.dataset.pending;
    offerUpdate(registration);
  }
}).observe(document.documentElement, { attributes: true, attributeFilter: ['lang'] });

registerServiceWorker().catch(() => {});
