// What the record detail, conflicts, review and admin screens share: a directory of
// people and devices (names for the user and origin ids that changes carry), value
// formatting with translated labels, times, and the side-by-side view of a field's
// conflicting candidates. Not a screen itself (it is not listed in screens/index.js).

import { h } from '../dom.js';
import { formatTime as formatMoment } from '../i18n.js';
import { parseHlc } from '../sync/hlc.js';

export const PERSON_KINDS = ['casualty', 'missing_person'];

// Names of users and devices, sealed on the device like everything else, so a
// coordinator offline still sees who wrote a candidate (as last seen online).
const DIRECTORY_KEY = 'people';
const REFRESH_MS = 60_000;
let cached = null;

export class Directory {
  constructor(ui) {
    this.ui = ui;
    this.users = {};
    this.devices = {};
    this.members = {}; // team id -> [{user_id, username, display_name, role, disabled}]
  }

  /** The sealed copy, then (online, best effort) fresh names from the hub. */
  static async load(ui, { refresh = true } = {}) {
    // One directory per unlock (per identity), refreshed from the hub at most once a minute:
    // screens re-render on every sync, and names change rarely.
    const owner = ui.engine.identity;
    if (cached && cached.owner === owner && cached.ui === ui) {
      if (refresh && navigator.onLine && Date.now() - cached.refreshedAt > REFRESH_MS) {
        cached.refreshedAt = Date.now();
        await cached.refresh().catch(() => {});
      }
      return cached;
    }
    const d = new Directory(ui);
    d.owner = owner;
    d.refreshedAt = 0;
    const saved = await ui.engine.vault?.getSealed(DIRECTORY_KEY).catch(() => null);
    if (saved) Object.assign(d, { users: saved.users || {}, devices: saved.devices || {},
      members: saved.members || {} });
    const me = ui.engine.identity?.user;
    if (me) d.users[me.id] = { username: me.username, display_name: me.display_name };
    if (refresh && navigator.onLine) {
      d.refreshedAt = Date.now();
      await d.refresh().catch(() => {});
    }
    cached = d;
    return d;
  }

  async refresh() {
    const ui = this.ui;
    const teams = ui.memberships().filter((m) => m.role === 'coordinator').map((m) => m.team_id);
    for (const team of teams) {
      const members = await ui.api('GET', `/teams/${encodeURIComponent(team)}/members`);
      this.members[team] = members;
      for (const m of members) this.users[m.user_id] = { username: m.username, display_name: m.display_name };
    }
    if (ui.isAdmin()) {
      for (const u of await ui.api('GET', '/users')) {
        this.users[u.id] = { username: u.username, display_name: u.display_name };
      }
    }
    const devices = await ui.api('GET', '/devices');
    for (const dev of devices.devices || []) {
      this.devices[dev.origin_id] = { name: dev.name, user_id: dev.user_id, id: dev.id };
    }
    await this.save();
  }

  /** Remember names learnt elsewhere (a history answer, the admin's user list). */
  async learn(users) {
    let changed = false;
    for (const [id, u] of Object.entries(users)) {
      if (!id || !u?.username || this.users[id]?.username === u.username) continue;
      this.users[id] = { ...this.users[id], ...u };
      changed = true;
    }
    if (changed) await this.save();
  }

  async save() {
    await this.ui.engine.vault?.putSealed(DIRECTORY_KEY, { users: this.users, devices: this.devices,
      members: this.members }).catch(() => {});
  }

  userName(id) {
    const u = this.users[id];
    return u ? (u.display_name || u.username) : shortId(id);
  }

  deviceName(originId) {
    if (originId && originId === this.ui.engine.identity?.origin_id) return this.ui.tr('cand_this_device');
    // Two phones of one team often share a name ("Tawthiq web (Android)"): the start of
    // the origin id tells them apart.
    const name = this.devices[originId]?.name;
    return name ? `${name} · ${shortId(originId)}` : shortId(originId);
  }
}

export function shortId(id) {
  if (!id) return '—';
  return id.length > 14 ? `${id.slice(0, 12)}…` : id;
}

/** A date-time in the user's language (numbers and month names localised). */
export function formatTime(ui, ms, { seconds = false } = {}) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '—';
  return formatMoment(ui.lang, ms, { seconds });
}

/** The wall time of a hybrid logical clock (to the second: candidates are often close). */
export function hlcTime(ui, hlc) {
  try {
    return formatTime(ui, parseHlc(hlc).wallMs, { seconds: true });
  } catch {
    return '—';
  }
}

export function isoTime(ui, iso) {
  return iso ? formatTime(ui, Date.parse(iso)) : '—';
}

/** The vocabulary a field's codes come from (its items' for sets), or null. */
function vocabularyOf(ui, kind, field) {
  const prop = ui.engine.schemas?.kinds?.[kind]?.properties?.[field];
  if (!prop) return null;
  if (prop.enum) return prop['x-vocabulary'] || field;
  if (prop.items?.enum) return prop.items['x-vocabulary'] || prop['x-vocabulary'] || field;
  return null;
}

