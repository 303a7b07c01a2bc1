// The storage screen (#/storage): is this device's data kept under disk pressure
// (persistent storage), how much of the quota it uses, warnings when changes have waited
// for days or space runs low, and "Save unsynced changes to a file": a bundle signed by
// the device and encrypted to the hub's key, for a courier when no network gets through.

import { formatTime } from '../i18n.js';
import { daysSince, formatBytes, requestPersistence, shellVersion, storageHealth, waitingTooLong }
  from '../storage-health.js';

const ERRORS = {
  nothing_waiting: 'storage_nothing',
  not_registered: 'storage_not_registered',
  no_hub_key: 'storage_no_hub_key',
};

/** A translated sentence with its {placeholders} as <bdi> elements (numbers, sizes). */
function fill(ui, key, values) {
  return ui.tr(key).split(/(\{\w+\})/).filter(Boolean).map((part) => {
    const name = /^\{(\w+)\}$/.exec(part)?.[1];
    return name in values ? ui.h('bdi', { dir: 'ltr', text: String(values[name]) }) : part;
  });
}

function when(ui, at) {
  return formatTime(ui.lang, at);
}

async function render(ui) {
  const { h } = ui;
  const [health, status, last, hub, version] = await Promise.all([storageHealth({ fresh: true }),
    ui.engine.status(), ui.engine.lastBundle(), ui.engine.hubKey(), shellVersion()]);
  const box = h('div', { class: 'storage-screen' }, h('h2', { text: ui.tr('storage_title') }));

  // Persistent storage.
  const persisted = health.persisted;
  const persistRow = h('section', { class: 'card', id: 'persistence', 'data-persisted': String(persisted) },
    h('h3', { text: ui.tr('storage_persist_title') }),
    h('p', { text: persisted ? ui.tr('storage_persisted') : ui.tr('storage_not_persisted') }),
    persisted ? null : h('button', { type: 'button', id: 'persist', onclick: async () => {
      await requestPersistence();
      ui.refresh();
    } }, ui.tr('storage_persist_ask')));
  box.append(persistRow);

  // Use and quota.
  const usage = h('section', { class: 'card', id: 'usage' }, h('h3', { text: ui.tr('storage_use_title') }));
  if (health.supported) {
    usage.dataset.usage = String(health.usage);
    usage.dataset.quota = String(health.quota);
    usage.append(
      h('meter', { min: 0, max: health.quota || 1, value: health.usage, low: 0.7 * health.quota,
        high: 0.9 * health.quota, optimum: 0, 'aria-label': ui.tr('storage_use_title') }),
      h('p', {}, ...fill(ui, 'storage_use', { used: formatBytes(health.usage, ui.lang),
        quota: formatBytes(health.quota, ui.lang) })));
    if (health.low) usage.append(h('p', { class: 'warn', id: 'storage-low', text: ui.tr('strip_warn_storage') }));
  } else {
    usage.append(h('p', { text: ui.tr('storage_unknown') }));
  }
  box.append(usage);

  // Unsynced changes and the bundle.
  const unsynced = h('section', { class: 'card', id: 'unsynced', 'data-pending': String(status.pending) },
    h('h3', { text: ui.tr('storage_unsynced_title') }));
  if (status.pending) {
    unsynced.append(h('p', {}, ui.tr('storage_pending'), ' ', h('bdi', { text: String(status.pending) })));
    if (status.oldestWaitingAt) {
      unsynced.append(h('p', {}, ui.tr('storage_oldest'), ' ',
        h('bdi', { text: when(ui, status.oldestWaitingAt) })));
    }
    if (waitingTooLong(status.oldestWaitingAt)) {
      unsynced.append(h('p', { class: 'warn', id: 'waiting-days', text: ui.tr('storage_waiting_days',
        { d: daysSince(status.oldestWaitingAt) }) }));
    }
  } else {
    unsynced.append(h('p', { text: ui.tr('all_sent') }));
  }
  const result = h('p', { id: 'bundle-result', role: 'status' });
  const button = h('button', { type: 'button', id: 'save-bundle', disabled: !status.pending,
    onclick: () => saveBundle(ui, button, result) }, ui.tr('storage_save_bundle'));
  unsynced.append(h('p', { class: 'hint' }, ...fill(ui, 'storage_bundle_help',
    { cmd: 'tawthiq bundle import FILE' })), button, result);
  if (hub) {
    unsynced.append(h('p', { class: 'hint' }, ui.tr('storage_hub'), ' ',
      h('bdi', { dir: 'ltr', text: hub.fingerprint || hub.hub_id })));
  }
  if (last) {
    unsynced.append(h('p', { id: 'last-bundle' }, ui.tr('storage_last_bundle', { n: last.changes }), ' ',
      h('bdi', { text: when(ui, last.at) })));
  }
  box.append(unsynced);
  if (version) {
    box.append(h('p', { class: 'hint', id: 'app-version' }, ui.tr('storage_version'), ' ',
      h('bdi', { dir: 'ltr', text: version })));
  }
  return box;
}

