// How a record form is laid out: the required fields first, then sections a person
// recognises (who, what happened, where and when, the need, the enquirer, sources). Fields
// not named here still appear, in "Other details": the JSON Schema decides what exists,
// this file only decides the order.

export const SECTIONS = [
  ['person', ['full_name', 'full_name_latin', 'given_name', 'father_name', 'family_name',
    'mother_name', 'alternate_names', 'sex', 'date_of_birth', 'age_years', 'age_group', 'age',
    'home_place_id', 'count']],
  ['event', ['event_type', 'perpetrator_type', 'killed_min', 'killed_max', 'injured_min',
    'injured_max', 'missing_min', 'missing_max', 'outcome', 'civilian_status', 'cause',
    'injury_severity', 'date_of_death', 'facility_type', 'documentation', 'incident_id',
    'disappearance_type', 'last_seen_date', 'last_seen_place_id', 'last_seen_location_detail',
    'circumstances', 'holding_party_type', 'whereabouts_status', 'fate_status', 'fate_status_date',
    'case_status', 'description']],
  ['need', ['requesting_site_type', 'requesting_org', 'sector', 'item_category', 'item_name',
    'unit', 'quantity_needed', 'quantity_committed', 'quantity_delivered', 'people_in_need',
    'priority', 'timeframe', 'needed_by', 'status', 'blood_component', 'blood_group',
    'stock_on_hand']],
  ['where_when', ['occurred_date', 'occurred_date_precision', 'place_id', 'location_detail',
    'geo_precision', 'lat', 'lon']],
  ['enquirer', ['enquirer_relationship', 'enquirer_name', 'enquirer_contact',
    'consent_to_disclose_whereabouts', 'consent_scope', 'family_notified']],
  ['notes', ['notes']],
  ['source', ['source_type', 'source_count', 'verification_status', 'sensitivity',
    'internal_notes']],
];

/** Pairs shown side by side as one range (lowest, highest). */
export const RANGES = [['killed_min', 'killed_max'], ['injured_min', 'injured_max'],
  ['missing_min', 'missing_max']];

/** [[section id, [field, ...]], ...] for the kind's schema, required fields first. */
export function sectionsFor(schema) {
  const names = Object.keys(schema.properties);
  const placed = new Set();
  // The schema's own order of required fields (its properties may arrive sorted by name).
  const out = [['required', (schema.required || []).filter((n) => names.includes(n))]];
  for (const n of out[0][1]) placed.add(n);
  for (const [id, fields] of SECTIONS) {
    const here = fields.filter((n) => names.includes(n) && !placed.has(n));
    for (const n of here) placed.add(n);
    if (here.length) out.push([id, here]);
  }
  const rest = names.filter((n) => !placed.has(n));
  if (rest.length) out.push(['other', rest]);
  return out;
}
