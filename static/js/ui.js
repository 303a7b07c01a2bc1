// The app's frame over the engine: log in, passphrase, unlock, then the unlocked app —
// a nav, the sync status strip and one screen at a time (static/js/screens/, chosen by
// the location hash). Built with DOM calls only (no innerHTML with data), so record text
// can never become markup.

import { h } from './dom.js';
import { MIN_PASSPHRASE } from './engine.js';
import { addStrings, t } from './i18n.js';
import { reasonText } from './reasons.js';
import { SCREENS } from './screens/index.js';
import { StatusStrip } from './status.js';

for (const screen of SCREENS) addStrings(screen.strings);

export class Ui {
  constructor(engine, root) {
    this.engine = engine;
    this.root = root;
    this.lang = 'ar';
    this.strip = new StatusStrip(this);
    // After 'upgrade' the page reloads into the newer version (main.js): no lock screen.
    engine.addEventListener('locked', (e) => { if (e.detail.reason !== 'upgrade') this.render(); });
    engine.addEventListener('unlocked', () => this.render());
    engine.addEventListener('wiped', () => { this.message = t(this.lang, 'wiped'); this.render(); });
    engine.addEventListener('records', (e) => { this.notifyScreen('onRecords', e.detail); this.refreshStatus(); });
    engine.addEventListener('status', () => this.refreshStatus());
    addEventListener('online', () => this.refreshStatus());
    addEventListener('offline', () => this.refreshStatus());
    addEventListener('hashchange', () => this.showScreen());
  }

  tr(key, params) {
    return t(this.lang, key, params);
  }

  async setLang(lang) {
    this.lang = lang;
    this.engine.lang = lang;
    document.documentElement.lang = lang;
    document.documentElement.dir = lang === 'ar' ? 'rtl' : 'ltr';
    if (this.engine.vault) await this.engine.vault.put('lang', lang);
    this.render();
  }

  async start() {
    const phase = await this.engine.boot();
    const lang = (await this.engine.vault.get('lang')) || (navigator.language?.startsWith('en') ? 'en' : 'ar');
    this.lang = lang;
    this.engine.lang = lang;
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
      await this.showScreen();
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
    const nav = h('nav', { id: 'nav', 'aria-label': this.tr('menu') },
      SCREENS.filter((s) => s.nav && this.allowed(s)).map((s) => h('a', { href: `#/${s.id}`,
        'data-screen': s.id, text: s.nav[this.lang] || s.nav.en })));
    return h('main', { id: 'app' }, nav,
      this.strip.render([
        h('button', { type: 'button', id: 'sync-now', onclick: () => this.engine.syncNow() }, this.tr('sync_now')),
        h('button', { type: 'button', id: 'lock', onclick: () => this.engine.lock() }, this.tr('lock')),
        h('button', { type: 'button', id: 'logout', onclick: () => this.engine.logout() }, this.tr('logout')),
        this.wipeButton()]),
      h('section', { id: 'view' }));
  }

  // -- screens and routes ----------------------------------------------------------------

  allowed(screen) {
    return !screen.allowed || Boolean(screen.allowed(this));
  }

  /** The screen and its parameters for a hash like #/record/<id>. */
  route(hash = location.hash) {
    const [id, ...params] = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
    const screen = SCREENS.find((s) => s.id === id && this.allowed(s)) || SCREENS[0];
    return { screen, params: screen.id === id ? params : [] };
  }

  go(hash) {
    if (location.hash === hash) this.showScreen();
    else location.hash = hash;
  }

  refresh() {
    return this.showScreen();
  }

  async showScreen() {
    const view = this.root.querySelector('#view');
    if (!view) return;
    const { screen, params } = this.route();
    this.screen = screen;
    view.dataset.screen = screen.id;
    for (const a of this.root.querySelectorAll('#nav a')) {
      if (a.dataset.screen === screen.id) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    const token = {};
    this.showing = token;
    let content;
    try {
      content = await screen.render(this, params);
    } catch (exc) {
      content = h('p', { class: 'error', role: 'alert', text: this.errorText(exc) });
    }
    // A slow render of a screen the user has already left must not replace the new one.
    if (this.showing === token) view.replaceChildren(content);
  }

  /** Engine events reach the current screen's optional hooks (e.g. onRecords). */
  notifyScreen(hook, ...args) {
    const fn = this.screen?.[hook];
    if (fn && this.root.querySelector('#view')) fn.call(this.screen, this, ...args);
  }

  /** A refusal reason of the hub (English on the wire) in the UI's language. */
  reasonText(reason) {
    return reasonText(this.lang, reason, this.engine.schemas);
  }

  /** `reason` for a person, the hub's own English kept as the tooltip when translated. */
  reasonNode(reason, attrs = {}) {
    const text = this.reasonText(reason || '');
    return h('bdi', { ...attrs, text, ...(text !== reason ? { title: reason } : {}) });
  }

  errorText(exc) {
    if (exc?.code === 'offline') return exc.message || this.tr('needs_network');
    return exc?.message || String(exc);
  }

  /** The session API for online screens; rejects with code "offline" without a session. */
  async api(method, path, body) {
    if (!navigator.onLine) throw Object.assign(new Error(this.tr('needs_network')), { code: 'offline' });
    if (!this.engine.session) await this.engine.resumeSession();
    if (!this.engine.session) throw Object.assign(new Error(this.tr('needs_login')), { code: 'offline' });
    return this.engine.api(method, path, body);
  }

  memberships() {
    return this.engine.session?.user?.memberships || this.engine.identity?.user.memberships || [];
  }

  isCoordinator() {
    return this.memberships().some((m) => m.role === 'coordinator');
  }

  isAdmin() {
    return Boolean((this.engine.session?.user || this.engine.identity?.user)?.is_admin);
  }

  h(tag, attrs, ...children) {
    return h(tag, attrs, ...children);
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

  /** Re-read the engine's status into the strip (coalesced: events come in bursts). */
  refreshStatus() {
    if (this.statusQueued) return this.statusQueued;
    this.statusQueued = new Promise((resolve) => setTimeout(resolve, 50))
      .then(() => { this.statusQueued = null; return this.strip.refresh(); });
    return this.statusQueued;
  }

}
