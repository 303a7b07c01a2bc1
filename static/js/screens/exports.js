// The exports screen (coordinators): download an export of the team, see the team's
// recent export log, and manage partner tokens.
//
// A download is a plain link to GET /api/v1/exports?… with the chosen profile, format and
// filters: the browser saves the server's stream as it comes (a million rows never sit in
// this page's memory). The rules the server enforces (a profile's formats and kinds, a
// recipient outside internal) are mirrored here only so the link is never a dead end.

import { formatTime } from '../i18n.js';

const KINDS = ['casualty', 'incident', 'missing_person', 'supply_need'];
const RECORD_FORMATS = ['csv_bom', 'csv', 'hxl', 'json', 'jsonl', 'hxl_json'];
const FORMATS_OF = {
  internal: RECORD_FORMATS,
  partner: RECORD_FORMATS,
  public: RECORD_FORMATS,
  tracing: ['pfif'],
};
const KINDS_OF = { internal: KINDS, partner: KINDS, public: KINDS, tracing: ['missing_person'] };
const TABULAR = new Set(['csv', 'csv_bom', 'hxl', 'hxl_json']);
const TOKEN_PROFILES = ['partner', 'public', 'tracing']; // never internal
const DEFAULT_TOKEN_DAYS = 90;

const STRINGS = {
  exports_title: { en: 'Download an export', ar: 'تنزيل تصدير' },
  exports_team: { en: 'Team', ar: 'الفريق' },
  exports_profile: { en: 'Profile (who receives it)', ar: 'الملف (لمن يُرسل)' },
  exports_format: { en: 'Format', ar: 'الصيغة' },
  exports_kind: { en: 'Kind of record', ar: 'نوع السجل' },
  exports_all_kinds: { en: 'All kinds', ar: 'كل الأنواع' },
  exports_recipient: { en: 'Recipient (their ids are scoped to them)', ar: 'الجهة المستلمة (المعرّفات خاصة بها)' },
  exports_date_from: { en: 'Occurred from', ar: 'وقع من تاريخ' },
  exports_date_to: { en: 'Occurred until', ar: 'وقع حتى تاريخ' },
  exports_place: { en: 'Place (P-code or id, and everything below it)', ar: 'المكان (الرمز P-code أو المعرّف، وما يتبعه)' },
  exports_verification: { en: 'Verification', ar: 'حالة التحقق' },
  exports_since: { en: 'Updated since', ar: 'المحدَّث منذ' },
  exports_download: { en: 'Download', ar: 'تنزيل' },
  exports_filters: { en: 'Filters', ar: 'عوامل التصفية' },
  exports_need_recipient: { en: 'Name the recipient of a partner or tracing export.', ar: 'اذكر الجهة المستلمة لتصدير الشركاء أو التتبع.' },
  exports_started: { en: 'The download has started; it appears in the log below.', ar: 'بدأ التنزيل؛ سيظهر في السجل أدناه.' },
  exports_log: { en: 'Recent exports of the team', ar: 'آخر عمليات التصدير للفريق' },
  exports_log_empty: { en: 'No export yet.', ar: 'لا يوجد تصدير بعد.' },
  exports_refresh: { en: 'Refresh', ar: 'تحديث' },
  exports_records: { en: 'records: {n}', ar: 'السجلات: {n}' },
  exports_withdrawn: { en: 'withdrawn: {n}', ar: 'المسحوبة: {n}' },
  exports_by: { en: 'by', ar: 'بواسطة' },
  tokens_title: { en: 'Partner tokens', ar: 'رموز الشركاء' },
  tokens_help: {
    en: 'A partner\'s script pulls exports with a token: one profile (never internal), optional filters, an expiry. Revoking stops it at once.',
    ar: 'يسحب برنامج الشريك التصديرات برمز: ملف واحد (ليس الداخلي أبداً)، وعوامل تصفية اختيارية، وتاريخ انتهاء. الإلغاء يوقفه فوراً.',
  },
  tokens_issue: { en: 'Issue a token', ar: 'إصدار رمز' },
  tokens_kinds: { en: 'Kinds (none ticked: all)', ar: 'الأنواع (دون تحديد: الكل)' },
  tokens_expires: { en: 'Expires on', ar: 'ينتهي في' },
  tokens_shown_once: {
    en: 'Copy this token now and give it to the recipient safely: it is shown only once.',
    ar: 'انسخ هذا الرمز الآن وسلّمه للجهة المستلمة بأمان: لن يظهر إلا مرة واحدة.',
  },
  tokens_copy: { en: 'Copy', ar: 'نسخ' },
  tokens_copied: { en: 'Copied.', ar: 'تم النسخ.' },
  tokens_list: { en: 'Tokens of the team', ar: 'رموز الفريق' },
  tokens_none: { en: 'No token yet.', ar: 'لا توجد رموز بعد.' },
  tokens_revoke: { en: 'Revoke', ar: 'إلغاء' },
  tokens_revoke_confirm: { en: 'Revoke the token of {r}? Its next request is refused.', ar: 'إلغاء رمز {r}؟ سيُرفض طلبه التالي.' },
  tokens_active: { en: 'active', ar: 'فعّال' },
  tokens_revoked: { en: 'revoked', ar: 'ملغى' },
  tokens_expired: { en: 'expired', ar: 'منتهي' },
  tokens_until: { en: 'until {d}', ar: 'حتى {d}' },
  tokens_last_used: { en: 'last used {d}', ar: 'آخر استخدام {d}' },
  tokens_never_used: { en: 'never used', ar: 'لم يُستخدم' },
  profile_internal: { en: 'Internal', ar: 'داخلي' },
  profile_partner: { en: 'Partner', ar: 'شريك' },
  profile_public: { en: 'Public', ar: 'عام' },
  profile_tracing: { en: 'Tracing (PFIF)', ar: 'تتبع (PFIF)' },
  about_internal: { en: 'The team\'s own full records, names included. Never for partners.', ar: 'سجلات الفريق كاملة مع الأسماء. ليست للشركاء أبداً.' },
  about_partner: { en: 'No names, contacts, free text or exact places; ids only this recipient can match.', ar: 'دون أسماء أو بيانات اتصال أو نصوص حرة أو أماكن دقيقة؛ معرّفات لا يطابقها إلا هذا المستلم.' },
  about_public: { en: 'Counts by district and month only; small numbers are withheld.', ar: 'أعداد حسب المنطقة والشهر فقط؛ تُحجب الأعداد الصغيرة.' },
  about_tracing: { en: 'Missing persons who consented to tracing, as PFIF for the tracing agency.', ar: 'المفقودون الذين وافقوا على التتبع، بصيغة PFIF لجهة البحث.' },
  format_csv_bom: { en: 'CSV for Excel (UTF-8 with BOM)', ar: 'CSV لبرنامج Excel (UTF-8 مع BOM)' },
  format_csv: { en: 'CSV (UTF-8)', ar: 'CSV (UTF-8)' },
  format_hxl: { en: 'HXL-tagged CSV', ar: 'CSV مع وسوم HXL' },
  format_json: { en: 'JSON document', ar: 'مستند JSON' },
  format_jsonl: { en: 'JSON Lines', ar: 'أسطر JSON' },
  format_hxl_json: { en: 'HXL JSON', ar: 'HXL JSON' },
  format_pfif: { en: 'PFIF 1.4 XML', ar: 'PFIF 1.4 XML' },
  status_completed: { en: 'completed', ar: 'مكتمل' },
  status_started: { en: 'running', ar: 'قيد التنفيذ' },
  status_aborted: { en: 'aborted', ar: 'أوقف' },
  status_failed: { en: 'failed', ar: 'فشل' },
};

