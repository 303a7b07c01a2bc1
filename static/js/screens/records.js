// The records screen: the list of records on this device (name search, kind chips, each
// record's sync state) and the form of each kind, built from the served JSON Schema.
//
// Routes: #/records (list), #/records/new/<kind>, #/records/edit/<id>. A form in progress
// is kept as a sealed draft (vault key DRAFT_KEY) on every change, so a lock, a reload or a
// language switch never loses it; saving or cancelling discards it. The browser checks the
// record exactly as the server would (forms/validate.js) before it is queued.

import { h } from '../dom.js';
import { KINDS } from '../engine.js';
import { RANGES, sectionsFor } from '../forms/layout.js';
import { utcToday, validateRecord } from '../forms/validate.js';
import { FormContext, formatPartialDate, HIDDEN, makeWidget } from '../forms/widgets.js';

export const DRAFT_KEY = 'draft:record-form';

const STRINGS = {
  rec_new: { en: 'New', ar: 'جديد' },
  rec_all: { en: 'All', ar: 'الكل' },
  rec_filter: { en: 'Show kind', ar: 'عرض النوع' },
  rec_edit: { en: 'Edit', ar: 'تعديل' },
  rec_open: { en: 'Open', ar: 'فتح' },
  rec_save: { en: 'Save', ar: 'حفظ' },
  rec_cancel: { en: 'Cancel', ar: 'إلغاء' },
  rec_delete: { en: 'Delete', ar: 'حذف' },
  rec_delete_confirm: { en: 'Delete this record?', ar: 'حذف هذا السجل؟' },
  rec_remove: { en: 'Remove', ar: 'إزالة' },
  rec_add_name: { en: 'Add a name', ar: 'أضف اسماً' },
  rec_add_note: { en: 'Add a note', ar: 'أضف ملاحظة' },
  rec_clear: { en: 'Clear', ar: 'مسح' },
  rec_precision_day: { en: 'Exact day', ar: 'يوم محدد' },
  rec_precision_month: { en: 'Month only', ar: 'الشهر فقط' },
  rec_precision_year: { en: 'Year only', ar: 'السنة فقط' },
  rec_date_precision: { en: 'Known to', ar: 'معروف حتى' },
  rec_date_year: { en: 'Year', ar: 'السنة' },
  rec_date_month: { en: 'Month', ar: 'الشهر' },
  rec_date_day: { en: 'Day', ar: 'اليوم' },
  rec_place_search: { en: 'Search places (Arabic or English)', ar: 'ابحث عن مكان (بالعربية أو الإنجليزية)' },
  rec_no_place: { en: 'No place chosen.', ar: 'لم يُختر مكان.' },
  rec_no_gazetteer: {
    en: 'The list of places is not on this device yet (log in online once).',
    ar: 'قائمة الأماكن ليست على هذا الجهاز بعد (سجّل الدخول مع اتصال مرة واحدة).',
  },
  rec_no_incident: { en: 'Not linked to an incident', ar: 'غير مرتبط بحادثة' },
  rec_no_incidents_here: { en: 'No incidents on this device yet.', ar: 'لا توجد حوادث على هذا الجهاز بعد.' },
  rec_problems: {
    en: '{n} fields need attention before saving.',
    ar: 'يجب تصحيح {n} من الحقول قبل الحفظ.',
  },
  rec_saved_offline: { en: 'Saved on this device.', ar: 'حُفظ على هذا الجهاز.' },
  rec_draft_waiting: { en: 'You have an unfinished form:', ar: 'لديك نموذج لم يكتمل:' },
  rec_continue: { en: 'Continue', ar: 'متابعة' },
  rec_discard: { en: 'Discard', ar: 'تجاهل' },
  rec_no_match: { en: 'No record matches.', ar: 'لا يوجد سجل مطابق.' },
  rec_not_found: { en: 'This record is not on this device.', ar: 'هذا السجل ليس على هذا الجهاز.' },
  rec_sync_waiting: { en: 'Waiting to send', ar: 'بانتظار الإرسال' },
  rec_sync_sent: { en: 'Sent', ar: 'أُرسل' },
  rec_sync_conflict: { en: 'Conflict', ar: 'تعارض' },
  rec_sync_rejected: { en: 'Refused', ar: 'مرفوض' },
  rec_section_required: { en: 'Required', ar: 'حقول مطلوبة' },
  rec_section_person: { en: 'The person', ar: 'الشخص' },
  rec_section_event: { en: 'What happened', ar: 'ما الذي حدث' },
  rec_section_need: { en: 'The need', ar: 'الاحتياج' },
  rec_section_where_when: { en: 'When and where', ar: 'متى وأين' },
  rec_section_enquirer: { en: 'Who is asking, and consent', ar: 'السائل والموافقة' },
  rec_section_notes: { en: 'Notes', ar: 'الملاحظات' },
  rec_section_source: { en: 'Source and handling', ar: 'المصدر والتعامل' },
  rec_section_other: { en: 'Other details', ar: 'تفاصيل أخرى' },
  rec_required_hint: { en: 'Fields marked * are required.', ar: 'الحقول المعلَّمة بـ * مطلوبة.' },
};

