// The records screen: the list of records on this device with name search, and the
// form of each kind (the minimal forms of the engine issue).

import { h } from '../dom.js';
import { KINDS } from '../engine.js';

// The fields each minimal form shows (required ones first).
export const FORM_FIELDS = {
  incident: ['event_type', 'location_detail', 'description', 'killed_min', 'injured_min'],
  casualty: ['full_name', 'sex', 'outcome', 'civilian_status', 'cause', 'alternate_names',
    'location_detail'],
  missing_person: ['full_name', 'sex', 'disappearance_type', 'last_seen_date', 'fate_status',
    'last_seen_location_detail'],
  supply_need: ['item_name', 'unit', 'quantity_needed', 'requesting_site_type', 'sector',
    'item_category', 'priority', 'status', 'quantity_delivered'],
};

class RecordsView {
  constructor(ui) {
    this.ui = ui;
    this.query = '';
  }

  get engine() { return this.ui.engine; }

  // The screen's own element: the list and the editor live inside it.
  get root() { return this.box; }

  tr(key, params) { return this.ui.tr(key, params); }

  label(kind, name) { return this.ui.label(kind, name); }

  kindLabel(kind) { return this.ui.kindLabel(kind); }

  codeLabel(vocabulary, code) { return this.ui.codeLabel(vocabulary, code); }

  title(view) { return this.ui.title(view); }

  refreshStatus() { return this.ui.refreshStatus(); }

  error(form, exc) { return this.ui.error(form, exc); }

  render() {
    const search = h('input', { type: 'search', id: 'search', placeholder: this.tr('search'),
      'aria-label': this.tr('search'), value: this.query,
      oninput: (e) => { this.query = e.target.value; this.refreshList(); } });
    const newButtons = KINDS.map((kind) => h('button', { type: 'button', class: 'new',
      'data-kind': kind, onclick: () => this.openForm(kind, null) },
    `${this.tr('new')}: ${this.kindLabel(kind)}`));
    this.box = h('div', { class: 'records-screen' },
      h('section', { class: 'tools' }, search, h('div', { class: 'new-buttons' }, newButtons)),
      h('section', { id: 'editor' }),
      h('h2', { text: this.tr('records') }),
      h('ul', { id: 'records' }));
    this.refreshList();
    return this.box;
  }

  refreshList() {
    const list = this.root.querySelector('#records');
    if (!list) return;
    const views = this.engine.list({ query: this.query });
    list.replaceChildren(...(views.length ? views.map((v) => h('li', { class: 'record',
      'data-id': v.id, 'data-kind': v.kind },
    h('button', { type: 'button', class: 'link', onclick: () => this.openForm(v.kind, v.id) },
      h('span', { class: 'kind', text: this.kindLabel(v.kind) }), ' ',
      h('bdi', { class: 'title', text: this.title(v) })),
    Object.keys(v.conflicts).length ? h('span', { class: 'badge conflict', text: this.tr('conflict') }) : null,
    v.needs_review ? h('span', { class: 'badge', text: this.tr('needs_review') }) : null))
      : [h('li', { class: 'empty', text: this.tr('no_records') })]));
    this.refreshStatus();
  }

  input(kind, name, value) {
    const prop = this.engine.schemas?.kinds?.[kind]?.properties?.[name] || {};
    const required = (this.engine.schemas?.kinds?.[kind]?.required || []).includes(name);
    const id = `f-${name}`;
    let control;
    const enumValues = (prop.enum || []).filter((x) => x !== null);
    if (enumValues.length) {
      control = h('select', { name, id, required },
        h('option', { value: '' }, '—'),
        enumValues.map((code) => h('option', { value: code, selected: code === value },
          this.codeLabel(prop['x-vocabulary'] || name, code))));
    } else if (this.engine.fieldClass(kind, name) === 'collection') {
      control = h('textarea', { name, id, rows: 2, 'data-list': 'lines' });
      control.value = (value || []).join('\n');
    } else if ([prop.type].flat().includes('integer')) {
      control = h('input', { name, id, type: 'number', inputmode: 'numeric', required,
        min: prop.minimum, max: prop.maximum, value: value ?? '' });
    } else if ((prop.maxLength || 0) > 1000) {
      control = h('textarea', { name, id, rows: 3 });
      control.value = value ?? '';
    } else {
      control = h('input', { name, id, type: 'text', required, value: value ?? '' });
    }
    return h('label', {}, h('span', { text: this.label(kind, name) + (required ? ' *' : '') }), control);
  }