/** The teams the user coordinates: [{team_id, team_name}]. */
function coordinated(ui) {
  return ui.memberships().filter((m) => m.role === 'coordinator');
}

function dateText(ui, iso) {
  return formatTime(ui.lang, iso);
}

function verificationCodes(ui) {
  const list = ui.engine.schemas?.vocabularies?.vocabularies?.verification_status || [];
  return list.map((e) => e.code);
}

class ExportsView {
  constructor(ui) {
    this.ui = ui;
    const teams = coordinated(ui);
    this.teams = teams;
    this.teamId = teams[0]?.team_id || '';
  }

  tr(key, params) { return this.ui.tr(key, params); }

  render() {
    const h = this.ui.h;
    const teamPicker = this.teams.length > 1 ? h('label', {}, h('span', { text: this.tr('exports_team') }),
      h('select', { id: 'exports-team', onchange: (e) => { this.teamId = e.target.value; this.refreshLists(); this.updateLink(); } },
        this.teams.map((m) => h('option', { value: m.team_id, selected: m.team_id === this.teamId, text: m.team_name || m.team_id })))) : null;
    this.box = h('div', { class: 'exports-screen' },
      teamPicker,
      this.exportForm(),
      h('section', { class: 'card', id: 'export-log-card' },
        h('div', { class: 'row exports-head' },
          h('h2', { text: this.tr('exports_log') }),
          h('button', { type: 'button', class: 'link', id: 'export-log-refresh', onclick: () => this.refreshLog() },
            this.tr('exports_refresh'))),
        h('ul', { id: 'export-log', class: 'export-log' })),
      this.tokenSection());
    this.refreshLists();
    return this.box;
  }