// What outlives one render (a language switch re-renders the screen): the list's filters
// and the form in progress.
const screenState = { query: '', kind: '', draft: null };
const hooked = new WeakSet(); // engines whose status events refresh the badges

const sameRoute = (a, b) => a && b && a.mode === b.mode && a.kind === b.kind && a.id === b.id;

function messageFor(ui, result, path) {
  const rule = result.rules[path];
  if (rule) return rule.message[ui.lang] || rule.message.en;
  const code = result.errors[path];
  const errors = ui.engine.schemas?.vocabularies?.errors || {};
  const text = errors[code] || errors.invalid_type; // "invalid": only the JSON Schema objected
  return text?.[ui.lang] || text?.en || code;
}

const emptyish = (v) => v === null || v === undefined || v === '' || (Array.isArray(v) && !v.length);
const same = (a, b) => (emptyish(a) && emptyish(b)) || JSON.stringify(a) === JSON.stringify(b);

// -- the list --------------------------------------------------------------------------

async function syncState(engine, id) {
  if (typeof engine.recordSyncState !== 'function') return null;
  try {
    return await engine.recordSyncState(id);
  } catch {
    return null;
  }
}

function renderList(ui) {
  const { engine } = ui;
  const list = h('ul', { id: 'records', 'aria-live': 'polite' });
  const chips = h('div', { class: 'chips', role: 'group', 'aria-label': ui.tr('rec_filter') },
    ['', ...KINDS].map((kind) => h('button', { type: 'button', class: 'chip', 'data-kind': kind,
      'aria-pressed': String(screenState.kind === kind),
      onclick: (e) => {
        screenState.kind = kind;
        for (const b of chips.children) b.setAttribute('aria-pressed', String(b === e.currentTarget));
        fill();
      } }, kind ? ui.kindLabel(kind) : ui.tr('rec_all'))));
  const search = h('input', { type: 'search', id: 'search', dir: 'auto', value: screenState.query,
    placeholder: ui.tr('search'), 'aria-label': ui.tr('search'),
    oninput: (e) => { screenState.query = e.target.value; fill(); } });

  const showState = (badge, id) => syncState(engine, id).then((s) => {
    if (!s?.state) return;
    badge.hidden = false;
    badge.dataset.state = s.state;
    badge.textContent = ui.tr(`rec_sync_${s.state}`);
    if (s.reason) badge.title = ui.reasonText(s.reason);
  });
  const item = (v) => {
    const values = v.values;
    const place = values.place_id || values.last_seen_place_id;
    const date = values.occurred_date || values.last_seen_date || values.date_of_death;
    const badge = h('span', { class: 'badge sync', hidden: true, 'data-badge-for': v.id });
    showState(badge, v.id);
    return h('li', { class: 'record', 'data-id': v.id, 'data-kind': v.kind },
      h('div', { class: 'line' },
        h('a', { class: 'title', href: `#/record/${v.id}` }, h('bdi', { text: ui.title(v) })),
        badge,
        typeof engine.recordSyncState !== 'function' && Object.keys(v.conflicts || {}).length ? h('span', { class: 'badge conflict', text: ui.tr('conflict') }) : null,
        v.needs_review ? h('span', { class: 'badge', text: ui.tr('needs_review') }) : null),
      h('div', { class: 'meta' },
        h('span', { class: 'kind', text: ui.kindLabel(v.kind) }),
        date ? h('span', { class: 'date' }, h('bdi', { text: formatPartialDate(date, ui.lang) })) : null,
        place && engine.places?.get(place)
          ? h('span', { class: 'place' }, h('bdi', { text: engine.places.label(place, ui.lang) })) : null,
        h('a', { class: 'edit', href: `#/records/edit/${v.id}` }, ui.tr('rec_edit'))));
  };

  const fill = () => {
    let views = engine.list({ query: screenState.query, limit: 500 }).filter(Boolean);
    if (screenState.kind) views = views.filter((v) => v.kind === screenState.kind);
    views = views.slice(0, 200);
    const empty = screenState.query || screenState.kind ? 'rec_no_match' : 'no_records';
    list.replaceChildren(...(views.length ? views.map(item) : [h('li', { class: 'empty', text: ui.tr(empty) })]));
  };
  fill();

  const newLinks = h('nav', { class: 'new-buttons', 'aria-label': ui.tr('rec_new') },
    KINDS.map((kind) => h('a', { class: 'new button', 'data-kind': kind, href: `#/records/new/${kind}` },
      `+ ${ui.kindLabel(kind)}`)));
  const box = h('div', { class: 'records-screen' }, draftBanner(ui), newLinks,
    h('section', { class: 'tools' }, search, chips),
    h('h2', { text: ui.tr('records') }), list);
  box.refreshList = fill;
  box.refreshBadges = () => {
    for (const badge of list.querySelectorAll('[data-badge-for]')) showState(badge, badge.dataset.badgeFor);
  };
  // A sync changes records' states without changing the records: follow the status.
  if (!hooked.has(engine)) {
    hooked.add(engine);
    engine.addEventListener('status', () => shown?.refreshBadges?.());
  }
  return box;
}

