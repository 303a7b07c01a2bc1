// Between the REST shape of a record and the change patches that write it: a port of
// app/services/record_codec.py. REST shows collections as lists and counters as totals;
// changes carry collections as add/remove by element id and counters as deltas.
// diffPatch() makes the smallest patch, so unchanged fields are never rewritten.

import { canonicalJson, sha256HexOfBytes } from './canonical.js';
import { fieldClass } from './fields.js';
import { normaliseArabic } from '../text/arabic.js';

export const NOTE_ID = 'note_id';

async function nameEid(name) {
  // The same name typed on two devices is one element, not two.
  return `n-${(await sha256HexOfBytes(normaliseArabic(name))).slice(0, 24)}`;
}

/** The change element for one REST collection item. */
export async function elementOf(field, item) {
  if (field === 'alternate_names') return { eid: await nameEid(item), value: item };
  if (field === 'documentation') return { eid: item };
  if (field === 'notes') {
    const { [NOTE_ID]: eid, ...rest } = item;
    return { eid, ...rest };
  }
  return { eid: String(item), value: item };
}

/** The REST collection item for one change element. */
export function itemOf(field, element) {
  if (field === 'documentation') return element.eid;
  if (field === 'notes') {
    const { eid, ...rest } = element;
    return { [NOTE_ID]: eid, ...rest };
  }
  return element.value ?? null;
}

/** A materialised state's values in REST shape. */
export function restValues(kind, values) {
  const out = {};
  for (const [name, value] of Object.entries(values)) {
    if (fieldClass(kind, name) === 'collection' && Array.isArray(value)) {
      out[name] = value.filter((e) => e && typeof e === 'object' && !Array.isArray(e))
        .map((e) => itemOf(name, e));
    } else {
      out[name] = value;
    }
  }
  return out;
}

const same = (a, b) => canonicalJson(a ?? null) === canonicalJson(b ?? null);
const cmpKey = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The change patch that takes `current` (REST shape) to `wanted`. With `replace` a field
 * absent from `wanted` is cleared; otherwise only the fields given are written.
 */
export async function diffPatch(kind, current, wanted, { replace = false } = {}) {
  const patch = {};
  const names = new Set([...Object.keys(wanted), ...(replace ? Object.keys(current) : [])]);
  for (const name of [...names].sort()) {
    const cls = fieldClass(kind, name);
    const next = wanted[name];
    const old = current[name];
    if (cls === 'counter') {
      const delta = Number(next || 0) - Number(old || 0);
      if (delta) patch[name] = { delta };
    } else if (cls === 'collection') {
      const oldEls = new Map();
      for (const i of old || []) { const e = await elementOf(name, i); oldEls.set(e.eid, e); }
      const newEls = new Map();
      for (const i of next || []) { const e = await elementOf(name, i); newEls.set(e.eid, e); }
      const add = [...newEls.keys()].sort(cmpKey).filter((eid) => !oldEls.has(eid)
        || !same(oldEls.get(eid), newEls.get(eid))).map((eid) => newEls.get(eid));
      const remove = [...oldEls.keys()].sort(cmpKey).filter((eid) => !newEls.has(eid));
      if (add.length || remove.length) {
        patch[name] = {};
        if (add.length) patch[name].add = add;
        if (remove.length) patch[name].remove = remove;
      }
    } else if (!same(next, old)) {
      patch[name] = next ?? null;
    }
  }
  return patch;
}
