// The sync status strip under the nav: online or offline, changes waiting, the last
// successful sync (relative, from the sealed sync metadata, so it survives reloads),
// progress while a long sync runs, conflicts waiting, changes the hub refused (with its
// reasons, on demand) and warnings (changes waiting for days, storage running low).
// It reads the engine's status; it never changes data except through "Sync now".

import { h } from './dom.js';
import { addStrings } from './i18n.js';
import { daysSince, storageHealth, waitingTooLong } from './storage-health.js';
import { SCREENS } from './screens/index.js';

addStrings({
  strip_label: { en: 'Sync status', ar: 'حالة المزامنة' },
  strip_online: { en: 'Online', ar: 'متصل' },
  strip_offline: { en: 'Offline', ar: 'غير متصل' },
  strip_never_synced: { en: 'Not synced yet', ar: 'لم تتم المزامنة بعد' },
  strip_last_sync: { en: 'Last sync {t}', ar: 'آخر مزامنة {t}' },
  strip_progress: { en: 'Sent {sent} of {total} · received {got}', ar: 'أُرسل {sent} من {total} · استُلم {got}' },
  strip_progress_pull: { en: 'Receiving: {got}', ar: 'جارٍ الاستلام: {got}' },
  strip_conflicts: { en: 'Conflicts waiting: {n}', ar: 'تعارضات بانتظار الحل: {n}' },
  strip_refused_none: { en: 'No details.', ar: 'لا تفاصيل.' },
  strip_status_parked: { en: 'Held by the server', ar: 'أوقفها الخادم' },
  strip_status_id_collision: { en: 'Id already used', ar: 'المعرّف مستخدم من قبل' },
  strip_warn_waiting: {
    en: '{n} changes have waited {d} days without reaching the server. Save them to a file for a courier.',
    ar: 'تنتظر {n} تغييرات منذ {d} أيام دون أن تصل إلى الخادم. احفظها في ملف يحمله مراسل.',
  },
  strip_warn_storage: { en: 'Storage on this device is running low.', ar: 'المساحة على هذا الجهاز توشك أن تنفد.' },
  strip_err_network: { en: 'no connection to the server', ar: 'لا اتصال بالخادم' },
  strip_err_server_error: { en: 'server error', ar: 'خطأ في الخادم' },
  strip_revoked: { en: 'This device was revoked: changes stay here.', ar: 'أُلغي تسجيل هذا الجهاز: تبقى التغييرات هنا.' },
});

const TICK_MS = 30_000; // how often the relative time is re-said

/** "5 minutes ago" / "قبل ٥ دقائق" in the user's language. */
export function relativeTime(at, lang, now = Date.now()) {
  const fmt = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' });
  const s = Math.round((at - now) / 1000);
  const abs = Math.abs(s);
  if (abs < 45) return fmt.format(0, 'second');
  if (abs < 3600) return fmt.format(Math.round(s / 60), 'minute');
  if (abs < 86_400) return fmt.format(Math.round(s / 3600), 'hour');
  return fmt.format(Math.round(s / 86_400), 'day');
}

/** A link to a screen only when it exists and this user may open it. */
function screenFor(ui, id) {
  const screen = SCREENS.find((s) => s.id === id);
  return Boolean(screen) && ui.allowed(screen);
}

export class StatusStrip {
  constructor(ui) {
    this.ui = ui;
    this.timer = null;
    this.last = null; // the last status read, painted at once when the strip is rebuilt
    ui.engine.addEventListener('locked', () => { this.last = null; });
  }

  tr(key, params) {
    return this.ui.tr(key, params);
  }

  /** The strip's element; `actions` are the shell's buttons (sync now, lock, …). */
  render(actions) {
    this.box = h('section', { class: 'status', id: 'status', 'aria-label': this.tr('strip_label') },
      h('div', { class: 'status-line' },
        h('span', { id: 'net', class: 'net', 'data-online': '' }),
        h('span', { id: 'pending', 'data-count': '' }),
        h('span', { id: 'sync-state', role: 'status' }),
        h('span', { id: 'progress', hidden: true },
          h('span', { class: 'counts' }), h('progress', { max: 1 }))),
      h('div', { class: 'status-line' },
        h('a', { id: 'conflicts', hidden: true, 'data-count': '0',
          href: screenFor(this.ui, 'conflicts') ? '#/conflicts' : undefined }),
        h('details', { id: 'refused', hidden: true, ontoggle: (e) => this.showRefused(e.target) },
          h('summary', {}), h('ul', {}))),
      h('div', { id: 'warnings', class: 'warnings', role: 'alert' }),
      h('div', { class: 'status-actions' }, actions));
    // A re-render (language switch) shows the last known status at once, not an empty strip.
    if (this.last) this.paint(this.last);
    clearInterval(this.timer);
    this.timer = setInterval(() => {
      if (!this.box.isConnected) clearInterval(this.timer);
      else this.refresh();
    }, TICK_MS);
    return this.box;
  }

  async refresh() {
    if (!this.box?.isConnected) return;
    this.last = await this.ui.engine.status();
    await this.paint(this.last);
  }

