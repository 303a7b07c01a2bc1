// The deployment's gazetteer on the device: fetched page by page from
// /api/v1/places/export while online (at log in and unlock), kept sealed in the vault like
// the schemas, and searched in memory in Arabic and English with the same normalisation as
// the server (app/text/arabic.py, docs/gazetteer.md), so a place can be picked offline.

import { normaliseArabic, tokens } from './text/arabic.js';

const PAGE = 2000;
const LEVEL_RANK = { governorate: 0, district: 1, subdistrict: 2, community: 3, neighbourhood: 4 };

export class Gazetteer {
  /** @param {{places: object[], fetched_at?: string}|null} cached */
  constructor(cached) {
    this.places = cached?.places || [];
    this.byId = new Map(this.places.map((p) => [p.id, p]));
    this.keys = new Map();
    for (const p of this.places) {
      const forms = new Set();
      for (const name of [p.name_ar, p.name_en]) {
        if (!name) continue;
        forms.add(normaliseArabic(name));
        forms.add(tokens(name, { dropArticles: true }).join(' '));
      }
      this.keys.set(p.id, { text: `|${[...forms].join('|')}|`, pcode: (p.pcode || '').toLowerCase() });
    }
  }

  get size() {
    return this.places.length;
  }

  get(id) {
    return this.byId.get(id) || null;
  }

  /** "Khaldiyeh, Homs city, Homs" in the language asked (the other when one is missing). */
  label(id, lang) {
    const names = [];
    for (let p = this.get(id); p; p = p.parent_id ? this.get(p.parent_id) : null) {
      const name = (lang === 'ar' ? p.name_ar || p.name_en : p.name_en || p.name_ar) || p.pcode;
      if (name && names[names.length - 1] !== name) names.push(name);
    }
    return names.join(lang === 'ar' ? '، ' : ', ');
  }

  /** Places whose Arabic or English name (or P-code) matches, best first (see docs/gazetteer.md). */
  search(query, limit = 20) {
    const q = normaliseArabic(query);
    if (!q) return [];
    const pq = q.replace(/\s+/g, '');
    const hits = [];
    for (const p of this.places) {
      const { text, pcode } = this.keys.get(p.id);
      let rank;
      if (text.includes(`|${q}|`) || (pcode && pcode === pq)) rank = 0;
      else if (text.includes(`|${q}`) || (pcode && pcode.startsWith(pq))) rank = 1;
      else if (text.includes(` ${q}`)) rank = 2;
      else if (text.includes(q)) rank = 3;
      else continue;
      hits.push([rank, LEVEL_RANK[p.level] ?? 9, p.name_en || p.name_ar || '', p]);
    }
    hits.sort((a, b) => a[0] - b[0] || a[1] - b[1] || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0));
    return hits.slice(0, limit).map((h) => h[3]);
  }
}

/**
 * Fetch the gazetteer (only what changed since the cached copy, when there is one) and
 * seal it in the vault. `api(method, path)` is the engine's session API.
 */
export async function refreshGazetteer(api, vault) {
  const cached = (await vault.getSealed('gazetteer')) || { places: [], since: null };
  const byId = new Map(cached.places.map((p) => [p.id, p]));
  let after = null;
  let newest = cached.since;
  do {
    const params = new URLSearchParams({ limit: String(PAGE) });
    if (after) params.set('after', after);
    if (cached.since) params.set('since', cached.since);
    const page = await api('GET', `/places/export?${params}`);
    for (const p of page.places) {
      byId.set(p.id, { id: p.id, parent_id: p.parent_id, level: p.level, pcode: p.pcode,
        name_ar: p.name_ar, name_en: p.name_en, path: p.path });
      if (p.updated_at && (!newest || p.updated_at > newest)) newest = p.updated_at;
    }
    after = page.next;
  } while (after);
  const places = [...byId.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const fresh = { places, since: newest };
  await vault.putSealed('gazetteer', fresh);
  return new Gazetteer(fresh);
}