/** A stored value as a person reads it: labels for codes, lists joined, yes/no. */
export function formatValue(ui, kind, field, value, directory = null) {
  if (value === null || value === undefined || value === '' || (Array.isArray(value) && !value.length)) {
    return '—';
  }
  if (field === 'assigned_to' && directory) return directory.userName(value);
  if (field === 'team_id') {
    const team = ui.memberships().find((m) => m.team_id === value);
    return team?.team_name || shortId(value);
  }
  const vocabulary = vocabularyOf(ui, kind, field);
  if (Array.isArray(value)) {
    return value.map((v) => (v && typeof v === 'object' ? (v.text ?? JSON.stringify(v))
      : vocabulary ? ui.codeLabel(vocabulary, v) : String(v))).join('، ');
  }
  if (typeof value === 'boolean') return ui.tr(value ? 'bool_yes' : 'bool_no');
  if (typeof value === 'object') return JSON.stringify(value);
  if (vocabulary) return ui.codeLabel(vocabulary, value);
  return String(value);
}

// What a reader looks for first (who, what happened), before the schema's (alphabetical) rest.
const FIRST = ['full_name', 'full_name_latin', 'given_name', 'father_name', 'family_name',
  'mother_name', 'event_type', 'item_name', 'quantity_needed', 'unit', 'priority', 'status', 'outcome',
  'sex', 'age_years', 'age_group', 'date_of_birth', 'disappearance_type', 'fate_status',
  'fate_status_date', 'last_seen_date', 'occurred_date', 'place_id', 'location_detail',
  'description', 'verification_status'];

/** Field names in reading order ('@' states first, then FIRST, then the schema's order). */
export function schemaOrder(ui, kind, fields) {
  const props = Object.keys(ui.engine.schemas?.kinds?.[kind]?.properties || {});
  const rank = (f) => {
    if (f.startsWith('@')) return -1;
    if (FIRST.includes(f)) return FIRST.indexOf(f);
    return FIRST.length + (props.includes(f) ? props.indexOf(f) : props.length);
  };
  return [...fields].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1));
}

/** A field's label; '@deleted' and '@merged_into' are the record's own states. */
export function fieldLabel(ui, kind, field) {
  if (field === '@deleted') return ui.tr('state_deleted');
  if (field === '@merged_into') return ui.tr('state_merged_into');
  return ui.label(kind, field);
}

/**
 * The candidates of one field side by side: value, who, when, from which device.
 * `onChoose(value)` (coordinators) adds a "Keep this value" button to each.
 */
export function candidateCards(ui, view, field, candidates, directory, onChoose = null) {
  return h('div', { class: 'candidates', 'data-field': field },
    candidates.map((c) => h('div', { class: 'candidate', 'data-op': c.op_id },
      h('p', { class: 'value' }, h('bdi', { text: formatValue(ui, view.kind, field, c.value, directory) })),
      h('dl', { class: 'meta' },
        h('dt', { text: ui.tr('cand_who') }), h('dd', { class: 'who' }, h('bdi', { text: directory.userName(c.author) })),
        h('dt', { text: ui.tr('cand_when') }), h('dd', { class: 'when' }, h('bdi', { text: hlcTime(ui, c.hlc) })),
        h('dt', { text: ui.tr('cand_device') }), h('dd', { class: 'device', title: c.origin_id || '' },
          h('bdi', { text: directory.deviceName(c.origin_id) }))),
      onChoose ? h('button', { type: 'button', class: 'choose', onclick: () => onChoose(c.value) },
        ui.tr('choose_value')) : null)));
}

/** A screen's "this needs the network" answer, clearer than a raw error. */
export function needsNetwork(ui, exc) {
  if (exc?.code === 'offline') {
    return h('p', { class: 'notice needs-network', role: 'status', text: ui.errorText(exc) });
  }
  return h('p', { class: 'error', role: 'alert', text: ui.errorText(exc) });
}

/** Whether the user coordinates the team that holds this record. */
export function coordinates(ui, view) {
  return ui.engine.roleIn(view?.values?.team_id) === 'coordinator';
}

export const STRINGS = {
  cand_this_device: { en: 'this device', ar: 'هذا الجهاز' },
  cand_who: { en: 'Who', ar: 'من' },
  cand_when: { en: 'When', ar: 'متى' },
  cand_device: { en: 'Device', ar: 'الجهاز' },
  bool_yes: { en: 'Yes', ar: 'نعم' },
  bool_no: { en: 'No', ar: 'لا' },
  state_deleted: { en: 'Deleted', ar: 'محذوف' },
  state_merged_into: { en: 'Merged into', ar: 'دُمج في' },
  record_open: { en: 'Open', ar: 'فتح' },
  no_such_record: { en: 'This record is not on this device.', ar: 'هذا السجل غير موجود على هذا الجهاز.' },
};
