// One record, #/record/<id>: its values with translated labels, its sync state, open
// conflicts (candidates side by side with who, when and from which device) and its
// history — from the hub's GET /records/<id>/history when online, else from the
// changes this device holds (static/js/history.js replays them).

import { h } from '../dom.js';
import { historyOf } from '../history.js';
import { Directory, STRINGS, candidateCards, coordinates, fieldLabel, formatTime, formatValue,
  hlcTime, isoTime, schemaOrder } from './coord-common.js';

// Fields every record has that say nothing to a reader.
const HIDDEN = new Set(['id', 'kind', 'schema_version', 'team_id']);

/** The record's fields in reading order. */
function orderedFields(ui, view) {
  return schemaOrder(ui, view.kind, Object.keys(view.values).filter((f) => !HIDDEN.has(f)));
}

/** The engine's per-record sync state (another module provides it), as {state, reason}. */
async function syncState(ui, id) {
  const got = await ui.engine.recordSyncState?.(id);
  if (!got) return null;
  return typeof got === 'string' ? { state: got } : got;
}

function valuesList(ui, view, directory) {
  const rows = orderedFields(ui, view).map((f) => [
    h('dt', { text: ui.label(view.kind, f) }),
    h('dd', { 'data-field': f }, h('bdi', { text: formatValue(ui, view.kind, f, view.values[f], directory) })),
  ]);
  return h('dl', { class: 'values' }, rows);
}

function conflictsSection(ui, view, directory) {
  const fields = schemaOrder(ui, view.kind, Object.keys(view.conflicts || {}));
  if (!fields.length && !view.delete_conflict) return null;
  const coordinator = coordinates(ui, view);
  return h('section', { class: 'record-conflicts', id: 'record-conflicts' },
    h('h3', { text: ui.tr('conflict') }),
    view.delete_conflict ? h('p', { class: 'hint', text: ui.tr('rd_delete_conflict_note') }) : null,
    fields.map((f) => h('div', { class: 'conflict-field', 'data-field': f },
      h('h4', { text: fieldLabel(ui, view.kind, f) }),
      candidateCards(ui, view, f, view.conflicts[f], directory, coordinator && !f.startsWith('@')
        ? async (value) => { await ui.engine.resolveRecord(view.id, { [f]: value }); ui.refresh(); }
        : null))),
    coordinator ? null : h('p', { class: 'hint', text: ui.tr('rd_conflict_waits') }));
}

function byReadingOrder(ui, kind, fields) {
  const order = schemaOrder(ui, kind, fields.map((f) => f.field));
  return [...fields].sort((a, b) => order.indexOf(a.field) - order.indexOf(b.field));
}

/** How a change reached the hub, when it was not a device's own sync. */
function viaText(ui, via) {
  if (!via || via.startsWith('device:')) return '';
  if (via === 'rest') return ui.tr('rd_via_rest');
  if (via.startsWith('bundle:')) return ui.tr('rd_via_bundle');
  if (via.startsWith('peer') || via.startsWith('hub')) return ui.tr('rd_via_hub', { name: via.split(':').slice(1).join(':') || via });
  return via;
}

function historyEntry(ui, kind, e, directory) {
  const when = e.device_time ? formatTime(ui, e.device_time) : hlcTime(ui, e.hlc);
  const who = e.author_name && !directory.users[e.author] ? e.author_name : directory.userName(e.author);
  const fields = e.purged ? [h('li', { text: ui.tr('rd_history_purged') })]
    : byReadingOrder(ui, kind, e.fields || []).map((f) => h('li', { class: 'change', 'data-field': f.field },
      h('span', { class: 'field', text: fieldLabel(ui, kind, f.field) }), ': ',
      h('bdi', { class: f.from === null || f.from === undefined ? 'from empty' : 'from', text: formatValue(ui, kind, f.field, f.from, directory) }),
      h('span', { class: 'arrow', 'aria-hidden': 'true', text: ui.lang === 'ar' ? ' ← ' : ' → ' }),
      h('span', { class: 'visually-hidden', text: ` ${ui.tr('rd_history_to')} ` }),
      h('bdi', { class: 'to', text: formatValue(ui, kind, f.field, f.to, directory) })));
  return h('li', { class: 'history-entry', 'data-op': e.op_id, 'data-action': e.action },
    h('p', { class: 'head' },
      h('strong', { text: ui.tr(`rd_action_${e.action}`) }), ' · ',
      h('bdi', { class: 'who', text: who }), ' · ',
      h('bdi', { class: 'when', text: when }), ' · ',
      h('bdi', { class: 'device', title: e.origin_id, text: directory.deviceName(e.origin_id) }),
      viaText(ui, e.via) ? h('span', { class: 'via hint' }, ' · ', h('bdi', { text: viaText(ui, e.via) })) : null,
      e.received_at ? h('span', { class: 'received hint' }, ' · ', ui.tr('rd_history_received'), ' ',
        h('bdi', { text: isoTime(ui, e.received_at) })) : null),
    fields.length ? h('ul', {}, fields) : null);
}

