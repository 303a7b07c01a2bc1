// The change: the unit of history and of sync (mirror of sync/changes.py).
//
// checkChange() validates a change as received (shape, then content hash) and names the
// first part that is wrong exactly as Change.from_dict does; newChange() builds one.
// This module never makes ids or reads a clock: callers pass them in.

import { CanonicalError, sha256Hex } from './canonical.js';
import { fieldClass } from './fields.js';
import { HLC_PATTERN } from './hlc.js';

export const SCHEMA_VERSION = 1;
export const ACTIONS = new Set(['create', 'patch', 'delete', 'undelete', 'resolve',
  'merge_into', 'purge']);
export const FIELD_WRITING_ACTIONS = new Set(['create', 'patch', 'resolve']);

const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const NAME = /^[a-z][a-z0-9_]{0,63}$/;
const HEX64 = /^[0-9a-f]{64}$/;

export const HASHED_KEYS = ['op_id', 'record_id', 'kind', 'origin_id', 'origin_seq', 'deps',
  'action', 'patch', 'hlc', 'device_time', 'author', 'schema_version'];
const ALL_KEYS = new Set([...HASHED_KEYS, 'content_hash', 'purged_by']);

export class ChangeError extends Error {
  constructor(field, reason) {
    super(`${field}: ${reason}`);
    this.name = 'ChangeError';
    this.field = field;
    this.reason = reason;
  }
}

const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v) => typeof v === 'number' && Number.isInteger(v);
const has = (o, k) => Object.prototype.hasOwnProperty.call(o, k);

function checkId(name, value) {
  if (typeof value !== 'string' || !ID.test(value)) {
    throw new ChangeError(name, 'must be an id of 1-128 letters, digits or ._:-');
  }
}

function checkReason(patch, allowed, required) {
  const extra = Object.keys(patch).filter((k) => !allowed.includes(k)).sort();
  if (extra.length) throw new ChangeError('patch', `unexpected keys ${extra}`);
  const missing = required.filter((k) => !has(patch, k)).sort();
  if (missing.length) throw new ChangeError('patch', `missing keys ${missing}`);
  if (has(patch, 'reason') && (typeof patch.reason !== 'string' || !patch.reason)) {
    throw new ChangeError('patch.reason', 'must be a non-empty string');
  }
}

function checkCounter(name, value) {
  if (!isObject(value) || Object.keys(value).length !== 1 || !has(value, 'delta')
      || !isInt(value.delta)) {
    throw new ChangeError(`patch.${name}`, 'a counter takes {"delta": <integer>}');
  }
}

function checkCollection(name, value) {
  const where = `patch.${name}`;
  if (!isObject(value) || !Object.keys(value).length
      || Object.keys(value).some((k) => k !== 'add' && k !== 'remove')) {
    throw new ChangeError(where, 'a collection takes {"add": [...], "remove": [...]}');
  }
  const adds = has(value, 'add') ? value.add : [];
  const removes = has(value, 'remove') ? value.remove : [];
  if (!Array.isArray(adds) || !Array.isArray(removes)) {
    throw new ChangeError(where, 'add and remove must be lists');
  }
  const added = new Set();
  for (const element of adds) {
    if (!isObject(element) || typeof element.eid !== 'string') {
      throw new ChangeError(where, 'each added element is an object with a string "eid"');
    }
    checkId(`${where}.eid`, element.eid);
    if (added.has(element.eid)) throw new ChangeError(where, `element ${element.eid} added twice`);
    added.add(element.eid);
  }
  const removed = new Set();
  for (const eid of removes) {
    checkId(`${where}.remove`, eid);
    if (removed.has(eid) || added.has(eid)) throw new ChangeError(where, `element ${eid} named twice`);
    removed.add(eid);
  }
}

function checkPatch(kind, action, recordId, patch, deps) {
  if (!isObject(patch)) throw new ChangeError('patch', 'must be an object');
  if (FIELD_WRITING_ACTIONS.has(action)) {
    if (action === 'patch' && !Object.keys(patch).length) {
      throw new ChangeError('patch', 'a patch changes at least one field');
    }
    if (action === 'resolve' && !deps.length) {
      throw new ChangeError('deps', 'a resolve names the candidates it saw');
    }
    for (const [name, value] of Object.entries(patch)) {
      if (!NAME.test(name)) throw new ChangeError('patch', `bad field name ${name}`);
      const cls = fieldClass(kind, name);
      if (cls === 'counter') checkCounter(name, value);
      else if (cls === 'collection') checkCollection(name, value);
    }
  } else if (action === 'delete' || action === 'undelete') {
    checkReason(patch, ['reason'], []);
  } else if (action === 'merge_into') {
    checkReason(patch, ['target', 'reason'], ['target']);
    checkId('patch.target', patch.target);
    if (patch.target === recordId) throw new ChangeError('patch.target', 'a record cannot merge into itself');
  } else if (action === 'purge') {
    checkReason(patch, ['reason'], ['reason']);
  }
}

