// Administration, #/admin/<tab>: users and teams, devices (revoke), parked changes, the
// sync monitor and the security audit log. Online only (ui.api): nothing here is kept on
// the device, and offline each tab says it needs the network. Admins see every tab;
// a coordinator sees their team's members, devices, parked changes and the monitor —
// the server checks every request again and answers 403 to anyone else.

import { h } from '../dom.js';
import { Directory, STRINGS, formatValue, isoTime, needsNetwork, shortId } from './coord-common.js';

const AUDIT_PAGE = 25;

const TABS = [
  { id: 'users', admin: true },
  { id: 'team', admin: false, coordinatorOnly: true },
  { id: 'devices', admin: false },
  { id: 'parked', admin: false },
  { id: 'monitor', admin: false },
  { id: 'audit', admin: true },
];

function tabsFor(ui) {
  return TABS.filter((t) => (t.admin ? ui.isAdmin() : t.coordinatorOnly ? ui.isCoordinator() && !ui.isAdmin() : true));
}

function table(headers, rows, attrs = {}) {
  // Each cell carries its column's name: on a phone the rows stack as cards (app.css).
  for (const row of rows) [...row.children].forEach((td, i) => td.setAttribute('data-label', headers[i] || ''));
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'stack', ...attrs },
      h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, rows)));
}

const cell = (text, attrs = {}) => h('td', attrs, h('bdi', { text: text ?? '—' }));

/** Run an action, then re-render the tab; errors show in the tab's alert line. */
async function act(ui, box, fn) {
  const line = box.querySelector('.error');
  if (line) line.textContent = '';
  try {
    await fn();
    await ui.refresh();
  } catch (exc) {
    if (line) line.textContent = ui.errorText(exc);
  }
}

// -- users and teams (admins) ------------------------------------------------------------

function otpBox(ui, username, password) {
  // Shown once: the server keeps only its hash; nothing here stores it.
  return h('div', { class: 'notice otp', id: 'one-time-password', role: 'status' },
    h('p', {}, ui.tr('adm_otp_for'), ' ', h('bdi', { class: 'otp-user', text: username })),
    h('p', {}, h('code', { class: 'otp-value' }, h('bdi', { text: password }))),
    h('p', { class: 'hint', text: ui.tr('adm_otp_once') }));
}

