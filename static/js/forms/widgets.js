// One widget per field of a record form, chosen from the served JSON Schema (`x-fields`
// names the server's field class): choices for vocabularies, a partial-date picker with
// its precision, numbers that take Arabic-Indic digits, lists, checkboxes, a place picker
// over the cached gazetteer and an incident picker over the records on the device.
//
// A widget is {name, el, state, value()}: `state` is plain JSON (what a sealed draft keeps,
// so a half-typed date survives a lock or a language switch); `value()` is what goes into
// the REST body that validate.js checks. Every control has a <label>; names, numbers and
// ids are wrapped in <bdi>. DOM calls only: record text never becomes markup.

import { h } from '../dom.js';
import { normaliseDigits } from './validate.js';

const RADIO_MAX = 4; // a required vocabulary this small shows all its choices at once

/** The locale for dates and month names: Levantine Arabic month names in Arabic. */
export function locale(lang) {
  return lang === 'ar' ? 'ar-SY' : 'en-GB';
}

/** A partial date (YYYY, YYYY-MM, YYYY-MM-DD) as the user's locale writes it. */
export function formatPartialDate(value, lang) {
  if (typeof value !== 'string') return '';
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(value);
  if (!m) return value;
  const at = new Date(Date.UTC(Number(m[1]), Number(m[2] || 1) - 1, Number(m[3] || 1)));
  const options = { timeZone: 'UTC', year: 'numeric' };
  if (m[2]) options.month = 'long';
  if (m[3]) options.day = 'numeric';
  return new Intl.DateTimeFormat(locale(lang), options).format(at);
}

function monthNames(lang) {
  const f = new Intl.DateTimeFormat(locale(lang), { month: 'long', timeZone: 'UTC' });
  return Array.from({ length: 12 }, (_, i) => f.format(new Date(Date.UTC(2001, i, 1))));
}

/** The text a widget's value is compared with; '' and [] mean "no value". */
const blank = (v) => v === null || v === undefined || v === '' || (Array.isArray(v) && !v.length);

export class FormContext {
  /**
   * @param {object} o ui (the shell), schema (the kind's JSON Schema), kind, onChange()
   */
  constructor({ ui, schema, kind, onChange }) {
    this.ui = ui;
    this.schema = schema;
    this.kind = kind;
    this.onChange = onChange;
  }

  get lang() { return this.ui.lang; }

  tr(key, params) { return this.ui.tr(key, params); }

  label(name) { return this.ui.label(this.kind, name); }

  vocabulary(name) {
    return this.ui.engine.schemas?.vocabularies?.vocabularies?.[name] || [];
  }

  codeLabel(vocabulary, code) { return this.ui.codeLabel(vocabulary, code); }
}

function fieldId(name) {
  return `f-${name.replace(/\./g, '-')}`;
}

function errorLine(name) {
  return h('p', { class: 'field-error', id: `err-${fieldId(name)}`, 'data-error-for': name,
    'aria-live': 'polite' });
}

/** The label line of a field: its translated name and a marker when it is required. */
function labelText(ctx, name, required) {
  return [ctx.label(name), required ? h('span', { class: 'req', 'aria-hidden': 'true', text: ' *' }) : null];
}

function wrap(ctx, name, required, control, { group = false, hint = null } = {}) {
  const id = fieldId(name);
  const head = group
    ? h('legend', {}, labelText(ctx, name, required))
    : h('label', { for: id }, labelText(ctx, name, required));
  const el = h(group ? 'fieldset' : 'div', { class: `field${group ? ' group-field' : ''}`,
    'data-field': name, 'data-required': required ? 'true' : null }, head,
  hint ? h('p', { class: 'hint', id: `hint-${id}`, text: hint }) : null, control, errorLine(name));
  return el;
}

function describe(control, name) {
  control.setAttribute('aria-describedby', `err-${fieldId(name)}`);
  return control;
}

// -- the widgets ---------------------------------------------------------------------------

function textWidget(ctx, name, prop, facts, required, initial) {
  const id = fieldId(name);
  const w = { name, state: initial ?? '' };
  const attrs = { id, name, dir: 'auto', autocomplete: 'off', required: required || null,
    maxlength: prop.maxLength, oninput: (e) => { w.state = e.target.value; ctx.onChange(name); } };
  const control = facts.multiline ? h('textarea', { ...attrs, rows: 3 }) : h('input', { ...attrs, type: 'text' });
  control.value = w.state;
  w.el = wrap(ctx, name, required, describe(control, name));
  w.value = () => (w.state === '' ? null : w.state);
  return w;
}