  readForm(kind, form) {
    const values = {};
    for (const name of FORM_FIELDS[kind]) {
      const el = form.elements[name];
      if (!el || el.disabled) continue;
      const prop = this.engine.schemas?.kinds?.[kind]?.properties?.[name] || {};
      if (el.dataset.list) values[name] = el.value.split('\n').map((x) => x.trim()).filter(Boolean);
      else if ([prop.type].flat().includes('integer')) values[name] = el.value === '' ? null : Number(el.value);
      else values[name] = el.value === '' ? null : el.value;
    }
    return values;
  }

  openForm(kind, id) {
    const editor = this.root.querySelector('#editor');
    if (!this.engine.schemas) {
      editor.replaceChildren(h('p', { class: 'error', text: this.tr('no_schemas') }));
      return;
    }
    const view = id ? this.engine.view(id) : null;
    const values = view?.values || {};
    const conflicts = view?.conflicts || {};
    const form = h('form', { id: 'record-form', class: 'card', 'data-kind': kind, 'data-id': id || '' },
      h('h2', { text: this.kindLabel(kind) }),
      FORM_FIELDS[kind].map((name) => [this.input(kind, name, values[name]),
        conflicts[name] ? this.conflictBox(id, name, conflicts[name]) : null]),
      h('p', { class: 'error', role: 'alert' }),
      h('div', { class: 'row' },
        h('button', { type: 'submit', id: 'save' }, this.tr('save')),
        h('button', { type: 'button', onclick: () => editor.replaceChildren() }, this.tr('cancel')),
        id ? h('button', { type: 'button', class: 'danger', onclick: async () => {
          await this.engine.deleteRecord(id);
          editor.replaceChildren();
        } }, this.tr('delete')) : null));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const wanted = this.readForm(kind, form);
      try {
        if (id) {
          const current = this.engine.view(id).values;
          const changed = Object.fromEntries(Object.entries(wanted).filter(([k, v]) => JSON.stringify(v ?? null)
            !== JSON.stringify(current[k] ?? (Array.isArray(v) ? [] : null))));
          await this.engine.updateRecord(id, changed);
        } else {
          await this.engine.createRecord(kind, wanted);
        }
        editor.replaceChildren();
      } catch (exc) {
        this.error(form, exc);
      }
    });
    // A field with open candidates is settled by a resolve, not overwritten by an edit.
    for (const name of Object.keys(conflicts)) {
      const el = form.elements[name];
      if (el) el.disabled = true;
    }
    editor.replaceChildren(form);
    form.querySelector('input:enabled,select:enabled,textarea:enabled')?.focus();
  }

  conflictBox(id, name, candidates) {
    const view = this.engine.view(id);
    const coordinator = this.engine.roleIn(view.values.team_id) === 'coordinator';
    return h('div', { class: 'conflict', 'data-field': name },
      h('strong', { text: this.tr('conflict') }),
      h('ul', {}, candidates.map((c) => h('li', {}, h('bdi', { text: JSON.stringify(c.value) }),
        coordinator ? h('button', { type: 'button', onclick: () => this.engine.resolveRecord(id,
          { [name]: c.value }) }, this.tr('choose_value')) : null))));
  }
}

let current = null;

export default {
  id: 'records',
  nav: { en: 'Records', ar: 'السجلات' },
  render(ui) {
    current = new RecordsView(ui);
    return current.render();
  },
  onRecords() {
    current?.refreshList();
  },
};