function draftBanner(ui) {
  const banner = h('p', { class: 'notice draft-banner', hidden: true });
  const show = (draft) => {
    if (!draft?.route) return;
    const r = draft.route;
    banner.replaceChildren(h('span', { text: `${ui.tr('rec_draft_waiting')} ${ui.kindLabel(draft.kind)} ` }),
      h('a', { href: r.mode === 'new' ? `#/records/new/${r.kind}` : `#/records/edit/${r.id}`, class: 'button' },
        ui.tr('rec_continue')),
      h('button', { type: 'button', class: 'secondary', onclick: async () => {
        await discardDraft(ui);
        banner.hidden = true;
      } }, ui.tr('rec_discard')));
    banner.hidden = false;
  };
  if (screenState.draft) show(screenState.draft);
  else loadDraft(ui).then(show);
  return banner;
}

// -- drafts ------------------------------------------------------------------------------

async function loadDraft(ui) {
  try {
    return (await ui.engine.vault?.getSealed(DRAFT_KEY)) || null;
  } catch {
    return null;
  }
}

let draftWrite = Promise.resolve();

function saveDraft(ui, draft) {
  screenState.draft = draft;
  // Writes are chained so an older draft never lands after a newer one.
  draftWrite = draftWrite.then(() => ui.engine.vault?.putSealed(DRAFT_KEY, draft)).catch(() => {});
  return draftWrite;
}

async function discardDraft(ui) {
  screenState.draft = null;
  draftWrite = draftWrite.then(() => ui.engine.vault?.put(DRAFT_KEY, null)).catch(() => {});
  await draftWrite;
}

// -- the form ----------------------------------------------------------------------------

function conflictBox(ui, id, name, candidates) {
  const view = ui.engine.view(id);
  const coordinator = ui.engine.roleIn(view.values.team_id) === 'coordinator';
  return h('div', { class: 'conflict', 'data-field': name },
    h('strong', { text: ui.tr('conflict') }),
    h('ul', {}, candidates.map((c) => h('li', {}, h('bdi', { text: JSON.stringify(c.value) }),
      coordinator ? h('button', { type: 'button', onclick: () => ui.engine.resolveRecord(id,
        { [name]: c.value }) }, ui.tr('choose_value')) : null))));
}