  async paint(s) {
    const box = this.box;
    const ui = this.ui;
    const net = box.querySelector('#net');
    net.dataset.online = String(s.online);
    net.textContent = s.online ? this.tr('strip_online') : this.tr('strip_offline');

    const pending = box.querySelector('#pending');
    pending.dataset.count = String(s.pending);
    pending.replaceChildren(s.pending ? this.tr('waiting', { n: '' }) : this.tr('all_sent'),
      s.pending ? h('bdi', { text: this.num(s.pending) }) : '');

    // Offline, a run only finds there is no network: say when the last sync was instead.
    const syncing = s.syncing && s.online;
    let state = '';
    if (!s.registered) state = this.tr('not_registered');
    else if (s.revoked) state = this.tr('strip_revoked');
    else if (syncing) state = this.tr('syncing');
    else if (s.lastError && s.online) state = this.tr('sync_failed', { e: this.errorName(s.lastError.code) });
    if (!syncing) {
      const when = s.lastOkAt ? this.tr('strip_last_sync', { t: relativeTime(s.lastOkAt, ui.lang) })
        : this.tr('strip_never_synced');
      state = state ? `${state} · ${when}` : when;
    }
    const stateEl = box.querySelector('#sync-state');
    stateEl.textContent = state;
    stateEl.dataset.lastOk = s.lastOkAt ? String(s.lastOkAt) : '';
    if (s.lastOkAt) stateEl.title = new Date(s.lastOkAt).toLocaleString(ui.lang);

    this.showProgress(s.progress);

    const conflicts = box.querySelector('#conflicts');
    conflicts.hidden = !s.conflicts;
    conflicts.dataset.count = String(s.conflicts);
    conflicts.textContent = this.tr('strip_conflicts', { n: this.num(s.conflicts) });

    box.dataset.refused = String(s.refused);
    const refused = box.querySelector('#refused');
    refused.hidden = !s.refused;
    refused.querySelector('summary').textContent = `${this.tr('rejected')}: ${this.num(s.refused)}`;
    if (refused.open) this.showRefused(refused);

    await this.showWarnings(s);
  }

  /** A sync error's code in words (known codes translated, others as the hub sent them). */
  errorName(code) {
    const key = `strip_err_${code}`;
    const text = this.tr(key);
    return text === key ? code : text;
  }

  num(n) {
    return new Intl.NumberFormat(this.ui.lang).format(n);
  }

  showProgress(p) {
    const el = this.box.querySelector('#progress');
    el.hidden = !p;
    if (!p) return;
    const counts = el.querySelector('.counts');
    counts.textContent = p.toPush
      ? this.tr('strip_progress', { sent: this.num(p.pushed), total: this.num(p.toPush), got: this.num(p.pulled) })
      : this.tr('strip_progress_pull', { got: this.num(p.pulled) });
    const bar = el.querySelector('progress');
    let fraction = null;
    if (p.phase === 'push' && p.toPush) fraction = p.pushed / p.toPush;
    else if (p.pullTo !== null && p.pullTo > p.pullFrom) {
      fraction = (p.pullAt - p.pullFrom) / (p.pullTo - p.pullFrom);
    }
    if (fraction === null) bar.removeAttribute('value');
    else bar.value = Math.min(1, Math.max(0, fraction));
    el.dataset.phase = p.phase;
    el.dataset.pushed = String(p.pushed);
    el.dataset.pulled = String(p.pulled);
  }

  async showWarnings(s) {
    const box = this.box.querySelector('#warnings');
    const items = [];
    const storageHref = screenFor(this.ui, 'storage') ? '#/storage' : undefined;
    if (waitingTooLong(s.oldestWaitingAt)) {
      items.push(h('a', { class: 'warn', id: 'warn-waiting', href: storageHref,
        text: this.tr('strip_warn_waiting', { n: this.num(s.pending), d: this.num(daysSince(s.oldestWaitingAt)) }) }));
    }
    const health = await storageHealth().catch(() => null);
    if (health?.low) {
      items.push(h('a', { class: 'warn', id: 'warn-storage', href: storageHref,
        text: this.tr('strip_warn_storage') }));
    }
    // Replaced only when the words change: role=alert re-announces every replacement.
    const said = items.map((i) => i.textContent).join('\n');
    if (box.dataset.said !== said) {
      box.dataset.said = said;
      box.replaceChildren(...items);
    }
    box.hidden = !items.length;
  }

  async showRefused(details) {
    if (!details.open) return;
    const ui = this.ui;
    const items = await ui.engine.refusedChanges();
    const list = details.querySelector('ul');
    if (!items.length) {
      list.replaceChildren(h('li', { text: this.tr('strip_refused_none') }));
      return;
    }
    list.replaceChildren(...items.map((p) => {
      const view = ui.engine.view(p.record_id);
      const title = view ? `${ui.kindLabel(view.kind)}: ${ui.title(view)}` : p.record_id.slice(0, 8);
      const label = screenFor(this.ui, 'record')
        ? h('a', { href: `#/record/${encodeURIComponent(p.record_id)}` }, h('bdi', { text: title }))
        : h('bdi', { text: title });
      const status = this.tr(`strip_status_${p.status}`);
      return h('li', { 'data-record': p.record_id }, label, ' — ',
        h('span', { class: 'refusal-status', text: status.startsWith('strip_') ? p.status : status }), ': ',
        ui.reasonNode(p.reason, { class: 'reason' }));
    }));
  }
}