async function usersTab(ui, box) {
  const [users, teams] = await Promise.all([ui.api('GET', '/users'), ui.api('GET', '/teams')]);
  const directory = await Directory.load(ui, { refresh: false });
  await directory.learn(Object.fromEntries(users.map((u) => [u.id, { username: u.username,
    display_name: u.display_name }])));
  const teamOptions = () => teams.map((t) => h('option', { value: t.id }, t.name));
  const roleOptions = () => ['reporter', 'coordinator'].map((r) => h('option', { value: r }, ui.tr(`adm_role_${r}`)));
  const shown = h('div', { class: 'otp-slot' });

  const create = h('form', { class: 'card', id: 'create-user' },
    h('h3', { text: ui.tr('adm_create_user') }),
    h('label', {}, h('span', { text: ui.tr('username') }),
      h('input', { name: 'username', id: 'new-username', required: true, autocapitalize: 'none', autocomplete: 'off' })),
    h('label', {}, h('span', { text: ui.tr('adm_display_name') }), h('input', { name: 'display_name', id: 'new-display-name' })),
    h('label', {}, h('span', { text: ui.tr('adm_team') }),
      h('select', { name: 'team_id', id: 'new-team' }, h('option', { value: '' }, '—'), teamOptions())),
    h('label', {}, h('span', { text: ui.tr('adm_role') }), h('select', { name: 'role', id: 'new-role' }, roleOptions())),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'is_admin', id: 'new-is-admin' }),
      h('span', { text: ui.tr('adm_is_admin') })),
    h('p', { class: 'error', role: 'alert' }),
    h('button', { type: 'submit', id: 'create-user-submit' }, ui.tr('adm_create_user')));
  create.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(create);
    const body = { username: f.get('username').trim(), display_name: f.get('display_name').trim(),
      is_admin: f.get('is_admin') === 'on',
      memberships: f.get('team_id') ? [{ team_id: f.get('team_id'), role: f.get('role') }] : [] };
    try {
      const made = await ui.api('POST', '/users', body);
      create.reset();
      shown.replaceChildren(otpBox(ui, made.user.username, made.one_time_password));
      box.querySelector('#users-table-slot').replaceChildren(userTable(await ui.api('GET', '/users')));
    } catch (exc) {
      create.querySelector('.error').textContent = fieldErrors(ui, exc);
    }
  });

  const userTable = (list) => table(
    [ui.tr('username'), ui.tr('adm_display_name'), ui.tr('adm_teams_roles'), ui.tr('adm_state'), ui.tr('adm_actions')],
    list.map((u) => h('tr', { 'data-user': u.username },
      cell(u.username), cell(u.display_name || '—'),
      h('td', {}, (u.memberships || []).map((m) => h('div', {}, h('bdi', { text: m.team_name }), ': ',
        ui.tr(`adm_role_${m.role}`))), u.is_admin ? h('div', { text: ui.tr('adm_is_admin') }) : null),
      cell(u.disabled ? ui.tr('adm_disabled') : ui.tr('adm_active')),
      h('td', { class: 'actions' },
        h('button', { type: 'button', class: u.disabled ? '' : 'danger', 'data-action': u.disabled ? 'enable' : 'disable',
          onclick: () => act(ui, box, () => ui.api('POST', `/users/${u.id}/${u.disabled ? 'enable' : 'disable'}`)) },
        ui.tr(u.disabled ? 'adm_enable' : 'adm_disable')),
        h('button', { type: 'button', 'data-action': 'reset', onclick: async () => {
          try {
            const answer = await ui.api('POST', `/users/${u.id}/reset-password`);
            shown.replaceChildren(otpBox(ui, u.username, answer.one_time_password));
            shown.scrollIntoView?.();
          } catch (exc) {
            box.querySelector('.error').textContent = ui.errorText(exc);
          }
        } }, ui.tr('adm_reset_password')),
        roleForm(ui, box, u, teamOptions, roleOptions)))));

  const teamForm = h('form', { class: 'card', id: 'create-team' },
    h('h3', { text: ui.tr('adm_teams') }),
    h('ul', { class: 'teams' }, teams.map((t) => h('li', {}, h('bdi', { text: t.name })))),
    h('label', {}, h('span', { text: ui.tr('adm_new_team') }), h('input', { name: 'name', id: 'new-team-name', required: true })),
    h('button', { type: 'submit' }, ui.tr('adm_create_team')));
  teamForm.addEventListener('submit', (e) => {
    e.preventDefault();
    act(ui, box, () => ui.api('POST', '/teams', { name: new FormData(teamForm).get('name').trim() }));
  });

  return [h('p', { class: 'error', role: 'alert' }), shown, create,
    h('h3', { text: ui.tr('adm_users') }), h('div', { id: 'users-table-slot' }, userTable(users)), teamForm];
}

function roleForm(ui, box, user, teamOptions, roleOptions) {
  const form = h('form', { class: 'role-form' },
    h('select', { name: 'team_id', 'aria-label': ui.tr('adm_team') }, teamOptions()),
    h('select', { name: 'role', 'aria-label': ui.tr('adm_role') }, roleOptions(),
      h('option', { value: '' }, ui.tr('adm_no_role'))),
    h('button', { type: 'submit' }, ui.tr('adm_set_role')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const f = new FormData(form);
    const others = (user.memberships || []).filter((m) => m.team_id !== f.get('team_id'))
      .map((m) => ({ team_id: m.team_id, role: m.role }));
    const memberships = f.get('role') ? [...others, { team_id: f.get('team_id'), role: f.get('role') }] : others;
    act(ui, box, () => ui.api('PATCH', `/users/${user.id}`, { memberships }));
  });
  return form;
}

function fieldErrors(ui, exc) {
  const fields = Object.entries(exc.fields || {}).map(([k, v]) => `${k}: ${[v].flat().join(' ')}`);
  return [ui.errorText(exc), ...fields].join(' — ');
}

