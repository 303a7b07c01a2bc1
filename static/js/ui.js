// A deliberately plain UI over the engine: screens for log in, passphrase, unlock, the
// record list with search, and one form per kind. Built with DOM calls only (no
// innerHTML with data), so record text can never become markup. The next issue makes
// the forms good; this one only has to make the engine usable and testable.

import { KINDS, MIN_PASSPHRASE } from './engine.js';
import { t } from './i18n.js';

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

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

export class Ui {
  constructor(engine, root) {
    this.engine = engine;
    this.root = root;
    this.lang = 'ar';
    this.query = '';
    this.editing = null;
    this.failures = 0;
    engine.addEventListener('locked', () => this.render());
    engine.addEventListener('unlocked', () => this.render());
    engine.addEventListener('wiped', () => { this.message = t(this.lang, 'wiped'); this.render(); });
    engine.addEventListener('records', () => this.refreshList());
    engine.addEventListener('status', () => this.refreshStatus());
    addEventListener('online', () => this.refreshStatus());
    addEventListener('offline', () => this.refreshStatus());
  }

  tr(key, params) {
    return t(this.lang, key, params);
  }

  async setLang(lang) {
    this.lang = lang;
    document.documentElement.lang = lang;
    document.documentElement.dir = lang === 'ar' ? 'rtl' : 'ltr';
    if (this.engine.vault) await this.engine.vault.put('lang', lang);
    this.render();
  }

  async start() {
    const phase = await this.engine.boot();
    const lang = (await this.engine.vault.get('lang')) || (navigator.language?.startsWith('en') ? 'en' : 'ar');
    this.lang = lang;
    document.documentElement.lang = lang;
    document.documentElement.dir = lang === 'ar' ? 'rtl' : 'ltr';
    if (phase === 'new') await this.engine.resumeSession();
    await this.render();
  }

  async render() {
    const phase = this.engine.vault ? await this.engine.phase() : 'new';
    this.root.replaceChildren();
    this.root.dataset.phase = phase;
    const langButton = h('button', { type: 'button', id: 'lang', class: 'link',
      onclick: () => this.setLang(this.lang === 'ar' ? 'en' : 'ar') }, this.tr('language'));
    this.root.append(h('header', { class: 'bar' }, h('h1', { text: this.tr('app') }), langButton));
    if (this.message) this.root.append(h('p', { class: 'notice', id: 'notice' }, this.message));
    if (phase === 'new') {
      if (this.engine.session?.user?.must_change_password) this.root.append(this.passwordForm());
      else if (this.engine.session) this.root.append(this.passphraseForm());
      else this.root.append(this.loginForm(false));
    } else if (phase === 'signed_out') {
      this.root.append(this.loginForm(true));
    } else if (phase === 'locked') {
      this.root.append(this.unlockForm());
    } else {
      this.root.append(this.main());
      this.refreshStatus();
      this.refreshList();
    }
  }

  field(name, label, type = 'text', extra = {}) {
    return h('label', {}, h('span', { text: label }),
      h('input', { name, id: `f-${name}`, type, autocomplete: 'off', ...extra }));
  }

  error(form, exc) {
    const line = form.querySelector('.error');
    line.textContent = exc.message || String(exc);
  }