  // -- download --------------------------------------------------------------------------

  select(id, name, options, onchange) {
    const h = this.ui.h;
    return h('select', { id, name, onchange }, options.map(([value, text]) => h('option', { value, text })));
  }

  verificationBoxes(prefix) {
    const h = this.ui.h;
    return h('fieldset', { class: 'checks', id: `${prefix}-verification` },
      h('legend', { text: this.tr('exports_verification') }),
      verificationCodes(this.ui).map((code) => h('label', { class: 'check' },
        h('input', { type: 'checkbox', name: 'verification', value: code }),
        h('span', { text: this.ui.codeLabel('verification_status', code) }))));
  }

  exportForm() {
    const h = this.ui.h;
    const field = (label, control) => h('label', {}, h('span', { text: label }), control);
    const update = () => this.updateLink();
    this.form = h('form', { id: 'export-form', oninput: update, onchange: update,
      onsubmit: (e) => e.preventDefault() },
    field(this.tr('exports_profile'), this.select('export-profile', 'profile',
      ['internal', 'partner', 'public', 'tracing'].map((p) => [p, this.tr(`profile_${p}`)]),
      () => this.syncChoices())),
    h('p', { class: 'hint', id: 'export-profile-about' }),
    field(this.tr('exports_format'), h('select', { id: 'export-format', name: 'format',
      onchange: () => this.syncChoices() })),
    field(this.tr('exports_kind'), h('select', { id: 'export-kind', name: 'kind' })),
    h('div', { id: 'export-recipient-box' }, field(this.tr('exports_recipient'),
      h('input', { id: 'export-recipient', name: 'recipient', type: 'text', maxlength: 200, autocomplete: 'off' }))),
    h('details', { class: 'filters', open: true },
      h('summary', { text: this.tr('exports_filters') }),
      h('div', { class: 'grid2' },
        field(this.tr('exports_date_from'), h('input', { id: 'export-date-from', name: 'date_from', type: 'date' })),
        field(this.tr('exports_date_to'), h('input', { id: 'export-date-to', name: 'date_to', type: 'date' }))),
      field(this.tr('exports_place'), h('input', { id: 'export-place', name: 'place', type: 'text',
        dir: 'ltr', autocomplete: 'off', spellcheck: 'false' })),
      this.verificationBoxes('export'),
      field(this.tr('exports_since'), h('input', { id: 'export-since', name: 'since', type: 'date' }))),
    h('p', { class: 'error', role: 'alert', id: 'export-error' }),
    h('p', { class: 'hint', id: 'export-note', 'aria-live': 'polite' }),
    h('a', { id: 'export-download', class: 'button', href: '#', download: '',
      onclick: (e) => this.download(e), text: this.tr('exports_download') }));
    this.syncChoices();
    return h('section', { class: 'card', id: 'export-card' }, h('h2', { text: this.tr('exports_title') }), this.form);
  }