async function renderForm(ui, route) {
  const { engine } = ui;
  const schemas = engine.schemas;
  if (!schemas) return h('p', { class: 'error', role: 'alert', text: ui.tr('no_schemas') });
  const view = route.mode === 'edit' ? engine.view(route.id) : null;
  if (route.mode === 'edit' && (!view || view.deleted)) {
    return h('p', { class: 'error', role: 'alert', text: ui.tr('rec_not_found') });
  }
  const kind = view ? view.kind : route.kind;
  const schema = schemas.kinds?.[kind];
  // A copy cached from a server before `x-fields` cannot drive these forms: it is
  // replaced at the next unlock with the network.
  if (!schema?.['x-fields']) return h('p', { class: 'error', role: 'alert', text: ui.tr('no_schemas') });

  // The draft for this route: in memory (a language switch), else sealed (a lock or reload).
  let draft = sameRoute(screenState.draft?.route, route) ? screenState.draft : null;
  if (!draft) {
    const sealed = await loadDraft(ui);
    if (sameRoute(sealed?.route, route)) draft = sealed;
  }
  if (!draft) {
    draft = { route, kind, id: view?.id || crypto.randomUUID(), states: {}, touched: false };
  }
  screenState.draft = draft;

  const base = view ? view.values : {};
  const conflicts = view?.conflicts || {};
  const coordinator = ui.isCoordinator();
  const widgets = new Map();
  let result = null;
  let tried = false;

  const ctx = new FormContext({ ui, schema, kind, onChange: (name) => {
    draft.states[name] = widgets.get(name)?.state;
    draft.touched = true;
    saveDraft(ui, draft);
    if (tried) check();
  } });

  const widgetFor = (name) => {
    if (view && name === 'team_id') return null; // a record's team is chosen once, at creation
    const initial = name in draft.states ? draft.states[name] : base[name];
    const w = makeWidget(ctx, name, initial, { coordinator });
    if (!w) return null;
    widgets.set(name, w);
    if (conflicts[name]) {
      for (const c of w.el.querySelectorAll('input,select,textarea,button')) c.disabled = true;
      w.el.append(conflictBox(ui, view.id, name, conflicts[name]));
    }
    return w.el;
  };

  const sections = sectionsFor(schema).map(([section, names], index) => {
    const items = [];
    for (const name of names) {
      if (widgets.has(name) || HIDDEN.has(name)) continue;
      const pair = RANGES.find((r) => r[0] === name);
      if (pair && names.includes(pair[1])) {
        items.push(h('div', { class: 'range' }, widgetFor(pair[0]), widgetFor(pair[1])));
      } else {
        items.push(widgetFor(name));
      }
    }
    if (!items.some(Boolean)) return null;
    const hasValue = names.some((n) => !emptyish(name_value(n)));
    const legend = ui.tr(`rec_section_${section}`);
    if (index === 0) {
      return h('fieldset', { class: 'section', 'data-section': section },
        h('legend', { text: legend }), h('p', { class: 'hint', text: ui.tr('rec_required_hint') }), items);
    }
    return h('details', { class: 'section', 'data-section': section, open: hasValue || section === 'event' || null },
      h('summary', { text: legend }), items);
  });

  function name_value(n) {
    return n in draft.states ? draft.states[n] : base[n];
  }

  const summary = h('p', { class: 'error summary', id: 'form-summary', role: 'alert' });
  const form = h('form', { id: 'record-form', class: 'card record-form', 'data-kind': kind,
    'data-id': view?.id || '', novalidate: true },
  h('h2', {}, view ? `${ui.tr('rec_edit')}: ` : `${ui.tr('rec_new')}: `, ui.kindLabel(kind),
    view ? [' ', h('bdi', { class: 'title', text: ui.title(view) })] : null),
  sections,
  summary,
  h('div', { class: 'row actions' },
    h('button', { type: 'submit', id: 'save' }, ui.tr('rec_save')),
    h('button', { type: 'button', id: 'cancel', class: 'secondary', onclick: async () => {
      await discardDraft(ui);
      ui.go('#/records');
    } }, ui.tr('rec_cancel')),
    view ? h('button', { type: 'button', id: 'delete', class: 'danger', onclick: async () => {
      if (!confirm(ui.tr('rec_delete_confirm'))) return;
      await engine.deleteRecord(view.id);
      await discardDraft(ui);
      ui.go('#/records');
    } }, ui.tr('rec_delete')) : null));

  function body() {
    const out = { ...base, id: draft.id, kind, team_id: base.team_id || ui.engine.teamIds()[0] };
    if (!view) {
      out.schema_version = schemas.schema_version;
      out.reported_at = draft.reported_at || (draft.reported_at = new Date().toISOString());
    }
    for (const [name, w] of widgets) {
      if (conflicts[name]) continue; // settled by a resolve, never overwritten by an edit
      const v = w.value();
      if (emptyish(v) && !(name in base)) delete out[name];
      else out[name] = v;
    }
    // A derived field (age group, date precision) the user left alone follows its source
    // when the source was edited, as the server derives it when it is not sent.
    for (const rule of schema['x-cross-field-rules'] || []) {
      const [source, target] = rule.rule === 'derive_age_group' ? [rule.source, rule.target]
        : rule.rule === 'date_precision' ? [rule.field, rule.precision_field] : [];
      if (source && source in draft.states && !(target in draft.states)) delete out[target];
    }
    return out;
  }

  function showErrors() {
    for (const p of form.querySelectorAll('.field-error')) p.textContent = '';
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    const paths = Object.keys(result.errors);
    for (const path of paths) {
      // "alternate_names.1" and "notes.0.text" show on their list; a note on its own line.
      const parts = path.split('.');
      const candidates = [path, parts.slice(0, 2).join('.'), parts[0]];
      const line = candidates.map((c) => form.querySelector(`[data-error-for="${CSS.escape(c)}"]`)).find(Boolean)
        || summary;
      const text = messageFor(ui, result, path);
      if (line !== summary) {
        line.textContent = line.textContent ? `${line.textContent} ${text}` : text;
        const field = line.closest('.field, li');
        field?.closest('details')?.setAttribute('open', '');
        field?.querySelector('input,select,textarea')?.setAttribute('aria-invalid', 'true');
      }
    }
    summary.textContent = paths.length ? ui.tr('rec_problems', { n: paths.length }) : '';
    form.dataset.errors = paths.join(' ');
  }

  function check() {
    result = validateRecord(schema, body(), { today: utcToday() });
    showErrors();
    return result;
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    tried = true;
    const r = check();
    if (!r.valid) {
      form.querySelector('[aria-invalid="true"]')?.focus();
      return;
    }
    const cleaned = r.record;
    const save = form.querySelector('#save');
    if (save.disabled) return; // a second click while the first save is being written
    save.disabled = true;
    try {
      if (view) {
        const changed = {};
        for (const [name, value] of Object.entries(cleaned)) {
          if (['id', 'kind', 'schema_version'].includes(name) || conflicts[name]) continue;
          if (!same(value, base[name])) changed[name] = value;
        }
        await engine.updateRecord(view.id, changed);
      } else {
        const values = {};
        for (const [name, value] of Object.entries(cleaned)) {
          if (!['id', 'kind', 'schema_version'].includes(name) && value !== null) values[name] = value;
        }
        await engine.createRecord(kind, values, { id: draft.id });
      }
      await discardDraft(ui);
      ui.go('#/records');
    } catch (exc) {
      save.disabled = false;
      summary.textContent = exc.message || String(exc);
    }
  });
  return form;
}

function parseRoute(params) {
  const [mode, arg] = params;
  if (mode === 'new' && KINDS.includes(arg)) return { mode: 'new', kind: arg, id: null };
  if (mode === 'edit' && arg) return { mode: 'edit', kind: null, id: arg };
  return { mode: 'list', kind: null, id: null };
}

let shown = null;
const forgetting = new WeakSet(); // engines whose lock clears this screen's memory

export default {
  id: 'records',
  nav: { en: 'Records', ar: 'السجلات' },
  strings: STRINGS,
  async render(ui, params = []) {
    if (!forgetting.has(ui.engine)) {
      // Locking drops every plaintext: the draft lives on sealed, the search text goes.
      forgetting.add(ui.engine);
      ui.engine.addEventListener('locked', () => {
        screenState.draft = null;
        screenState.query = '';
      });
    }
    const route = parseRoute(params);
    shown = route.mode === 'list' ? renderList(ui) : await renderForm(ui, route);
    return shown;
  },
  onRecords() {
    shown?.refreshList?.();
  },
};