function numberWidget(ctx, name, prop, required, initial, { decimal = false } = {}) {
  // type=text, not number: a number box refuses Arabic-Indic digits on many phones.
  const id = fieldId(name);
  const w = { name, state: initial ?? '' };
  const control = h('input', { id, name, type: 'text', inputmode: decimal ? 'decimal' : 'numeric',
    dir: 'ltr', autocomplete: 'off', required: required || null, class: 'number',
    oninput: (e) => { w.state = e.target.value; ctx.onChange(name); } });
  control.value = w.state;
  w.el = wrap(ctx, name, required, describe(control, name));
  w.value = () => {
    const text = normaliseDigits(String(w.state)).trim();
    if (text === '') return null;
    if (!decimal && /^-?[0-9]+$/.test(text)) return Number(text);
    return text; // the validator names what is wrong with it, as the server would
  };
  return w;
}

function choiceWidget(ctx, name, prop, required, initial, { allowed = null } = {}) {
  const vocabulary = prop['x-vocabulary'];
  const codes = (prop.enum || []).filter((c) => c !== null && (!allowed || allowed.includes(c) || c === initial));
  const w = { name, state: initial ?? '' };
  const set = (v) => { w.state = v; ctx.onChange(name); };
  if (required && codes.length <= RADIO_MAX) {
    const id = fieldId(name);
    const options = codes.map((code, i) => h('label', { class: 'choice' },
      h('input', { type: 'radio', name, value: code, id: i === 0 ? id : `${id}-${code}`,
        checked: w.state === code || null, required: true, onchange: () => set(code) }),
      h('span', { text: ctx.codeLabel(vocabulary, code) })));
    w.el = wrap(ctx, name, required, describe(h('div', { class: 'choices', role: 'radiogroup' }, options), name),
      { group: true });
  } else {
    const select = h('select', { id: fieldId(name), name, required: required || null,
      onchange: (e) => set(e.target.value) },
    h('option', { value: '', text: '—' }),
    codes.map((code) => h('option', { value: code, selected: w.state === code || null,
      text: ctx.codeLabel(vocabulary, code) })));
    w.el = wrap(ctx, name, required, describe(select, name));
  }
  w.value = () => (w.state === '' ? null : w.state);
  return w;
}

function boolWidget(ctx, name, initial) {
  const w = { name, state: Boolean(initial) };
  const box = h('input', { type: 'checkbox', id: fieldId(name), name, checked: w.state || null,
    onchange: (e) => { w.state = e.target.checked; ctx.onChange(name); } });
  w.el = h('div', { class: 'field check', 'data-field': name },
    h('label', { for: fieldId(name) }, describe(box, name), ' ', ctx.label(name)), errorLine(name));
  w.value = () => w.state;
  return w;
}

function codeSetWidget(ctx, name, prop, initial) {
  const vocabulary = prop.items['x-vocabulary'];
  const codes = prop.items.enum.filter((c) => c !== null);
  const w = { name, state: Array.isArray(initial) ? [...initial] : [] };
  const boxes = codes.map((code, i) => h('label', { class: 'choice' },
    h('input', { type: 'checkbox', name, value: code, id: i === 0 ? fieldId(name) : `${fieldId(name)}-${code}`,
      checked: w.state.includes(code) || null,
      onchange: (e) => {
        w.state = e.target.checked ? [...new Set([...w.state, code])] : w.state.filter((c) => c !== code);
        ctx.onChange(name);
      } }),
    h('span', { text: ctx.codeLabel(vocabulary, code) })));
  w.el = wrap(ctx, name, false, describe(h('div', { class: 'choices' }, boxes), name), { group: true });
  w.value = () => codes.filter((c) => w.state.includes(c));
  return w;
}

