// The verification queue (coordinators), #/review: records of their teams still to be
// corroborated, confirmed or discounted (verification_status of the data model), with
// identity and fate conflicts first; and assigning person records (casualty, missing
// person) to a reporter of the team (`assigned_to`, itself a change that syncs).
// Works from the device's copy; the list of team members comes from the hub when online
// and from the sealed directory otherwise.

import { h } from '../dom.js';
import { Directory, PERSON_KINDS, STRINGS, formatValue } from './coord-common.js';

// Settled states leave the queue; the order of the rest says what to look at first.
const SETTLED = new Set(['confirmed', 'discounted']);
const URGENCY = { contested: 0, reported: 1, single_source: 2, corroborated: 3 };
const ACTIONS = ['corroborated', 'confirmed', 'discounted'];
const LIMIT = 100;

/**
 * The queue: unsettled records (or any with an identity/fate conflict) of the teams the
 * user coordinates, most urgent first, as in-memory states (plain fields read as stored;
 * the REST view is built only for the ones shown, since a device may hold 20,000).
 */
export function reviewQueue(ui) {
  const r = ui.engine.replica;
  if (!r) return [];
  const status = (s) => s.values.verification_status || 'reported';
  return [...r.states.values()]
    .filter((s) => !s.deleted && !s.purged && ui.engine.roleIn(s.values.team_id) === 'coordinator'
      && (s.needs_review || !SETTLED.has(status(s))))
    .sort((a, b) => Number(b.needs_review) - Number(a.needs_review)
      || (URGENCY[status(a)] ?? 9) - (URGENCY[status(b)] ?? 9)
      || (a.updated_at < b.updated_at ? 1 : -1));
}

async function write(ui, item, values) {
  const line = item.querySelector('.error');
  line.textContent = '';
  try {
    await ui.engine.updateRecord(item.dataset.id, values);
  } catch (exc) {
    line.textContent = exc.code === 'conflict_open' ? ui.tr('rv_settle_conflict_first') : ui.errorText(exc);
  }
}

function assignControl(ui, view, directory) {
  const team = view.values.team_id;
  const members = (directory.members[team] || []).filter((m) => !m.disabled);
  const current = view.values.assigned_to || '';
  if (!members.length) {
    return h('p', { class: 'hint assign' }, ui.tr('rv_assigned_to_now'), ' ',
      h('bdi', { text: formatValue(ui, view.kind, 'assigned_to', current || null, directory) }),
      ' — ', ui.tr('rv_members_need_network'));
  }
  const id = `assign-${view.id}`;
  const reporters = members.filter((m) => m.role === 'reporter');
  const select = h('select', { id, class: 'assign-select', 'data-id': view.id },
    h('option', { value: '', selected: !current }, ui.tr('rv_not_assigned')),
    reporters.map((m) => h('option', { value: m.user_id, selected: m.user_id === current },
      m.display_name || m.username)),
    current && !reporters.some((m) => m.user_id === current)
      ? h('option', { value: current, selected: true }, directory.userName(current)) : null);
  select.addEventListener('change', () => write(ui, select.closest('li'), { assigned_to: select.value || null }));
  return h('label', { class: 'assign', for: id }, h('span', { text: ui.tr('rv_assign_to') }), select);
}

// What helps decide at a glance, per kind (the record's page has everything).
const SUMMARY = {
  incident: ['occurred_date', 'location_detail', 'killed_min', 'description'],
  casualty: ['outcome', 'cause', 'occurred_date', 'location_detail'],
  missing_person: ['disappearance_type', 'fate_status', 'last_seen_date', 'last_seen_location_detail'],
  supply_need: ['quantity_needed', 'unit', 'priority', 'requesting_org'],
};

function summary(ui, view) {
  const parts = (SUMMARY[view.kind] || []).filter((f) => view.values[f] !== undefined && view.values[f] !== null
    && view.values[f] !== '').map((f) => {
    const text = formatValue(ui, view.kind, f, view.values[f]);
    return text.length > 120 ? `${text.slice(0, 119)}…` : text;
  });
  return parts.length ? h('p', { class: 'summary' }, h('bdi', { text: parts.join(' · ') })) : null;
}