async function loadHistory(ui, view, directory) {
  if (navigator.onLine) {
    try {
      const answer = await ui.api('GET', `/records/${encodeURIComponent(view.id)}/history`);
      await directory.learn(Object.fromEntries(answer.changes.map((c) => [c.author,
        { username: c.author_name }])));
      return { source: 'hub', entries: answer.changes };
    } catch {
      // Not on the hub yet (made offline), or the network dropped: the device's log serves.
    }
  }
  const changes = await ui.engine.replica.changesOf(view.id);
  return { source: 'device', entries: historyOf(view.kind, changes) };
}

async function historySection(ui, view, directory) {
  const { source, entries } = await loadHistory(ui, view, directory);
  return h('section', { class: 'history', id: 'history', 'data-source': source },
    h('h3', { text: ui.tr('rd_history') }),
    h('p', { class: 'hint', text: ui.tr(source === 'hub' ? 'rd_history_from_hub' : 'rd_history_from_device') }),
    entries.length ? h('ol', { reversed: true }, [...entries].reverse().map((e) => historyEntry(ui, view.kind, e, directory)))
      : h('p', { text: ui.tr('rd_history_empty') }));
}

export default {
  id: 'record',
  strings: {
    ...STRINGS,
    rd_history: { en: 'History', ar: 'السجل التاريخي' },
    rd_history_from_hub: { en: 'As the server holds it.', ar: 'كما يحفظه الخادم.' },
    rd_history_from_device: { en: 'From the changes on this device (offline).', ar: 'من التغييرات المحفوظة على هذا الجهاز (دون اتصال).' },
    rd_history_empty: { en: 'No changes yet.', ar: 'لا تغييرات بعد.' },
    rd_history_purged: { en: 'Content erased.', ar: 'مُحي المحتوى.' },
    rd_history_received: { en: 'received', ar: 'استُلم' },
    rd_history_to: { en: 'to', ar: 'إلى' },
    rd_action_create: { en: 'Created', ar: 'أُنشئ' },
    rd_action_patch: { en: 'Changed', ar: 'عُدّل' },
    rd_action_resolve: { en: 'Conflict resolved', ar: 'حُسم التعارض' },
    rd_action_delete: { en: 'Deleted', ar: 'حُذف' },
    rd_action_undelete: { en: 'Restored', ar: 'استُعيد' },
    rd_action_merge_into: { en: 'Merged', ar: 'دُمج' },
    rd_action_purge: { en: 'Erased', ar: 'مُحي' },
    rd_conflict_waits: { en: 'A coordinator will choose between these values.', ar: 'سيختار المنسق بين هذه القيم.' },
    rd_delete_conflict_note: { en: 'Deleted on one device while edited on another.', ar: 'حُذف على جهاز وعُدّل على جهاز آخر.' },
    rd_via_rest: { en: 'through the server API', ar: 'عبر واجهة الخادم' },
    rd_via_bundle: { en: 'by file (bundle)', ar: 'بملف (حزمة)' },
    rd_via_hub: { en: 'from hub {name}', ar: 'من الخادم {name}' },
    rd_sync_state: { en: 'Sync', ar: 'المزامنة' },
    // The states of engine.recordSyncState(id).
    rd_sync_draft: { en: 'draft', ar: 'مسودة' },
    rd_sync_waiting: { en: 'waiting to send', ar: 'بانتظار الإرسال' },
    rd_sync_sent: { en: 'sent', ar: 'أُرسل' },
    rd_sync_conflict: { en: 'conflicting values', ar: 'قيم متعارضة' },
    rd_sync_rejected: { en: 'refused by the server', ar: 'رفضه الخادم' },
    rd_back_to_records: { en: 'All records', ar: 'كل السجلات' },
  },
  async render(ui, [id]) {
    const view = id ? ui.engine.view(id) : null;
    if (!view) return h('p', { class: 'error', role: 'alert', text: ui.tr('no_such_record') });
    const directory = await Directory.load(ui);
    const state = await syncState(ui, id);
    const box = h('article', { class: 'record-detail', 'data-id': id, 'data-kind': view.kind },
      h('p', {}, h('a', { href: '#/records', text: ui.tr('rd_back_to_records') })),
      h('header', { class: 'record-head' },
        h('h2', {}, h('span', { class: 'kind', text: ui.kindLabel(view.kind) }), ' ',
          h('bdi', { class: 'title', text: ui.title(view) })),
        state ? h('span', { class: `badge sync-${state.state}`, id: 'record-sync', 'data-state': state.state },
          ui.tr('rd_sync_state'), ': ', ui.tr(`rd_sync_${state.state}`) === `rd_sync_${state.state}`
            ? state.state : ui.tr(`rd_sync_${state.state}`),
          state.reason ? [' — ', ui.reasonNode(state.reason)] : null) : null,
        view.needs_review ? h('span', { class: 'badge', text: ui.tr('needs_review') }) : null,
        view.purged || view.deleted ? null
          : h('a', { class: 'button', id: 'edit-record', href: `#/records/edit/${encodeURIComponent(id)}`,
            text: ui.tr('edit') })),
      conflictsSection(ui, view, directory),
      valuesList(ui, view, directory),
      await historySection(ui, view, directory));
    return box;
  },
  onRecords(ui, detail) {
    const id = ui.route().params[0];
    if (ui.screen?.id === 'record' && detail?.ids?.includes(id)) ui.refresh();
  },
};
