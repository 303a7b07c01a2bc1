// Materialisation: the records a set of changes describes (mirror of sync/materialise.py).
//
// materialise() is the naive reference over the whole set; applyChange() folds one change
// into a record state without mutating its input. Both give equal states for the same
// *set* of changes, whatever the order and however often a change repeats; the
// conformance vectors check both against the Python output. States are plain objects
// (the same shape as RecordState.to_dict()), so they serialise as they are.
// This module never reads a clock, makes ids or does IO.

import { canonicalJson, compareCodePoints } from './canonical.js';
import { ChangeError } from './changes.js';
import { fieldClass } from './fields.js';

export const DELETED = '@deleted';
export const MERGED_INTO = '@merged_into';
export const EDIT_ACTIONS = new Set(['create', 'patch', 'resolve', 'undelete']);

const cmp = compareCodePoints;
const sortedStrings = (xs) => [...xs].sort(cmp);
const sortedKeys = (o) => Object.keys(o).sort(cmp);
const has = (o, k) => Object.prototype.hasOwnProperty.call(o, k);

/** Provisional winner order: highest hlc, then origin id, then op id (first = winner). */
function winnerCmp(a, b) {
  return cmp(b.hlc, a.hlc) || cmp(b.origin_id, a.origin_id) || cmp(b.op_id, a.op_id);
}

const ordered = (cands) => [...cands].sort(winnerCmp);

export function emptyState(recordId, kind) {
  return {
    record_id: recordId,
    kind,
    values: {},
    conflicts: {},
    deleted: false,
    delete_conflict: false,
    needs_review: false,
    merged_into: null,
    merged_from: [],
    purged: false,
    heads: [],
    missing_deps: [],
    updated_at: '',
    has_create: false,
    ops: {},
    writes: {},
    elements: {},
    counters: {},
  };
}

/** Whether the app lists the record: not deleted, or its delete is contested. */
export const isVisible = (s) => !s.deleted || s.delete_conflict;

/** The view every client must reproduce (what the conformance vectors hold). */
export function publicDict(s) {
  const conflicts = {};
  for (const f of sortedKeys(s.conflicts)) conflicts[f] = s.conflicts[f].map((c) => ({ ...c }));
  return {
    record_id: s.record_id,
    kind: s.kind,
    values: s.values,
    conflicts,
    deleted: s.deleted,
    delete_conflict: s.delete_conflict,
    needs_review: s.needs_review,
    merged_into: s.merged_into,
    merged_from: [...s.merged_from],
    purged: s.purged,
    heads: [...s.heads],
    missing_deps: [...s.missing_deps],
    updated_at: s.updated_at,
    op_count: Object.keys(s.ops).length,
  };
}

function candidate(change, value) {
  return { op_id: change.op_id, value, hlc: change.hlc, origin_id: change.origin_id,
    author: change.author };
}

/** Split a change into plain writes, element writes and counter deltas. */
function fieldWrites(change) {
  const plain = [];
  const elements = [];
  const deltas = [];
  if (change.purged_by != null) return { plain, elements, deltas };
  const { action } = change;
  if (action === 'create' || action === 'patch' || action === 'resolve') {
    for (const [name, value] of Object.entries(change.patch)) {
      const cls = fieldClass(change.kind, name);
      if (cls === 'counter') {
        deltas.push([name, value.delta]);
      } else if (cls === 'collection') {
        for (const element of value.add || []) elements.push([name, element.eid, element]);
        for (const eid of value.remove || []) elements.push([name, eid, null]);
      } else {
        plain.push([name, value]);
      }
    }
  } else if (action === 'delete') {
    plain.push([DELETED, true]);
  } else if (action === 'undelete') {
    plain.push([DELETED, false]);
  } else if (action === 'merge_into') {
    plain.push([MERGED_INTO, change.patch.target]);
  }
  return { plain, elements, deltas };
}