function nameListWidget(ctx, name, initial) {
  const w = { name, state: Array.isArray(initial) && initial.length ? [...initial] : [] };
  const list = h('ol', { class: 'name-list' });
  const draw = (focusLast = false) => {
    list.replaceChildren(...w.state.map((text, i) => {
      const id = i === 0 ? fieldId(name) : `${fieldId(name)}-${i}`;
      const input = h('input', { type: 'text', id, dir: 'auto', autocomplete: 'off',
        'aria-label': `${ctx.label(name)} ${i + 1}`,
        oninput: (e) => { w.state[i] = e.target.value; ctx.onChange(name); } });
      input.value = text;
      return h('li', { class: 'row-item' }, input,
        h('button', { type: 'button', class: 'link remove', 'aria-label': `${ctx.tr('rec_remove')} ${i + 1}`,
          onclick: () => { w.state.splice(i, 1); draw(); ctx.onChange(name); } }, ctx.tr('rec_remove')));
    }));
    if (focusLast) list.querySelector('li:last-child input')?.focus();
  };
  draw();
  const add = h('button', { type: 'button', class: 'secondary add', 'data-add': name,
    onclick: () => { w.state.push(''); draw(true); ctx.onChange(name); } }, ctx.tr('rec_add_name'));
  w.el = wrap(ctx, name, false, [list, add], { group: true });
  w.value = () => w.state.filter((x) => x.trim() !== '');
  return w;
}

function partialDateWidget(ctx, name, required, initial, { fullOnly = false } = {}) {
  // state {precision, y, m, d}; the value is "YYYY", "YYYY-MM" or "YYYY-MM-DD" with the
  // parts the precision asks for. A part left empty keeps its place ("2025--") so the
  // validator says the date is incomplete instead of silently storing less.
  let state = initial;
  if (!state || typeof state !== 'object') {
    const parts = typeof initial === 'string' ? initial.split('-') : [];
    state = { precision: fullOnly || parts.length >= 3 || !parts.length ? 'day' : parts.length === 2 ? 'month' : 'year',
      y: parts[0] || '', m: parts[1] ? String(Number(parts[1])) : '', d: parts[2] ? String(Number(parts[2])) : '' };
  }
  const w = { name, state };
  const id = fieldId(name);
  const changed = () => ctx.onChange(name);
  const precision = h('select', { id: `${id}-precision`, class: 'precision',
    onchange: (e) => { w.state.precision = e.target.value; show(); changed(); } },
  ['day', 'month', 'year'].map((p) => h('option', { value: p, selected: w.state.precision === p || null,
    text: ctx.tr(`rec_precision_${p}`) })));
  const year = h('input', { id, type: 'text', inputmode: 'numeric', dir: 'ltr', class: 'year',
    maxlength: 4, autocomplete: 'off', required: required || null,
    oninput: (e) => { w.state.y = e.target.value; changed(); } });
  year.value = w.state.y;
  const month = h('select', { id: `${id}-month`, class: 'month', onchange: (e) => { w.state.m = e.target.value; changed(); } },
    h('option', { value: '', text: '—' }),
    monthNames(ctx.lang).map((label, i) => h('option', { value: String(i + 1),
      selected: w.state.m === String(i + 1) || null, text: label })));
  const day = h('input', { id: `${id}-day`, type: 'text', inputmode: 'numeric', dir: 'ltr', class: 'day',
    maxlength: 2, autocomplete: 'off', oninput: (e) => { w.state.d = e.target.value; changed(); } });
  day.value = w.state.d;
  const part = (label, control) => h('span', { class: 'date-part' },
    h('label', { for: control.id, class: 'small', text: ctx.tr(`rec_${label}`) }), control);
  const monthPart = part('date_month', month);
  const dayPart = part('date_day', day);
  const show = () => {
    monthPart.hidden = w.state.precision === 'year';
    dayPart.hidden = w.state.precision !== 'day';
  };
  show();
  const parts = [part('date_year', year), monthPart, dayPart];
  const controls = h('div', { class: 'date-parts' },
    fullOnly ? null : part('date_precision', precision), parts);
  describe(year, name);
  w.el = wrap(ctx, name, required, controls, { group: true });
  w.el.querySelector('legend').id = `legend-${id}`;
  w.value = () => {
    const { y, m, d } = w.state;
    const p = fullOnly ? 'day' : w.state.precision;
    const yy = normaliseDigits(y).trim();
    const mm = normaliseDigits(m).trim();
    const dd = normaliseDigits(d).trim();
    if (!yy && !mm && !dd) return null;
    const two = (x) => (x && /^[0-9]+$/.test(x) ? x.padStart(2, '0') : x);
    if (p === 'year') return yy;
    if (p === 'month') return `${yy}-${two(mm)}`;
    return `${yy}-${two(mm)}-${two(dd)}`;
  };
  return w;
}