async function saveBundle(ui, button, result) {
  button.disabled = true;
  result.className = '';
  result.textContent = ui.tr('storage_saving');
  try {
    const saved = await ui.engine.saveUnsyncedBundle();
    const url = URL.createObjectURL(saved.blob);
    const link = ui.h('a', { href: url, download: saved.filename, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    // The download has its own copy once started; the object URL can go a little later.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    result.dataset.count = String(saved.count);
    result.replaceChildren(ui.tr('storage_saved', { n: saved.count }), ' ',
      ui.h('bdi', { text: saved.filename }));
  } catch (exc) {
    result.className = 'error';
    result.textContent = ERRORS[exc.code] ? ui.tr(ERRORS[exc.code]) : (exc.message || String(exc));
  } finally {
    button.disabled = false;
  }
}

export default {
  id: 'storage',
  nav: { en: 'Storage', ar: 'التخزين' },
  strings: {
    storage_version: { en: 'App version:', ar: 'إصدار التطبيق:' },
    storage_title: { en: 'Storage on this device', ar: 'التخزين على هذا الجهاز' },
    storage_persist_title: { en: 'Kept by the browser', ar: 'حفظ المتصفح للبيانات' },
    storage_persisted: {
      en: 'Persistent storage is on: the browser will not delete this data to free space.',
      ar: 'التخزين الدائم مفعّل: لن يحذف المتصفح هذه البيانات لتوفير المساحة.',
    },
    storage_not_persisted: {
      en: 'Persistent storage is off: if the phone runs out of space, the browser may delete unsynced reports.',
      ar: 'التخزين الدائم غير مفعّل: إذا امتلأت ذاكرة الهاتف فقد يحذف المتصفح تقارير لم تُرسل.',
    },
    storage_persist_ask: { en: 'Ask to keep this data', ar: 'اطلب الاحتفاظ بالبيانات' },
    storage_use_title: { en: 'Space used', ar: 'المساحة المستخدمة' },
    storage_use: { en: 'Using {used} of {quota}.', ar: 'المستخدم {used} من {quota}.' },
    storage_unknown: { en: 'This browser does not say how much space it gives.', ar: 'لا يذكر هذا المتصفح المساحة المتاحة.' },
    storage_unsynced_title: { en: 'Not yet on the server', ar: 'لم تصل إلى الخادم بعد' },
    storage_pending: { en: 'Changes waiting to be sent:', ar: 'تغييرات بانتظار الإرسال:' },
    storage_oldest: { en: 'Oldest waiting since', ar: 'أقدمها ينتظر منذ' },
    storage_waiting_days: {
      en: 'Changes have waited {d} days. If no network reaches the server, save them to a file for a courier.',
      ar: 'تنتظر التغييرات منذ {d} أيام. إن لم تصل أي شبكة إلى الخادم فاحفظها في ملف يحمله مراسل.',
    },
    storage_save_bundle: { en: 'Save unsynced changes to a file', ar: 'احفظ التغييرات غير المرسلة في ملف' },
    storage_bundle_help: {
      en: 'The file is signed by this device and encrypted to the server: only the server can read it. At the server: {cmd}. The changes stay here until the server confirms them.',
      ar: 'الملف موقّع من هذا الجهاز ومشفّر للخادم: لا يقرؤه إلا الخادم. عند الخادم: {cmd}. تبقى التغييرات هنا حتى يؤكدها الخادم.',
    },
    storage_saving: { en: 'Preparing the file…', ar: 'جارٍ تحضير الملف…' },
    storage_saved: { en: 'Saved {n} changes to', ar: 'حُفظت {n} تغييرات في' },
    storage_hub: { en: 'Encrypted to the server with fingerprint', ar: 'مشفّر للخادم ذي البصمة' },
    storage_last_bundle: { en: 'Last file saved ({n} changes):', ar: 'آخر ملف محفوظ ({n} تغييرات):' },
    storage_nothing: { en: 'Nothing is waiting: everything reached the server.', ar: 'لا شيء ينتظر: وصل كل شيء إلى الخادم.' },
    storage_not_registered: {
      en: 'This device is not registered with the server yet: log in online once.',
      ar: 'هذا الجهاز غير مسجّل لدى الخادم بعد: سجّل الدخول مرة مع اتصال.',
    },
    storage_no_hub_key: {
      en: "The server's key is not on this device yet: sync once online.",
      ar: 'مفتاح الخادم ليس على هذا الجهاز بعد: زامن مرة مع اتصال.',
    },
  },
  render,
};
