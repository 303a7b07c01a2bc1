// The in-memory search index over names: built after unlock, updated as records change,
// gone on lock. It is never written anywhere (no plaintext index on disk).

import { normaliseArabic, tokens } from './text/arabic.js';
import { isVisible } from './sync/materialise.js';

const NAME_FIELDS = ['full_name', 'full_name_latin', 'given_name', 'father_name', 'family_name',
  'mother_name', 'item_name', 'requesting_org'];

function haystack(state) {
  const v = state.values || {};
  const names = NAME_FIELDS.map((f) => v[f]).filter((x) => typeof x === 'string' && x);
  for (const e of v.alternate_names || []) if (e && typeof e.value === 'string') names.push(e.value);
  // Each name as written (normalised) and without articles: "الخالدية" finds "خالدية".
  const forms = new Set();
  for (const n of names) {
    forms.add(normaliseArabic(n));
    forms.add(tokens(n, { dropArticles: true }).join(' '));
  }
  return forms.size ? `|${[...forms].join('|')}|` : '';
}

export class SearchIndex {
  constructor() {
    this.keys = new Map();
  }

  rebuild(states) {
    this.keys = new Map();
    for (const st of states) this.update(st.record_id, st);
  }

  update(recordId, state) {
    if (!state || !isVisible(state)) this.keys.delete(recordId);
    else this.keys.set(recordId, haystack(state));
  }

  /** Record ids whose names contain the query, exact name matches first. */
  search(query, limit = 200) {
    const q = normaliseArabic(query);
    if (!q) return [];
    const exact = [];
    const prefix = [];
    const inside = [];
    for (const [rid, key] of this.keys) {
      const at = key.indexOf(q);
      if (at < 0) continue;
      if (key.includes(`|${q}|`)) exact.push(rid);
      else if (key.includes(`|${q}`) || key.includes(` ${q}`)) prefix.push(rid);
      else inside.push(rid);
    }
    return [...exact, ...prefix, ...inside].slice(0, limit);
  }

  clear() {
    this.keys = new Map();
  }
}