function queueItem(ui, view, directory) {
  const status = view.values.verification_status || 'reported';
  const item = h('li', { class: 'card review-item', 'data-id': view.id, 'data-status': status },
    h('h3', {},
      h('span', { class: 'kind', text: ui.kindLabel(view.kind) }), ' ',
      h('a', { href: `#/record/${encodeURIComponent(view.id)}` }, h('bdi', { text: ui.title(view) })),
      view.needs_review ? h('span', { class: 'badge conflict', text: ui.tr('rv_identity_or_fate_conflict') }) : null),
    summary(ui, view),
    h('p', { class: 'status-line' }, ui.label(view.kind, 'verification_status'), ': ',
      h('strong', { class: 'verification', text: ui.codeLabel('verification_status', status) }),
      view.values.source_count ? [' · ', ui.label(view.kind, 'source_count'), ': ',
        h('bdi', { text: String(view.values.source_count) })] : null),
    h('div', { class: 'row actions' }, ACTIONS.filter((code) => code !== status).map((code) => h('button', {
      type: 'button', class: code === 'discounted' ? 'danger' : '', 'data-verify': code,
      onclick: () => write(ui, item, { verification_status: code }) }, ui.tr(`rv_verify_${code}`)))),
    PERSON_KINDS.includes(view.kind) ? assignControl(ui, view, directory) : null,
    h('p', { class: 'error', role: 'alert' }));
  return item;
}

export default {
  id: 'review',
  nav: { en: 'Review', ar: 'المراجعة' },
  allowed: (ui) => ui.isCoordinator(),
  strings: {
    ...STRINGS,
    rv_review_title: { en: 'Verification queue', ar: 'قائمة التحقق' },
    rv_review_help: {
      en: 'Records not yet confirmed or discounted; identity and fate conflicts first.',
      ar: 'سجلات لم تُؤكَّد ولم تُستبعد بعد؛ تعارضات الهوية والمصير أولاً.',
    },
    rv_review_empty: { en: 'Nothing waits for review.', ar: 'لا شيء بانتظار المراجعة.' },
    rv_review_more: { en: 'Showing {n} of {total}.', ar: 'يُعرض {n} من {total}.' },
    rv_verify_corroborated: { en: 'Corroborate', ar: 'عزِّز' },
    rv_verify_confirmed: { en: 'Confirm', ar: 'أكِّد' },
    rv_verify_discounted: { en: 'Discount', ar: 'استبعِد' },
    rv_identity_or_fate_conflict: { en: 'Identity or fate conflict', ar: 'تعارض في الهوية أو المصير' },
    rv_assign_to: { en: 'Assign to reporter', ar: 'إسناد إلى مُبلِّغ' },
    rv_assigned_to_now: { en: 'Assigned to:', ar: 'مُسنَد إلى:' },
    rv_not_assigned: { en: '— not assigned —', ar: '— غير مُسنَد —' },
    rv_members_need_network: { en: 'the team list needs the network once.', ar: 'تحتاج قائمة الفريق إلى الاتصال مرة واحدة.' },
    rv_settle_conflict_first: { en: 'Settle the conflict on this field first.', ar: 'احسم التعارض في هذا الحقل أولاً.' },
  },
  async render(ui) {
    const directory = await Directory.load(ui);
    const queue = reviewQueue(ui);
    const shown = queue.slice(0, LIMIT).map((s) => ui.engine.view(s.record_id));
    return h('div', { class: 'review-screen' },
      h('h2', { text: ui.tr('rv_review_title') }),
      h('p', { class: 'hint', text: ui.tr('rv_review_help') }),
      queue.length > LIMIT ? h('p', { class: 'hint', text: ui.tr('rv_review_more', { n: LIMIT, total: queue.length }) }) : null,
      shown.length ? h('ul', { class: 'review-list', id: 'review-list' }, shown.map((v) => queueItem(ui, v, directory)))
        : h('p', { class: 'empty', text: ui.tr('rv_review_empty') }));
  },
  onRecords(ui, detail) {
    const busy = document.activeElement?.matches?.('select.assign-select');
    if (!busy && detail?.ids?.length) ui.refresh();
  },
};