function placeWidget(ctx, name, initial) {
  const w = { name, state: initial || '' };
  const id = fieldId(name);
  const places = () => ctx.ui.engine.places;
  const chosen = h('p', { class: 'chosen' });
  const results = h('ul', { class: 'place-results', id: `${id}-results`, role: 'listbox' });
  const search = h('input', { type: 'search', id, dir: 'auto', autocomplete: 'off',
    placeholder: ctx.tr('rec_place_search'), 'aria-controls': `${id}-results`,
    oninput: (e) => showResults(e.target.value),
    onkeydown: (e) => { if (e.key === 'Enter') { e.preventDefault(); results.querySelector('button')?.click(); } } });
  const drawChosen = () => {
    if (!w.state) {
      chosen.replaceChildren(h('span', { class: 'hint', text: places()?.size ? ctx.tr('rec_no_place') : ctx.tr('rec_no_gazetteer') }));
      return;
    }
    chosen.replaceChildren(h('bdi', { class: 'place-label', text: places()?.label(w.state, ctx.lang) || w.state }), ' ',
      h('button', { type: 'button', class: 'link clear', 'aria-label': `${ctx.tr('rec_clear')}: ${ctx.label(name)}`,
        onclick: () => { w.state = ''; drawChosen(); ctx.onChange(name); search.focus(); } }, ctx.tr('rec_clear')));
  };
  const showResults = (query) => {
    const found = places()?.search(query, 8) || [];
    results.replaceChildren(...found.map((p) => h('li', { role: 'option' },
      h('button', { type: 'button', class: 'link', 'data-place-id': p.id,
        onclick: () => { w.state = p.id; search.value = ''; results.replaceChildren(); drawChosen(); ctx.onChange(name); } },
      h('bdi', { text: places().label(p.id, ctx.lang) }),
      p.pcode ? h('span', { class: 'pcode' }, ' ', h('bdi', { text: p.pcode })) : null))));
  };
  drawChosen();
  w.el = wrap(ctx, name, false, [chosen, search, results]);
  describe(search, name);
  w.value = () => w.state || null;
  return w;
}

function incidentWidget(ctx, name, initial) {
  const w = { name, state: initial || '' };
  const incidents = ctx.ui.engine.list({ limit: 500 }).filter((v) => v.kind === 'incident' && !v.deleted);
  const label = (v) => [ctx.ui.title(v), formatPartialDate(v.values.occurred_date, ctx.lang),
    v.values.place_id ? ctx.ui.engine.places?.label(v.values.place_id, ctx.lang) : '']
    .filter(Boolean).join(' — ');
  const select = h('select', { id: fieldId(name), name, onchange: (e) => { w.state = e.target.value; ctx.onChange(name); } },
    h('option', { value: '', text: ctx.tr('rec_no_incident') }),
    incidents.map((v) => h('option', { value: v.id, selected: v.id === w.state || null, text: label(v) })),
    w.state && !incidents.some((v) => v.id === w.state)
      ? h('option', { value: w.state, selected: true, text: w.state.slice(0, 8) }) : null);
  w.el = wrap(ctx, name, false, describe(select, name),
    { hint: incidents.length ? null : ctx.tr('rec_no_incidents_here') });
  w.value = () => w.state || null;
  return w;
}