/** Distinct values (equal by canonical JSON), in canonical order (by code point). */
function distinct(values) {
  if (values.length < 2) return [...values];
  const seen = new Map();
  for (const v of values) {
    const key = canonicalJson(v);
    if (!seen.has(key)) seen.set(key, v);
  }
  return sortedStrings(seen.keys()).map((k) => seen.get(k));
}

function several(values) {
  if (values.length < 2) return false;
  if (values.every((v) => typeof v === 'string')) return new Set(values).size > 1;
  return distinct(values).length > 1;
}

/** Recompute the public view of a state from its live candidates (in place). */
function derive(state) {
  const values = {};
  const conflicts = {};
  for (const [name, live] of Object.entries(state.writes)) {
    if (name.startsWith('@')) continue;
    values[name] = live[0].value;
    if (several(live.map((c) => c.value))) conflicts[name] = [...live];
  }
  for (const [name, perEid] of Object.entries(state.elements)) {
    const items = [];
    for (const eid of sortedKeys(perEid)) {
      items.push(...distinct(perEid[eid].filter((c) => c.value !== null).map((c) => c.value)));
    }
    values[name] = items;
  }
  for (const [name, total] of Object.entries(state.counters)) values[name] = total;
  const merge = state.writes[MERGED_INTO] || [];
  state.merged_into = merge.length ? merge[0].value : null;
  if (several(merge.map((c) => c.value))) conflicts[MERGED_INTO] = [...merge];
  state.deleted = (state.writes[DELETED] || []).some((c) => c.value === true);
  state.values = Object.fromEntries(sortedKeys(values).map((k) => [k, values[k]]));
  state.conflicts = Object.fromEntries(sortedKeys(conflicts).map((k) => [k, conflicts[k]]));
  state.needs_review = Object.keys(conflicts).some(
    (name) => name === MERGED_INTO || fieldClass(state.kind, name) === 'identity');
}

function blank(state) {
  state.purged = true;
  state.writes = {};
  state.elements = {};
  state.counters = {};
  state.values = {};
  state.conflicts = {};
  state.deleted = true;
  state.delete_conflict = false;
  state.needs_review = false;
  state.merged_into = null;
}

function kindAfter(stateKind, hasCreate, change) {
  // The smallest kind among the creates, or among all changes before a create is known.
  const min = (a, b) => (cmp(a, b) <= 0 ? a : b);
  if (change.action === 'create') return [hasCreate ? min(stateKind, change.kind) : change.kind, true];
  if (hasCreate) return [stateKind, true];
  return [min(stateKind, change.kind), false];
}

// ---------------------------------------------------------------------------------------
// Incremental path.

function ancestors(ops, start) {
  const seen = new Set();
  const stack = start.filter((op) => has(ops, op));
  while (stack.length) {
    const op = stack.pop();
    if (seen.has(op)) continue;
    seen.add(op);
    for (const d of ops[op].deps) if (has(ops, d) && !seen.has(d)) stack.push(d);
  }
  return seen;
}

class AncestorCache {
  constructor(ops) {
    this.ops = ops;
    this.memo = new Map();
  }

  of(op) {
    let found = this.memo.get(op);
    if (!found) {
      found = ancestors(this.ops, this.ops[op].deps);
      this.memo.set(op, found);
    }
    return found;
  }
}

function prune(live, anc) {
  if (live.length < 2) return live;
  return live.filter((c) => !live.some((o) => o.op_id !== c.op_id && anc.of(o.op_id).has(c.op_id)));
}

function deleteConflict(ops, liveDeletes) {
  if (!liveDeletes.length) return false;
  const anc = new AncestorCache(ops);
  for (const d of liveDeletes) {
    const before = anc.of(d);
    const after = new Set(Object.keys(ops).filter((op) => anc.of(op).has(d)));
    const resolves = [...after].filter((op) => ops[op].action === 'resolve');
    for (const [e, info] of Object.entries(ops)) {
      if (e === d || !EDIT_ACTIONS.has(info.action) || before.has(e) || after.has(e)) continue;
      if (!resolves.some((r) => anc.of(r).has(e))) return true;
    }
  }
  return false;
}