// -- a coordinator's team ----------------------------------------------------------------

async function teamTab(ui) {
  const teams = ui.memberships().filter((m) => m.role === 'coordinator');
  const out = [];
  for (const t of teams) {
    const members = await ui.api('GET', `/teams/${encodeURIComponent(t.team_id)}/members`);
    out.push(h('h3', {}, h('bdi', { text: t.team_name || shortId(t.team_id) })),
      table([ui.tr('username'), ui.tr('adm_display_name'), ui.tr('adm_role'), ui.tr('adm_state')],
        members.map((m) => h('tr', {}, cell(m.username), cell(m.display_name || '—'), cell(ui.tr(`adm_role_${m.role}`)),
          cell(m.disabled ? ui.tr('adm_disabled') : ui.tr('adm_active'))))));
  }
  return out;
}

// -- devices -----------------------------------------------------------------------------

async function devicesTab(ui, box) {
  const { devices } = await ui.api('GET', '/devices');
  const directory = await Directory.load(ui);
  const mine = ui.engine.identity?.device?.id;
  return [h('p', { class: 'hint', text: ui.tr('adm_devices_help') }), h('p', { class: 'error', role: 'alert' }),
    table([ui.tr('adm_device_name'), ui.tr('adm_user'), ui.tr('adm_last_seen'), ui.tr('adm_app_version'), ui.tr('adm_state'), ''],
      devices.map((d) => h('tr', { 'data-device': d.id, 'data-origin': d.origin_id, 'data-revoked': String(d.revoked) },
        h('td', {}, h('bdi', { text: d.name }), d.id === mine ? h('span', { class: 'badge', text: ui.tr('cand_this_device') }) : null,
          h('div', { class: 'hint', title: d.origin_id }, h('bdi', { text: shortId(d.origin_id) }))),
        cell(directory.userName(d.user_id)), cell(isoTime(ui, d.last_seen_at)), cell(d.app_version || '—'),
        cell(d.revoked ? `${ui.tr('adm_revoked')} ${isoTime(ui, d.revoked_at)}` : ui.tr('adm_active')),
        h('td', {}, d.revoked ? null : h('button', { type: 'button', class: 'danger revoke',
          onclick: () => {
            if (!confirm(ui.tr('adm_revoke_confirm', { name: d.name }))) return;
            act(ui, box, () => ui.api('POST', `/devices/${encodeURIComponent(d.id)}/revoke`));
          } }, ui.tr('adm_revoke'))))), { id: 'devices-table' })];
}

// -- parked changes ----------------------------------------------------------------------

async function parkedTab(ui) {
  const { parked } = await ui.api('GET', '/sync/parked');
  const directory = await Directory.load(ui);
  return [h('p', { class: 'hint', text: ui.tr('adm_parked_help') }),
    parked.length ? table([ui.tr('adm_reason'), ui.tr('adm_record'), ui.tr('adm_user'), ui.tr('adm_received'), ui.tr('adm_resolution')],
      parked.map((p) => h('tr', { 'data-op': p.op_id },
        h('td', {}, ui.reasonNode(p.reason), changeSummary(ui, p)),
        h('td', {}, ui.engine.view(p.record_id)
          ? h('a', { href: `#/record/${encodeURIComponent(p.record_id)}` }, h('bdi', { text: ui.title(ui.engine.view(p.record_id)) }))
          : h('bdi', { text: `${p.kind ? ui.kindLabel(p.kind) : ''} ${shortId(p.record_id)}` })),
        cell(p.user_id ? directory.userName(p.user_id) : p.via),
        cell(isoTime(ui, p.received_at)),
        cell(p.resolution ? ui.tr(`adm_resolution_${p.resolution}`) : ui.tr('adm_still_parked')))), { id: 'parked-table' })
      : h('p', { class: 'empty', text: ui.tr('adm_nothing_parked') })];
}

