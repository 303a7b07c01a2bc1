// The in-memory search index over names: built after unlock, updated as records change,
// gone on lock. It is never written anywhere (no plaintext index on disk).

import { normaliseArabic, tokens } from './text/arabic.js';
import { isVisible } from './sync/materialise.js';

const NAME_FIELDS = ['full_name', 'full_name_latin', 'given_name', 'father_name', 'family_name',
  'mother_name', 'item_name', 'requesting_org'];

/** The normalised name forms of a record, "|form|form|" (computed once per change). */
export function haystack(state) {
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

  /** From record views, which carry their precomputed `search` key. */
  rebuild(views) {
    this.keys = new Map();
    for (const v of views) this.update(v.record_id, v);
  }

  update(recordId, view) {
    if (!view || !isVisible(view)) this.keys.delete(recordId);
    else this.keys.set(recordId, view.search ?? haystack(view));
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
