// Field classes per record kind: how each field merges (mirror of sync/fields.py).
// A browser test compares this table with the Python one, so they cannot drift.

const NAMES = ['full_name', 'full_name_latin', 'given_name', 'father_name', 'family_name',
  'mother_name'];

export const KINDS = {
  incident: { counters: [], collections: [], identity: [] },
  casualty: {
    counters: [],
    collections: ['alternate_names', 'documentation'],
    identity: [...NAMES, 'sex', 'date_of_birth', 'outcome', 'date_of_death'],
  },
  missing_person: {
    // consent_scope stays plain on purpose: a concurrent grant must not outlive a
    // withdrawal of consent.
    counters: [],
    collections: ['alternate_names', 'notes'],
    identity: [...NAMES, 'sex', 'date_of_birth', 'fate_status', 'fate_status_date',
      'last_seen_date', 'last_seen_place_id', 'last_seen_location_detail'],
  },
  supply_need: {
    counters: ['quantity_committed', 'quantity_delivered'],
    collections: [],
    identity: [],
  },
};

const SETS = Object.fromEntries(Object.entries(KINDS).map(([k, s]) => [k, {
  counters: new Set(s.counters), collections: new Set(s.collections), identity: new Set(s.identity),
}]));
const UNKNOWN = { counters: new Set(), collections: new Set(), identity: new Set() };

/** "counter", "collection", "identity" or "plain" (unknown kinds: all plain). */
export function fieldClass(kind, name) {
  const spec = Object.prototype.hasOwnProperty.call(SETS, kind) ? SETS[kind] : UNKNOWN;
  if (spec.counters.has(name)) return 'counter';
  if (spec.collections.has(name)) return 'collection';
  if (spec.identity.has(name)) return 'identity';
  return 'plain';
}