/** What a parked change wrote (its team's coordinators get the content; admins do not). */
function changeSummary(ui, p) {
  const patch = p.change?.patch;
  if (!patch || typeof patch !== 'object' || !Object.keys(patch).length) return null;
  const kind = p.change.kind || p.kind;
  return h('ul', { class: 'parked-patch hint' }, Object.entries(patch).map(([f, v]) => h('li', {},
    ui.label(kind, f), ': ', h('bdi', { text: formatValue(ui, kind, f, v) }))));
}

// -- the sync monitor --------------------------------------------------------------------

async function monitorTab(ui) {
  const { devices, peers } = await ui.api('GET', '/sync/peers');
  const directory = await Directory.load(ui);
  const out = [h('p', { class: 'hint', text: ui.tr('adm_monitor_help') }),
    table([ui.tr('adm_device_name'), ui.tr('adm_user'), ui.tr('adm_last_seen'), ui.tr('adm_reported_seq'), ui.tr('adm_hub_holds'),
      ui.tr('adm_missing'), ui.tr('adm_parked_count')],
    devices.map((d) => h('tr', { 'data-device': d.id, class: d.missing ? 'warn' : '' },
      h('td', {}, h('bdi', { text: d.name }), d.revoked ? h('span', { class: 'badge', text: ui.tr('adm_revoked') }) : null),
      cell(directory.userName(d.user_id)), cell(isoTime(ui, d.last_seen_at)),
      cell(String(d.reported_seq)), cell(String(d.hub_holds_seq)),
      cell(String(d.missing)), cell(String(d.parked)))), { id: 'monitor-table' })];
  if (peers.length) {
    out.push(h('h3', { text: ui.tr('adm_peer_hubs') }),
      table([ui.tr('adm_device_name'), ui.tr('adm_last_exchange'), ui.tr('adm_lag'), ui.tr('adm_failures'), ui.tr('adm_last_error')],
        peers.map((p) => h('tr', {}, cell(p.name), cell(isoTime(ui, p.last_exchange_at)), cell(String(p.lag_to_peer)),
          cell(String(p.failures)), cell(p.last_error || '—')))));
  }
  return out;
}

// -- the audit log -----------------------------------------------------------------------

async function auditTab(ui, params) {
  const page = Math.max(1, Number(params[0]) || 1);
  const action = params[1] || '';
  const query = new URLSearchParams({ page: String(page), per_page: String(AUDIT_PAGE), ...(action ? { action } : {}) });
  const answer = await ui.api('GET', `/audit?${query}`);
  const pages = Math.max(1, Math.ceil(answer.total / answer.per_page));
  const go = (p, a = action) => ui.go(`#/admin/audit/${p}${a ? `/${encodeURIComponent(a)}` : ''}`);
  const filter = h('form', { class: 'row audit-filter' },
    h('label', {}, h('span', { text: ui.tr('adm_audit_action') }),
      h('input', { name: 'action', id: 'audit-action', value: action, placeholder: 'login_failed' })),
    h('button', { type: 'submit' }, ui.tr('adm_filter')));
  filter.addEventListener('submit', (e) => {
    e.preventDefault();
    go(1, new FormData(filter).get('action').trim());
  });
  return [filter,
    table([ui.tr('adm_when_col'), ui.tr('adm_audit_action'), ui.tr('adm_user'), ui.tr('adm_target'), ui.tr('adm_address'), ui.tr('adm_details')],
      answer.items.map((ev) => h('tr', { 'data-action': ev.action },
        cell(isoTime(ui, ev.at), { class: 'time' }), cell(ev.action), cell(ev.actor_name || '—'),
        cell(ev.target_type ? `${ev.target_type} ${shortId(ev.target_id)}` : '—'), cell(ev.address || '—'),
        h('td', { class: 'details' }, Object.keys(ev.details || {}).length
          ? h('code', { dir: 'ltr', text: JSON.stringify(ev.details) }) : '—'))),
      { id: 'audit-table' }),
    h('nav', { class: 'pager row', 'aria-label': ui.tr('adm_pages') },
      h('button', { type: 'button', id: 'audit-prev', disabled: page <= 1, onclick: () => go(page - 1) }, ui.tr('adm_previous')),
      h('span', { class: 'page-no' }, ui.tr('adm_page_of', { n: page, total: pages })),
      h('button', { type: 'button', id: 'audit-next', disabled: page >= pages, onclick: () => go(page + 1) }, ui.tr('adm_next')))];
}