  /** Formats and kinds follow the profile (and a table holds one kind). */
  syncChoices() {
    const h = this.ui.h;
    const f = this.form;
    const profile = f.elements.profile.value;
    const formatSelect = f.elements.format;
    const format = FORMATS_OF[profile].includes(formatSelect.value) ? formatSelect.value : FORMATS_OF[profile][0];
    formatSelect.replaceChildren(...FORMATS_OF[profile].map((x) => h('option', { value: x,
      selected: x === format, text: this.tr(`format_${x}`) })));
    const kindSelect = f.elements.kind;
    const kind = kindSelect.value;
    const oneKind = TABULAR.has(format) && profile !== 'public';
    const kinds = KINDS_OF[profile];
    const options = [...(oneKind ? [] : [['', this.tr('exports_all_kinds')]]),
      ...kinds.map((k) => [k, this.ui.kindLabel(k)])];
    kindSelect.replaceChildren(...options.map(([value, text]) => h('option', { value, text,
      selected: value === kind })));
    if (!options.some(([value]) => value === kindSelect.value)) kindSelect.value = options[0][0];
    f.querySelector('#export-recipient-box').hidden = !['partner', 'tracing'].includes(profile);
    f.elements.since.disabled = profile === 'public';
    f.querySelector('#export-profile-about').textContent = this.tr(`about_${profile}`);
    this.updateLink();
  }

  /** The export's query, or an error text when the server would refuse it. */
  query() {
    const f = this.form;
    const profile = f.elements.profile.value;
    const q = new URLSearchParams({ profile, format: f.elements.format.value });
    if (this.teamId) q.set('team_id', this.teamId);
    if (f.elements.kind.value) q.append('kind', f.elements.kind.value);
    const recipient = f.elements.recipient.value.trim();
    if (['partner', 'tracing'].includes(profile)) {
      if (!recipient) return { error: this.tr('exports_need_recipient') };
      q.set('recipient', recipient);
    }
    for (const name of ['date_from', 'date_to', 'place', 'since']) {
      const el = f.elements[name];
      if (!el.disabled && el.value.trim()) q.set(name, el.value.trim());
    }
    for (const box of f.querySelectorAll('input[name=verification]:checked')) q.append('verification', box.value);
    return { query: q };
  }

  updateLink() {
    const { query } = this.query();
    const link = this.form.querySelector('#export-download');
    link.href = query ? `/api/v1/exports?${query}` : '#';
    this.form.querySelector('#export-error').textContent = '';
  }

  download(event) {
    const { query: params, error } = this.query();
    const query = String(params || '');
    const errorBox = this.form.querySelector('#export-error');
    if (error) {
      event.preventDefault();
      errorBox.textContent = error;
      return;
    }
    if (this.checked === query) {
      // Checked a moment ago: the link itself does the download, and the browser
      // streams the attachment to disk.
      this.checked = null;
      this.form.querySelector('#export-note').textContent = this.tr('exports_started');
      setTimeout(() => this.refreshLog(), 1500);
      return;
    }
    // Ask the server first (`check=1` exports and logs nothing): a refusal followed
    // from a plain link would be saved to disk as a file holding the error.
    event.preventDefault();
    const link = event.currentTarget;
    errorBox.textContent = '';
    this.ui.api('GET', `/exports?${query}&check=1`).then(() => {
      this.checked = query;
      link.click();
    }, (exc) => {
      errorBox.textContent = this.ui.errorText(exc);
    });
  }

  // -- log -------------------------------------------------------------------------------

  async refreshLists() {
    await Promise.all([this.refreshLog(), this.refreshTokens()]);
  }

  async refreshLog() {
    const h = this.ui.h;
    const list = this.box.querySelector('#export-log');
    let data;
    try {
      data = await this.ui.api('GET', '/exports/log');
    } catch (exc) {
      list.replaceChildren(h('li', { class: 'error', text: this.ui.errorText(exc) }));
      return;
    }
    const rows = data.exports.filter((x) => x.team_id === this.teamId).slice(0, 50);
    list.replaceChildren(...(rows.length ? rows.map((x) => h('li', { class: 'export-entry', 'data-id': x.id,
      'data-status': x.status },
    h('div', {}, h('time', { datetime: x.started_at, text: dateText(this.ui, x.started_at) }), ' · ',
      h('span', { text: this.tr(`profile_${x.profile}`) }), ' · ',
      h('bdi', { dir: 'ltr', text: x.format })),
    h('div', { class: 'hint' }, `${this.tr('exports_by')} `, h('bdi', { text: x.actor_name }), ' · ',
      h('span', { text: this.tr('exports_records', { n: x.record_count ?? 0 }) }),
      x.withdrawn_count ? h('span', { text: ` · ${this.tr('exports_withdrawn', { n: x.withdrawn_count })}` }) : null,
      ' · ', h('span', { class: `state ${x.status}`, text: this.tr(`status_${x.status}`) })),
    ))
      : [h('li', { class: 'empty', text: this.tr('exports_log_empty') })]));
  }