/**
 * The state of change.record_id after `change`; `state` (or null) is not modified.
 * A change already held returns the state unchanged (or blanked, for a purge copy).
 * Throws ChangeError("op_id") when the op id is held with another content hash.
 */
export function applyChange(state, change) {
  if (state == null) state = emptyState(change.record_id, change.kind);
  else if (state.record_id !== change.record_id) {
    throw new Error(`change ${change.op_id} is for record ${change.record_id}`);
  }
  const known = has(state.ops, change.op_id) ? state.ops[change.op_id] : null;
  if (known) {
    if (known.content_hash !== change.content_hash) {
      throw new ChangeError('op_id', `id_collision: ${change.op_id} held with other content`);
    }
    if (change.purged_by != null && !state.purged) {
      const blanked = { ...state };
      blank(blanked);
      return blanked;
    }
    return state;
  }
  const next = { ...state };
  next.ops = { ...state.ops, [change.op_id]: { deps: [...change.deps], action: change.action,
    content_hash: change.content_hash } };
  [next.kind, next.has_create] = kindAfter(state.kind, state.has_create, change);
  if (cmp(change.hlc, next.updated_at) > 0) next.updated_at = change.hlc;
  const missing = new Set(state.missing_deps);
  const relinks = missing.has(change.op_id);
  missing.delete(change.op_id);
  for (const d of change.deps) if (!has(next.ops, d)) missing.add(d);
  next.missing_deps = sortedStrings(missing);
  const heads = new Set(state.heads);
  for (const d of change.deps) heads.delete(d);
  if (!relinks) heads.add(change.op_id);
  next.heads = sortedStrings(heads);

  if (next.purged || change.action === 'purge' || change.purged_by != null) {
    blank(next);
    return next;
  }

  const { plain, elements, deltas } = fieldWrites(change);
  const ancCache = new AncestorCache(next.ops);
  let past = null;
  if (plain.length) {
    next.writes = { ...state.writes };
    for (const [name, value] of plain) {
      let live = next.writes[name] || [];
      if (live.length && !relinks) {
        if (!past) past = ancCache.of(change.op_id);
        live = live.filter((c) => !past.has(c.op_id));
      }
      next.writes[name] = ordered([...live, candidate(change, value)]);
    }
  }
  if (elements.length) {
    next.elements = { ...state.elements };
    for (const [name, eid, value] of elements) {
      const per = { ...(next.elements[name] || {}) };
      let live = per[eid] || [];
      if (live.length && !relinks) {
        if (!past) past = ancCache.of(change.op_id);
        live = live.filter((c) => !past.has(c.op_id));
      }
      per[eid] = ordered([...live, candidate(change, value)]);
      next.elements[name] = per;
    }
  }
  if (deltas.length) {
    next.counters = { ...state.counters };
    for (const [name, delta] of deltas) next.counters[name] = (next.counters[name] || 0) + delta;
  }
  if (relinks) {
    // A change that others already named has arrived: it may link old writes to later
    // ones, so every target's candidates are pruned again over the full graph.
    next.writes = Object.fromEntries(Object.entries(next.writes).map(([k, v]) => [k, prune(v, ancCache)]));
    next.elements = Object.fromEntries(Object.entries(next.elements).map(([f, per]) => [f,
      Object.fromEntries(Object.entries(per).map(([eid, v]) => [eid, prune(v, ancCache)]))]));
  }
  const liveDeletes = (next.writes[DELETED] || []).filter((c) => c.value === true).map((c) => c.op_id);
  next.delete_conflict = deleteConflict(next.ops, liveDeletes);
  derive(next);
  return next;
}