function notesWidget(ctx, name, prop, initial) {
  // A missing person's PFIF notes: each {note_id, text, status, author_made_contact, date}.
  const w = { name, state: Array.isArray(initial) ? initial.map((n) => ({ ...n })) : [] };
  const itemProps = prop.items.properties;
  const list = h('ol', { class: 'notes' });
  const draw = () => {
    list.replaceChildren(...w.state.map((note, i) => {
      const base = `${fieldId(name)}-${i}`;
      const text = h('textarea', { id: `${base}-text`, rows: 2, dir: 'auto',
        oninput: (e) => { note.text = e.target.value; ctx.onChange(name); } });
      text.value = note.text || '';
      const status = h('select', { id: `${base}-status`, onchange: (e) => { note.status = e.target.value || null; ctx.onChange(name); } },
        h('option', { value: '', text: '—' }),
        itemProps.status.enum.filter((c) => c !== null).map((code) => h('option', { value: code,
          selected: note.status === code || null, text: ctx.codeLabel('note_status', code) })));
      const contact = h('input', { type: 'checkbox', id: `${base}-contact`, checked: note.author_made_contact || null,
        onchange: (e) => { note.author_made_contact = e.target.checked; ctx.onChange(name); } });
      return h('li', { class: 'note card' },
        h('label', { for: `${base}-text`, text: ctx.label('text') }), text,
        h('label', { for: `${base}-status`, text: ctx.label('status') }), status,
        h('label', { for: `${base}-contact` }, contact, ' ', ctx.label('author_made_contact')),
        errorLine(`${name}.${i}`),
        h('button', { type: 'button', class: 'link remove', onclick: () => { w.state.splice(i, 1); draw(); ctx.onChange(name); } },
          ctx.tr('rec_remove')));
    }));
  };
  draw();
  const add = h('button', { type: 'button', class: 'secondary add', 'data-add': name, onclick: () => {
    w.state.push({ note_id: crypto.randomUUID(), text: '', status: null, author_made_contact: false });
    draw();
    list.querySelector('li:last-child textarea')?.focus();
    ctx.onChange(name);
  } }, ctx.tr('rec_add_note'));
  w.el = wrap(ctx, name, false, [list, add], { group: true });
  w.value = () => w.state.map((n) => {
    const out = { note_id: n.note_id, text: n.text ?? '', author_made_contact: Boolean(n.author_made_contact) };
    if (n.status) out.status = n.status;
    if (n.date) out.date = n.date;
    if (n.author_name) out.author_name = n.author_name;
    return out;
  });
  return w;
}

function teamWidget(ctx, name, initial) {
  const teams = ctx.ui.memberships();
  const w = { name, state: initial || teams[0]?.team_id || '' };
  const select = h('select', { id: fieldId(name), name, required: true,
    onchange: (e) => { w.state = e.target.value; ctx.onChange(name); } },
  teams.map((m) => h('option', { value: m.team_id, selected: m.team_id === w.state || null,
    text: m.team_name || m.team_id.slice(0, 8) })));
  w.el = wrap(ctx, name, true, describe(select, name));
  w.value = () => w.state || null;
  return w;
}

// Fields a person never types: kept as they are in the record (or set by the app).
export const HIDDEN = new Set(['id', 'kind', 'schema_version', 'reported_at', 'assigned_to', 'request_id']);
const PLACE_FIELDS = new Set(['place_id', 'home_place_id', 'last_seen_place_id']);
// Values only a coordinator may set (DATA-MODEL.md); others do not see them offered.
const COORDINATOR_ONLY = {
  verification_status: ['corroborated', 'confirmed', 'discounted'],
  fate_status: ['believed_dead', 'confirmed_dead'],
};

/** The widget of one field of the kind, or null for fields the form does not show. */
export function makeWidget(ctx, name, initial, { coordinator = false } = {}) {
  const { schema } = ctx;
  const prop = schema.properties[name];
  const facts = schema['x-fields']?.[name] || {};
  const required = (schema.required || []).includes(name);
  if (HIDDEN.has(name)) return null;
  if (name === 'team_id') return ctx.ui.memberships().length > 1 ? teamWidget(ctx, name, initial) : null;
  if (PLACE_FIELDS.has(name)) return placeWidget(ctx, name, initial);
  if (name === 'incident_id') return incidentWidget(ctx, name, initial);
  switch (facts.field) {
    case 'Code': {
      const refused = coordinator ? [] : COORDINATOR_ONLY[name] || [];
      const allowed = refused.length ? prop.enum.filter((c) => !refused.includes(c)) : null;
      return choiceWidget(ctx, name, prop, required, initial, { allowed });
    }
    case 'Int': return numberWidget(ctx, name, prop, required, initial === null || initial === undefined ? '' : String(initial));
    case 'DecimalString': return numberWidget(ctx, name, prop, required, initial ?? '', { decimal: true });
    case 'PartialDate': return partialDateWidget(ctx, name, required, initial);
    case 'FullDate': return partialDateWidget(ctx, name, required, initial, { fullOnly: true });
    case 'Bool': return boolWidget(ctx, name, initial);
    case 'CodeSet': return codeSetWidget(ctx, name, prop, initial);
    case 'NameList': return nameListWidget(ctx, name, initial);
    case 'ObjectList': return notesWidget(ctx, name, prop, initial);
    case 'Text': case 'Age': return textWidget(ctx, name, prop, facts, required, initial);
    default: return null;
  }
}

export { blank };
