// A record's history from the changes this device holds: who changed which field from
// what to what, when and from which device. It replays the record's change log in clock
// order through the same materialisation the replica uses, so "from" is the value the
// record showed before each change (the hub's GET /records/<id>/history does the same in
// hub order). Pure: no IO, no clock.

import { restValues } from './sync/codec.js';
import { fieldClass } from './sync/fields.js';
import { EDIT_ACTIONS, applyChange } from './sync/materialise.js';

const byClock = (a, b) => (a.hlc < b.hlc ? -1 : a.hlc > b.hlc ? 1 : a.op_id < b.op_id ? -1 : 1);

/**
 * History entries, oldest first, in the shape of the hub's history answer:
 * {op_id, action, author, origin_id, hlc, device_time, purged, fields: [{field, from, to}]}.
 */
export function historyOf(kind, changes) {
  let state = null;
  const out = [];
  for (const change of [...changes].sort(byClock)) {
    const before = state ? restValues(state.kind, state.values) : {};
    state = applyChange(state, change);
    const after = restValues(state.kind, state.values);
    const purged = change.purged_by != null;
    const touched = EDIT_ACTIONS.has(change.action) && change.action !== 'undelete' && !purged
      ? Object.keys(change.patch || {}).sort() : [];
    out.push({
      op_id: change.op_id,
      action: change.action,
      author: change.author,
      origin_id: change.origin_id,
      hlc: change.hlc,
      device_time: change.device_time,
      purged,
      fields: touched.map((f) => ({ field: f, from: before[f] ?? null, to: written(kind, change, f, after) })),
    });
  }
  return out;
}

function written(kind, change, name, after) {
  // A plain field shows the value this change wrote (a concurrent write may outrank it);
  // counters and collections show the total or the set after the change.
  if (['counter', 'collection'].includes(fieldClass(kind, name))) return after[name] ?? null;
  return restValues(kind, { [name]: change.patch[name] })[name] ?? null;
}