  // -- partner tokens --------------------------------------------------------------------

  tokenSection() {
    const h = this.ui.h;
    const field = (label, control) => h('label', {}, h('span', { text: label }), control);
    const expiry = new Date(Date.now() + DEFAULT_TOKEN_DAYS * 86400e3).toISOString().slice(0, 10);
    const f = h('form', { id: 'token-form', onsubmit: (e) => { e.preventDefault(); this.issue(); } },
      h('h3', { text: this.tr('tokens_issue') }),
      field(this.tr('exports_recipient'), h('input', { id: 'token-recipient', name: 'recipient', type: 'text',
        required: true, maxlength: 200, autocomplete: 'off' })),
      field(this.tr('exports_profile'), this.select('token-profile', 'profile',
        TOKEN_PROFILES.map((p) => [p, this.tr(`profile_${p}`)]), (e) => {
          f.querySelector('#token-profile-about').textContent = this.tr(`about_${e.target.value}`);
        })),
      h('p', { class: 'hint', id: 'token-profile-about', text: this.tr(`about_${TOKEN_PROFILES[0]}`) }),
      h('fieldset', { class: 'checks', id: 'token-kinds' }, h('legend', { text: this.tr('tokens_kinds') }),
        KINDS.map((k) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'kinds', value: k }),
          h('span', { text: this.ui.kindLabel(k) })))),
      h('div', { class: 'grid2' },
        field(this.tr('exports_date_from'), h('input', { id: 'token-date-from', name: 'date_from', type: 'date' })),
        field(this.tr('exports_date_to'), h('input', { id: 'token-date-to', name: 'date_to', type: 'date' }))),
      field(this.tr('exports_place'), h('input', { id: 'token-place', name: 'place', type: 'text', dir: 'ltr',
        autocomplete: 'off', spellcheck: 'false' })),
      this.verificationBoxes('token'),
      field(this.tr('tokens_expires'), h('input', { id: 'token-expires', name: 'expires', type: 'date', value: expiry })),
      h('p', { class: 'error', role: 'alert', id: 'token-error' }),
      h('button', { type: 'submit', id: 'token-issue' }, this.tr('tokens_issue')));
    this.tokenForm = f;
    return h('section', { class: 'card', id: 'tokens-card' },
      h('h2', { text: this.tr('tokens_title') }),
      h('p', { class: 'hint', text: this.tr('tokens_help') }),
      h('div', { id: 'token-new' }),
      this.tokenForm,
      h('h3', { text: this.tr('tokens_list') }),
      h('ul', { id: 'token-list', class: 'token-list' }));
  }

  async issue() {
    const f = this.tokenForm;
    const body = { team_id: this.teamId, recipient: f.elements.recipient.value.trim(), profile: f.elements.profile.value };
    const kinds = [...f.querySelectorAll('input[name=kinds]:checked')].map((x) => x.value);
    if (kinds.length) body.kinds = kinds;
    const verification = [...f.querySelectorAll('input[name=verification]:checked')].map((x) => x.value);
    if (verification.length) body.verification = verification;
    for (const name of ['date_from', 'date_to', 'place']) if (f.elements[name].value.trim()) body[name] = f.elements[name].value.trim();
    // The end of the chosen day, in UTC.
    if (f.elements.expires.value) body.expires_at = `${f.elements.expires.value}T23:59:59Z`;
    const error = f.querySelector('#token-error');
    error.textContent = '';
    const button = f.querySelector('#token-issue');
    button.disabled = true;
    try {
      const data = await this.ui.api('POST', '/partner-tokens', body);
      this.showNewToken(data.partner_token, data.token);
      f.elements.recipient.value = '';
      await this.refreshTokens();
    } catch (exc) {
      const fields = exc.fields ? Object.entries(exc.fields).map(([k, v]) => `${k}: ${[v].flat().join(' ')}`).join('; ') : '';
      error.textContent = [exc.message, fields].filter(Boolean).join(' — ');
    } finally {
      button.disabled = false;
    }
  }

  /** The new token, shown once: a read-only field and a copy button. */
  showNewToken(row, token) {
    const h = this.ui.h;
    const input = h('input', { id: 'token-value', type: 'text', readonly: true, dir: 'ltr', value: token,
      'aria-label': this.tr('tokens_title'), onfocus: (e) => e.target.select() });
    const done = h('span', { class: 'hint', 'aria-live': 'polite' });
    const copy = h('button', { type: 'button', id: 'token-copy', onclick: async () => {
      try {
        await navigator.clipboard.writeText(token);
      } catch {
        input.select();
        document.execCommand('copy'); // older WebViews without the async clipboard
      }
      done.textContent = this.tr('tokens_copied');
    } }, this.tr('tokens_copy'));
    this.box.querySelector('#token-new').replaceChildren(h('div', { class: 'notice token-once', 'data-id': row.id },
      h('p', { text: this.tr('tokens_shown_once') }),
      h('p', {}, h('bdi', { text: row.recipient }), ' · ', h('span', { text: this.tr(`profile_${row.profile}`) })),
      h('div', { class: 'row copy-row' }, input, copy), done));
  }

  tokenState(t) {
    if (t.revoked) return 'revoked';
    if (t.expires_at && new Date(t.expires_at) <= new Date()) return 'expired';
    return 'active';
  }

  filterText(filters) {
    const parts = [];
    for (const k of filters?.kinds || []) parts.push(this.ui.kindLabel(k));
    for (const v of filters?.verification || []) parts.push(this.ui.codeLabel('verification_status', v));
    if (filters?.date_from || filters?.date_to) parts.push(`${filters.date_from || '…'} – ${filters.date_to || '…'}`);
    if (filters?.place) parts.push(filters.place);
    return parts.join(' · ');
  }

  async refreshTokens() {
    const h = this.ui.h;
    const list = this.box.querySelector('#token-list');
    let data;
    try {
      data = await this.ui.api('GET', '/partner-tokens');
    } catch (exc) {
      list.replaceChildren(h('li', { class: 'error', text: this.ui.errorText(exc) }));
      return;
    }
    const rows = data.partner_tokens.filter((t) => t.team_id === this.teamId);
    list.replaceChildren(...(rows.length ? rows.map((t) => {
      const state = this.tokenState(t);
      return h('li', { class: `token ${state}`, 'data-id': t.id, 'data-state': state },
        h('div', {}, h('strong', {}, h('bdi', { text: t.recipient })), ' · ',
          h('span', { text: this.tr(`profile_${t.profile}`) }), ' · ',
          h('span', { class: `state ${state}`, text: this.tr(`tokens_${state}`) })),
        h('div', { class: 'hint' },
          t.expires_at ? h('span', { text: this.tr('tokens_until', { d: dateText(this.ui, t.expires_at) }) }) : null,
          t.expires_at ? ' · ' : null,
          h('span', { text: t.last_used_at ? this.tr('tokens_last_used', { d: dateText(this.ui, t.last_used_at) })
            : this.tr('tokens_never_used') }),
          this.filterText(t.filters) ? h('span', {}, ' · ', h('bdi', { text: this.filterText(t.filters) })) : null),
        state === 'active' ? h('button', { type: 'button', class: 'danger revoke', onclick: () => this.revoke(t) },
          this.tr('tokens_revoke')) : null);
    }) : [h('li', { class: 'empty', text: this.tr('tokens_none') })]));
  }

  async revoke(t) {
    if (!confirm(this.tr('tokens_revoke_confirm', { r: t.recipient }))) return;
    try {
      await this.ui.api('POST', `/partner-tokens/${encodeURIComponent(t.id)}/revoke`);
    } catch (exc) {
      this.box.querySelector('#token-error').textContent = this.ui.errorText(exc);
    }
    const shown = this.box.querySelector('#token-new .token-once');
    if (shown?.dataset.id === t.id) shown.remove();
    await this.refreshTokens();
  }
}

export default {
  id: 'exports',
  nav: { en: 'Exports', ar: 'التصدير' },
  allowed: (ui) => ui.isCoordinator(),
  strings: STRINGS,
  render(ui) {
    return new ExportsView(ui).render();
  },
};