  loginForm(withPassphrase) {
    const form = h('form', { id: 'login-form', class: 'card' },
      h('h2', { text: this.tr('login') }),
      withPassphrase ? null : h('p', { class: 'hint', text: this.tr('online_needed') }),
      this.field('username', this.tr('username'), 'text', { required: true, autocapitalize: 'none' }),
      this.field('password', this.tr('password'), 'password', { required: true }),
      withPassphrase ? this.field('passphrase', this.tr('passphrase'), 'password', { required: true }) : null,
      h('p', { class: 'error', role: 'alert' }),
      h('button', { type: 'submit', id: 'login' }, this.tr('login')),
      withPassphrase ? h('button', { type: 'button', class: 'link', id: 'offline-unlock',
        onclick: () => { this.root.replaceChildren(this.unlockForm()); } }, this.tr('offline_unlock')) : null,
      withPassphrase ? this.wipeButton() : null);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const f = new FormData(form);
      try {
        await this.engine.login(f.get('username'), f.get('password'));
        if (withPassphrase) await this.doUnlock(form, f.get('passphrase'));
        else this.render();
      } catch (exc) {
        this.error(form, exc);
      }
    });
    return form;
  }

  passwordForm() {
    const form = h('form', { id: 'password-form', class: 'card' },
      h('h2', { text: this.tr('change_password') }),
      this.field('current', this.tr('password'), 'password', { required: true }),
      this.field('next', this.tr('new_password'), 'password', { required: true }),
      h('p', { class: 'error', role: 'alert' }),
      h('button', { type: 'submit' }, this.tr('save')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const f = new FormData(form);
      try {
        await this.engine.changePassword(f.get('current'), f.get('next'));
        this.render();
      } catch (exc) {
        this.error(form, exc);
      }
    });
    return form;
  }

  passphraseForm() {
    const form = h('form', { id: 'passphrase-form', class: 'card' },
      h('h2', { text: this.tr('choose_passphrase') }),
      h('p', { class: 'hint', text: this.tr('passphrase_help') }),
      this.field('passphrase', this.tr('passphrase'), 'password', { required: true, minlength: MIN_PASSPHRASE }),
      this.field('again', this.tr('passphrase_again'), 'password', { required: true }),
      h('p', { class: 'error', role: 'alert' }),
      h('button', { type: 'submit', id: 'set-passphrase' }, this.tr('save')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const f = new FormData(form);
      if (f.get('passphrase') !== f.get('again')) return this.error(form, new Error(this.tr('passphrases_differ')));
      if (f.get('passphrase').length < MIN_PASSPHRASE) return this.error(form, new Error(this.tr('too_short')));
      try {
        form.querySelector('button').disabled = true;
        await this.engine.setup(f.get('passphrase'));
      } catch (exc) {
        form.querySelector('button').disabled = false;
        this.error(form, exc);
      }
      return undefined;
    });
    return form;
  }

  async doUnlock(form, passphrase) {
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const result = await this.engine.unlock(passphrase);
      if (!result.ok) {
        if (result.wiped) return;
        this.error(form, new Error(this.tr('wrong_passphrase', { n: result.failures })));
      }
    } catch (exc) {
      this.error(form, exc);
    } finally {
      button.disabled = false;
    }
  }

  unlockForm() {
    const form = h('form', { id: 'unlock-form', class: 'card' },
      h('h2', { text: this.tr('locked') }),
      this.field('passphrase', this.tr('passphrase'), 'password', { required: true }),
      h('p', { class: 'error', role: 'alert' }),
      h('button', { type: 'submit', id: 'unlock' }, this.tr('unlock')),
      this.wipeButton());
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.doUnlock(form, new FormData(form).get('passphrase'));
    });
    return form;
  }

  wipeButton() {
    return h('button', { type: 'button', class: 'danger', id: 'wipe', onclick: () => this.wipe() },
      this.tr('wipe'));
  }

  async wipe() {
    const first = await this.engine.wipe();
    if (first.wiped) return;
    if (!confirm(this.tr('wipe_warning', { n: first.pending }))) return;
    await this.engine.wipe({ confirm: true });
  }

  main() {
    const search = h('input', { type: 'search', id: 'search', placeholder: this.tr('search'),
      value: this.query, oninput: (e) => { this.query = e.target.value; this.refreshList(); } });
    const newButtons = KINDS.map((kind) => h('button', { type: 'button', class: 'new',
      'data-kind': kind, onclick: () => this.openForm(kind, null) },
    `${this.tr('new')}: ${this.kindLabel(kind)}`));
    return h('main', { id: 'app' },
      h('section', { class: 'status', id: 'status' },
        h('span', { id: 'pending', 'data-count': '' }),
        h('span', { id: 'sync-state' }),
        h('details', { id: 'refused', hidden: true, ontoggle: (e) => this.showRefused(e.target) },
          h('summary', {}), h('ul', {})),
        h('button', { type: 'button', id: 'sync-now', onclick: () => this.engine.syncNow() }, this.tr('sync_now')),
        h('button', { type: 'button', id: 'lock', onclick: () => this.engine.lock() }, this.tr('lock')),
        h('button', { type: 'button', id: 'logout', onclick: () => this.engine.logout() }, this.tr('logout')),
        this.wipeButton()),
      h('section', { class: 'tools' }, search, h('div', { class: 'new-buttons' }, newButtons)),
      h('section', { id: 'editor' }),
      h('h2', { text: this.tr('records') }),
      h('ul', { id: 'records' }));
  }

  label(kind, name) {
    return this.engine.schemas?.kinds?.[kind]?.['x-labels']?.[name]?.[this.lang] || name;
  }

  kindLabel(kind) {
    return this.codeLabel('kind', kind);
  }

  codeLabel(vocabulary, code) {
    // /api/v1/schemas: vocabularies.vocabularies[name] = [{code, en, ar}, ...]
    const list = this.engine.schemas?.vocabularies?.vocabularies?.[vocabulary] || [];
    const entry = list.find((e) => e.code === code);
    return entry?.[this.lang] || code;
  }

  title(view) {
    const v = view.values;
    const name = v.full_name || v.item_name || v.full_name_latin;
    if (name) return name;
    if (view.kind === 'incident' && v.event_type) return this.codeLabel('event_type', v.event_type);
    return view.id.slice(0, 8);
  }

  async refreshStatus() {
    const box = this.root.querySelector('#status');
    if (!box) return;
    const s = await this.engine.status();
    const pending = box.querySelector('#pending');
    pending.dataset.count = String(s.pending);
    pending.textContent = s.pending ? this.tr('waiting', { n: s.pending }) : this.tr('all_sent');
    let state = '';
    if (!s.registered) state = this.tr('not_registered');
    else if (!s.online) state = this.tr('offline');
    else if (s.syncing) state = this.tr('syncing');
    else if (s.lastError) state = this.tr('sync_failed', { e: s.lastError.code });
    else if (s.lastOkAt) state = this.tr('last_sync', { t: new Date(s.lastOkAt).toLocaleTimeString(this.lang) });
    box.querySelector('#sync-state').textContent = state;
    box.dataset.refused = String(s.refused);
    const refused = box.querySelector('#refused');
    refused.hidden = !s.refused;
    refused.querySelector('summary').textContent = `${this.tr('rejected')}: ${s.refused}`;
  }

  async showRefused(details) {
    if (!details.open) return;
    const items = await this.engine.refusedChanges();
    details.querySelector('ul').replaceChildren(...items.map((p) => h('li', {},
      h('bdi', { text: `${p.status}: ${p.reason}` }))));
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
