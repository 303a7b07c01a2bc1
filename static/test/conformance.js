// Runs the conformance vectors of tests/vectors/ in the page and returns what this
// client computes; the Python test compares it with the expected values. Test-only:
// never precached, never imported by the app.

import { canonicalJson, sha256Hex } from '../js/sync/canonical.js';
import { checkChange } from '../js/sync/changes.js';
import { applyChange, linkMerges, materialise, publicDict } from '../js/sync/materialise.js';

const publicOf = (states) => Object.fromEntries(
  Object.entries(states).map(([rid, s]) => [rid, publicDict(s)]));

async function runOne(path, vector) {
  const suite = path.split('/')[0];
  if (suite === 'canonical') {
    return { canonical: canonicalJson(vector.input), sha256: await sha256Hex(vector.input) };
  }
  if (suite === 'materialise') {
    const changes = [];
    for (const d of vector.changes) changes.push(await checkChange(d));
    const hashes = Object.fromEntries(changes.map((c) => [c.op_id, c.content_hash]));
    const naive = publicOf(materialise(changes));
    let states = {};
    for (const c of changes) states[c.record_id] = applyChange(states[c.record_id] || null, c);
    states = linkMerges(states);
    return { hashes, naive, incremental: publicOf(states) };
  }
  if (suite === 'rejections') {
    try {
      await checkChange(vector.change);
      return { error_field: null };
    } catch (exc) {
      return { error_field: exc.field ?? `not a ChangeError: ${exc}` };
    }
  }
  return { unknown_suite: suite };
}

/** Fetch each vector from `base` + path (raw JSON text, parsed here) and run it. */
export async function runVectors(base, paths) {
  const out = {};
  for (const path of paths) {
    const text = await (await fetch(base + path)).text();
    try {
      out[path] = await runOne(path, JSON.parse(text));
    } catch (exc) {
      out[path] = { exception: `${exc.name}: ${exc.message}` };
    }
  }
  return out;
}

/** Materialise arbitrary change dicts both ways (for the randomized parity test). */
export async function materialiseBoth(changeDicts) {
  const changes = [];
  for (const d of changeDicts) changes.push(await checkChange(d));
  let states = {};
  for (const c of changes) states[c.record_id] = applyChange(states[c.record_id] || null, c);
  return { naive: publicOf(materialise(changes)), incremental: publicOf(linkMerges(states)) };
}