/** The part of a change its content hash covers. */
export function hashedDict(d) {
  const out = {};
  for (const k of HASHED_KEYS) out[k] = d[k];
  return out;
}

/** sha256 of the canonical JSON of the hashed part of a change. */
export function computeContentHash(d) {
  return sha256Hex(hashedDict(d));
}

/**
 * Validate a change as received and return a clean copy (only the known keys).
 * Throws ChangeError naming the first part that is wrong, as Change.from_dict does.
 */
export async function checkChange(d) {
  if (!isObject(d)) throw new ChangeError('change', 'must be an object');
  const extra = Object.keys(d).filter((k) => !ALL_KEYS.has(k)).sort();
  if (extra.length) throw new ChangeError(extra[0], 'unknown key in a change');
  const missing = [...HASHED_KEYS, 'content_hash'].filter((k) => !has(d, k)).sort();
  if (missing.length) throw new ChangeError(missing[0], 'missing');
  if (!Array.isArray(d.deps)) throw new ChangeError('deps', 'must be a list of op ids');
  for (const name of ['op_id', 'record_id', 'origin_id']) checkId(name, d[name]);
  if (typeof d.kind !== 'string' || !NAME.test(d.kind)) {
    throw new ChangeError('kind', 'must be a lowercase snake_case name');
  }
  if (!isInt(d.origin_seq) || d.origin_seq < 1) throw new ChangeError('origin_seq', 'must be an integer >= 1');
  for (const dep of d.deps) checkId('deps', dep);
  if (new Set(d.deps).size !== d.deps.length) throw new ChangeError('deps', 'names an op id twice');
  if (d.deps.includes(d.op_id)) throw new ChangeError('deps', 'a change cannot depend on itself');
  if (!ACTIONS.has(d.action)) throw new ChangeError('action', `must be one of ${[...ACTIONS].sort()}`);
  const m = typeof d.hlc === 'string' ? HLC_PATTERN.exec(d.hlc) : null;
  if (!m || m[3] !== d.origin_id) throw new ChangeError('hlc', 'must be a hybrid logical clock of this origin');
  if (!isInt(d.device_time)) throw new ChangeError('device_time', 'must be an integer (ms since the epoch)');
  if (typeof d.author !== 'string' || !d.author || d.author.length > 200) {
    throw new ChangeError('author', 'must be a non-empty string');
  }
  if (!isInt(d.schema_version) || d.schema_version < 1) {
    throw new ChangeError('schema_version', 'must be an integer >= 1');
  }
  if (typeof d.content_hash !== 'string' || !HEX64.test(d.content_hash)) {
    throw new ChangeError('content_hash', 'must be 64 lowercase hex digits');
  }
  const clean = { ...hashedDict(d), deps: [...d.deps], content_hash: d.content_hash };
  if (has(d, 'purged_by') && d.purged_by != null) {
    checkId('purged_by', d.purged_by);
    // A blanked change keeps id, deps and hash but no payload: its hash is not checked.
    if (!isObject(d.patch) || Object.keys(d.patch).length) {
      throw new ChangeError('patch', 'a change blanked by a purge has an empty patch');
    }
    clean.purged_by = d.purged_by;
    return clean;
  }
  checkPatch(d.kind, d.action, d.record_id, d.patch, d.deps);
  let expected;
  try {
    expected = await computeContentHash(d);
  } catch (exc) {
    if (exc instanceof CanonicalError) throw new ChangeError('patch', exc.message);
    throw exc;
  }
  if (expected !== d.content_hash) throw new ChangeError('content_hash', "does not match the change's content");
  return clean;
}

/** Build a new change with its hash; deps are sorted and deduplicated. */
export async function newChange({ opId, recordId, kind, originId, originSeq, action, patch,
  hlc, deviceTime, author, deps = [], schemaVersion = SCHEMA_VERSION }) {
  const body = {
    op_id: opId,
    record_id: recordId,
    kind,
    origin_id: originId,
    origin_seq: originSeq,
    deps: [...new Set(deps)].sort(),
    action,
    patch: { ...patch },
    hlc,
    device_time: deviceTime,
    author,
    schema_version: schemaVersion,
  };
  try {
    body.content_hash = await computeContentHash(body);
  } catch (exc) {
    if (exc instanceof CanonicalError) throw new ChangeError('patch', exc.message);
    throw exc;
  }
  return checkChange(body);
}

/** The change with its payload emptied and purged_by set (id, deps, hash kept). */
export function blankForPurge(change, purgedBy) {
  return { ...change, patch: {}, purged_by: purgedBy };
}