const RENDER = { users: usersTab, team: teamTab, devices: devicesTab, parked: parkedTab, monitor: monitorTab,
  audit: auditTab };

export default {
  id: 'admin',
  nav: { en: 'Administration', ar: 'الإدارة' },
  allowed: (ui) => ui.isAdmin() || ui.isCoordinator(),
  strings: {
    ...STRINGS,
    adm_admin_sections: { en: 'Administration sections', ar: 'أقسام الإدارة' },
    adm_tab_users: { en: 'Users and teams', ar: 'المستخدمون والفرق' },
    adm_tab_team: { en: 'My team', ar: 'فريقي' },
    adm_tab_devices: { en: 'Devices', ar: 'الأجهزة' },
    adm_tab_parked: { en: 'Parked changes', ar: 'التغييرات المعلّقة' },
    adm_tab_monitor: { en: 'Sync monitor', ar: 'مراقبة المزامنة' },
    adm_tab_audit: { en: 'Audit log', ar: 'سجل التدقيق' },
    adm_create_user: { en: 'Create user', ar: 'إنشاء مستخدم' },
    adm_display_name: { en: 'Display name', ar: 'الاسم الظاهر' },
    adm_team: { en: 'Team', ar: 'الفريق' },
    adm_teams: { en: 'Teams', ar: 'الفرق' },
    adm_role: { en: 'Role', ar: 'الدور' },
    adm_role_reporter: { en: 'Reporter', ar: 'مُبلِّغ' },
    adm_role_coordinator: { en: 'Coordinator', ar: 'منسِّق' },
    adm_no_role: { en: 'Remove from team', ar: 'إزالة من الفريق' },
    adm_set_role: { en: 'Set role', ar: 'تعيين الدور' },
    adm_is_admin: { en: 'Administrator', ar: 'مدير النظام' },
    adm_users: { en: 'Users', ar: 'المستخدمون' },
    adm_user: { en: 'User', ar: 'المستخدم' },
    adm_teams_roles: { en: 'Teams and roles', ar: 'الفرق والأدوار' },
    adm_state: { en: 'State', ar: 'الحالة' },
    adm_actions: { en: 'Actions', ar: 'إجراءات' },
    adm_active: { en: 'Active', ar: 'نشط' },
    adm_disabled: { en: 'Disabled', ar: 'معطَّل' },
    adm_enable: { en: 'Enable', ar: 'تفعيل' },
    adm_disable: { en: 'Disable', ar: 'تعطيل' },
    adm_reset_password: { en: 'New one-time password', ar: 'كلمة مرور جديدة لمرة واحدة' },
    adm_otp_for: { en: 'One-time password for', ar: 'كلمة المرور لمرة واحدة للمستخدم' },
    adm_otp_once: {
      en: 'Shown only now: give it to the person privately. They must choose their own password at first log in.',
      ar: 'تظهر الآن فقط: سلّمها للشخص على انفراد. عليه اختيار كلمة مرور خاصة به عند أول دخول.',
    },
    adm_new_team: { en: 'New team name', ar: 'اسم الفريق الجديد' },
    adm_create_team: { en: 'Create team', ar: 'إنشاء فريق' },
    adm_devices_help: {
      en: 'Revoking a device stops its sync at once; what it already sent stays.',
      ar: 'إلغاء جهاز يوقف مزامنته فوراً؛ ما أرسله سابقاً يبقى.',
    },
    adm_device_name: { en: 'Name', ar: 'الاسم' },
    adm_last_seen: { en: 'Last seen', ar: 'آخر ظهور' },
    adm_app_version: { en: 'App version', ar: 'إصدار التطبيق' },
    adm_revoked: { en: 'Revoked', ar: 'مُلغى' },
    adm_revoke: { en: 'Revoke', ar: 'إلغاء الجهاز' },
    adm_revoke_confirm: { en: 'Revoke “{name}”? It will no longer sync.', ar: 'إلغاء «{name}»؟ لن يتمكن من المزامنة بعد ذلك.' },
    adm_parked_help: {
      en: 'Changes the server kept aside instead of applying, with the reason. They are re-examined on every upgrade and by the command tawthiq sync reexamine on the server.',
      ar: 'تغييرات وضعها الخادم جانباً بدل تطبيقها، مع السبب. يُعاد فحصها عند كل ترقية وبالأمر tawthiq sync reexamine على الخادم.',
    },
    adm_reason: { en: 'Reason', ar: 'السبب' },
    adm_record: { en: 'Record', ar: 'السجل' },
    adm_received: { en: 'Received', ar: 'الاستلام' },
    adm_resolution: { en: 'Outcome', ar: 'النتيجة' },
    adm_resolution_applied: { en: 'Applied later', ar: 'طُبِّق لاحقاً' },
    adm_still_parked: { en: 'Still parked', ar: 'ما زال معلّقاً' },
    adm_nothing_parked: { en: 'No parked changes.', ar: 'لا توجد تغييرات معلّقة.' },
    adm_monitor_help: {
      en: 'Per device: the last change number it reports against what the server holds. “Missing” is still on the device.',
      ar: 'لكل جهاز: آخر رقم تغيير يبلغ عنه مقابل ما يحفظه الخادم. «الناقص» ما زال على الجهاز.',
    },
    adm_reported_seq: { en: 'Reported', ar: 'المُبلَّغ' },
    adm_hub_holds: { en: 'Server holds', ar: 'لدى الخادم' },
    adm_missing: { en: 'Missing', ar: 'الناقص' },
    adm_parked_count: { en: 'Parked', ar: 'المعلّق' },
    adm_peer_hubs: { en: 'Other hubs', ar: 'الخوادم الأخرى' },
    adm_last_exchange: { en: 'Last exchange', ar: 'آخر تبادل' },
    adm_lag: { en: 'Changes behind', ar: 'تغييرات متأخرة' },
    adm_failures: { en: 'Failures', ar: 'الإخفاقات' },
    adm_last_error: { en: 'Last error', ar: 'آخر خطأ' },
    adm_audit_action: { en: 'Action', ar: 'الإجراء' },
    adm_filter: { en: 'Filter', ar: 'تصفية' },
    adm_when_col: { en: 'When', ar: 'الوقت' },
    adm_target: { en: 'Target', ar: 'الهدف' },
    adm_address: { en: 'Address', ar: 'العنوان' },
    adm_details: { en: 'Details', ar: 'التفاصيل' },
    adm_pages: { en: 'Pages', ar: 'الصفحات' },
    adm_previous: { en: 'Previous', ar: 'السابق' },
    adm_next: { en: 'Next', ar: 'التالي' },
    adm_page_of: { en: 'Page {n} of {total}', ar: 'الصفحة {n} من {total}' },
  },
  async render(ui, params) {
    const tabs = tabsFor(ui);
    const tab = tabs.find((t) => t.id === params[0]) || tabs[0];
    const box = h('div', { class: 'admin-screen', 'data-tab': tab.id });
    box.append(
      h('nav', { class: 'tabs', 'aria-label': ui.tr('adm_admin_sections') }, tabs.map((t) => h('a', {
        href: `#/admin/${t.id}`, 'data-tab': t.id, 'aria-current': t.id === tab.id ? 'page' : false,
        text: ui.tr(`adm_tab_${t.id}`) }))),
      h('h2', { text: ui.tr(`adm_tab_${tab.id}`) }));
    const body = h('div', { class: 'tab-body', id: `admin-${tab.id}` });
    box.append(body);
    try {
      body.replaceChildren(...[await RENDER[tab.id](ui, tab.id === 'audit' ? params.slice(1) : body, params)].flat()
        .filter(Boolean));
    } catch (exc) {
      body.replaceChildren(needsNetwork(ui, exc));
    }
    return box;
  },
};