/** `states` ({id: state}) with merged_from filled on every merge target held. */
export function linkMerges(states) {
  const sources = {};
  for (const [rid, st] of Object.entries(states)) {
    if (st.merged_into != null) (sources[st.merged_into] ||= []).push(rid);
  }
  const out = {};
  for (const rid of sortedKeys(states)) {
    const st = states[rid];
    const want = sortedStrings(sources[rid] || []);
    const same = st.merged_from.length === want.length && st.merged_from.every((x, i) => x === want[i]);
    out[rid] = same ? st : { ...st, merged_from: want };
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Naive reference path.

function naiveRecord(recordId, changes) {
  const ops = new Map(changes.map((c) => [c.op_id, c]));
  const anc = new Map();
  for (const [op, c] of ops) {
    const seen = new Set();
    const stack = c.deps.filter((d) => ops.has(d));
    while (stack.length) {
      const x = stack.pop();
      if (!seen.has(x)) {
        seen.add(x);
        for (const d of ops.get(x).deps) if (ops.has(d)) stack.push(d);
      }
    }
    anc.set(op, seen);
  }
  const creates = changes.filter((c) => c.action === 'create').map((c) => c.kind);
  const minOf = (xs) => sortedStrings(xs)[0];
  const kind = creates.length ? minOf(creates) : minOf(changes.map((c) => c.kind));
  const named = new Set(changes.flatMap((c) => c.deps));
  const state = emptyState(recordId, kind);
  state.has_create = creates.length > 0;
  for (const c of changes) {
    state.ops[c.op_id] = { deps: [...c.deps], action: c.action, content_hash: c.content_hash };
  }
  state.heads = sortedStrings([...ops.keys()].filter((op) => !named.has(op)));
  state.missing_deps = sortedStrings([...named].filter((d) => !ops.has(d)));
  state.updated_at = sortedStrings(changes.map((c) => c.hlc)).pop();
  if (changes.some((c) => c.action === 'purge' || c.purged_by != null)) {
    blank(state);
    return state;
  }
  const targets = new Map();
  const elementTargets = new Map();
  for (const c of changes) {
    const { plain, elements, deltas } = fieldWrites(c);
    for (const [name, value] of plain) {
      if (!targets.has(name)) targets.set(name, []);
      targets.get(name).push(candidate(c, value));
    }
    for (const [name, eid, value] of elements) {
      const key = JSON.stringify([name, eid]);
      if (!elementTargets.has(key)) elementTargets.set(key, []);
      elementTargets.get(key).push(candidate(c, value));
    }
    for (const [name, delta] of deltas) state.counters[name] = (state.counters[name] || 0) + delta;
  }
  const standing = (writes) => ordered(writes.filter(
    (w) => !writes.some((o) => o !== w && anc.get(o.op_id).has(w.op_id))));
  for (const [name, ws] of targets) state.writes[name] = standing(ws);
  for (const [key, ws] of elementTargets) {
    const [name, eid] = JSON.parse(key);
    (state.elements[name] ||= {})[eid] = standing(ws);
  }
  let conflict = false;
  for (const d of (state.writes[DELETED] || []).filter((c) => c.value === true).map((c) => c.op_id)) {
    for (const e of changes) {
      if (!EDIT_ACTIONS.has(e.action) || e.op_id === d) continue;
      if (anc.get(d).has(e.op_id) || anc.get(e.op_id).has(d)) continue;
      const seenByResolve = changes.some((r) => r.action === 'resolve'
        && anc.get(r.op_id).has(d) && anc.get(r.op_id).has(e.op_id));
      conflict = conflict || !seenByResolve;
    }
  }
  state.delete_conflict = conflict;
  derive(state);
  return state;
}

/** Naive reference: {record_id: state} of a set of changes (order and repeats ignored). */
export function materialise(changes) {
  const byRecord = new Map();
  for (const c of changes) {
    if (!byRecord.has(c.record_id)) byRecord.set(c.record_id, new Map());
    const ops = byRecord.get(c.record_id);
    const held = ops.get(c.op_id);
    if (!held) ops.set(c.op_id, c);
    else if (held.content_hash !== c.content_hash) {
      throw new ChangeError('op_id', `id_collision: ${c.op_id} held with other content`);
    } else if (c.purged_by != null) ops.set(c.op_id, c);
  }
  const states = {};
  for (const rid of sortedStrings(byRecord.keys())) {
    states[rid] = naiveRecord(rid, [...byRecord.get(rid).values()]);
  }
  return linkMerges(states);
}
