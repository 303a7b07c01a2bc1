"""Laws of materialisation, tested as laws over generated histories."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from sync import (
    DELETED,
    Change,
    RecordState,
    apply_change,
    apply_changes,
    canonical_json,
    field_class,
    link_merges,
    materialise,
)

Deliveries = Callable[[list[Change]], st.SearchStrategy[list[Change]]]


def fold(changes: list[Change]) -> dict[str, RecordState]:
    """Apply changes one at a time, as the incremental path does."""
    states: dict[str, RecordState] = {}
    for c in changes:
        states[c.record_id] = apply_change(states.get(c.record_id), c)
    return link_merges(dict(sorted(states.items())))


def ancestry(changes: list[Change]) -> dict[str, set[str]]:
    """Strict causal past of every op, computed here independently of sync."""
    by_id = {c.op_id: c for c in changes}
    memo: dict[str, set[str]] = {}
    for op in by_id:
        todo, seen = list(by_id[op].deps), set()
        while todo:
            d = todo.pop()
            if d in by_id and d not in seen and by_id[d].record_id == by_id[op].record_id:
                seen.add(d)
                todo.extend(by_id[d].deps)
        memo[op] = seen
    return memo


@given(st.data())
def test_order_and_repeats_do_not_matter(
    histories: Any, deliveries: Deliveries, data: st.DataObject
) -> None:
    """Any permutation with any repeats materialises to the same records."""
    history = data.draw(histories)
    delivery = data.draw(deliveries(history))
    assert materialise(delivery) == materialise(history)


@given(st.data())
def test_naive_and_incremental_agree(
    histories: Any, deliveries: Deliveries, data: st.DataObject
) -> None:
    """Folding changes one by one (deps missing or not) equals the naive rebuild,
    at the end and at a point midway."""
    history = data.draw(histories)
    delivery = data.draw(deliveries(history))
    assert fold(delivery) == materialise(history)
    cut = data.draw(st.integers(0, len(delivery)))
    assert fold(delivery[:cut]) == materialise(delivery[:cut])


@given(st.data())
def test_batch_fold_equals_one_by_one(
    histories: Any, deliveries: Deliveries, data: st.DataObject
) -> None:
    """apply_changes (one copy per sequence, updated in place) equals folding with
    apply_change, from a midway state it must leave as it was."""
    history = data.draw(histories)
    delivery = data.draw(deliveries(history))
    cut = data.draw(st.integers(0, len(delivery)))
    start = fold(delivery[:cut])
    snapshot = {rid: json.dumps(s.to_dict(), sort_keys=True) for rid, s in start.items()}
    by_record: dict[str, list[Change]] = {}
    for c in delivery[cut:]:
        by_record.setdefault(c.record_id, []).append(c)
    batched = dict(start)
    for rid, changes in by_record.items():
        after = apply_changes(start.get(rid), changes)
        assert after is not None
        batched[rid] = after
    assert link_merges(dict(sorted(batched.items()))) == fold(delivery)
    assert {rid: json.dumps(s.to_dict(), sort_keys=True) for rid, s in start.items()} == snapshot


@given(st.data())
def test_state_survives_json(histories: Any, data: st.DataObject) -> None:
    """A cached state read back from JSON is equal and folds on identically."""
    history = data.draw(histories)
    cut = data.draw(st.integers(0, len(history)))
    states = fold(history[:cut])
    revived = {
        rid: RecordState.from_dict(json.loads(json.dumps(s.to_dict()))) for rid, s in states.items()
    }
    assert revived == states
    for c in history[cut:]:
        revived[c.record_id] = apply_change(revived.get(c.record_id), c)
    assert link_merges(dict(sorted(revived.items()))) == materialise(history)


@given(st.data())
def test_no_written_value_is_lost(histories: Any, data: st.DataObject) -> None:
    """Each plain write is the value, a conflict candidate, or seen by a later write."""
    history = data.draw(histories)
    states = materialise(history)
    anc = ancestry(history)
    for c in history:
        state = states[c.record_id]
        if state.purged or c.action not in ("create", "patch", "resolve"):
            continue
        for name, value in c.patch.items():
            if field_class(c.kind, name) in ("counter", "collection"):
                continue
            superseded = any(
                o.record_id == c.record_id
                and name in o.patch
                and o.action in ("create", "patch", "resolve")
                and c.op_id in anc[o.op_id]
                for o in history
            )
            if superseded:
                assert c.op_id not in {x.op_id for x in state.writes[name]}
            elif name in state.conflicts:
                assert c.op_id in {x.op_id for x in state.conflicts[name]}
            else:
                assert canonical_json(state.values[name]) == canonical_json(value)


@given(st.data())
def test_resolve_supersedes_exactly_what_it_saw(histories: Any, data: st.DataObject) -> None:
    """After a resolve, no write in its causal past stands; concurrent ones still do."""
    history = data.draw(histories)
    states = materialise(history)
    anc = ancestry(history)
    for r in history:
        state = states[r.record_id]
        if r.action != "resolve" or state.purged:
            continue
        for name in r.patch:
            if field_class(r.kind, name) in ("counter", "collection"):
                continue
            standing = {x.op_id for x in state.writes[name]}
            assert not standing & anc[r.op_id]
            later = [
                o
                for o in history
                if r.op_id in anc[o.op_id]
                and name in o.patch
                and o.action in ("create", "patch", "resolve")
            ]
            assert (r.op_id in standing) == (not later)


@given(st.data())
def test_counters_sum(histories: Any, data: st.DataObject) -> None:
    """A counter is the sum of every delta ever written to it."""
    history = data.draw(histories)
    states = materialise(history)
    for rid, state in states.items():
        if state.purged:
            continue
        deltas = [
            c.patch["quantity_delivered"]["delta"]
            for c in history
            if c.record_id == rid
            and "quantity_delivered" in c.patch
            and field_class(c.kind, "quantity_delivered") == "counter"
            and c.action in ("create", "patch", "resolve")
        ]
        if deltas:
            assert state.values["quantity_delivered"] == sum(deltas)


@given(st.data())
def test_collections_are_add_wins(histories: Any, data: st.DataObject) -> None:
    """An element is present iff some add of it was not seen by any remove of it."""
    history = data.draw(histories)
    states = materialise(history)
    anc = ancestry(history)
    for rid, state in states.items():
        if state.purged:
            continue
        writes = [
            c
            for c in history
            if c.record_id == rid
            and "alternate_names" in c.patch
            and field_class(c.kind, "alternate_names") == "collection"
        ]
        for eid in ("e1", "e2", "e3"):
            adds = [
                c
                for c in writes
                if eid in {e["eid"] for e in c.patch["alternate_names"].get("add", [])}
            ]
            removes = [c for c in writes if eid in c.patch["alternate_names"].get("remove", [])]
            expected = any(not any(a.op_id in anc[r.op_id] for r in removes) for a in adds)
            present = eid in {e["eid"] for e in state.values.get("alternate_names", [])}
            assert present == expected


@given(st.data())
def test_delete_against_concurrent_edit_is_flagged(histories: Any, data: st.DataObject) -> None:
    """A live delete concurrent with an unresolved edit always leaves the record visible."""
    history = data.draw(histories)
    states = materialise(history)
    anc = ancestry(history)
    for rid, state in states.items():
        if state.purged:
            continue
        live_deletes = [c.op_id for c in state.writes.get(DELETED, []) if c.value is True]
        assert state.deleted == bool(live_deletes)
        edits = [
            c
            for c in history
            if c.record_id == rid and c.action in ("create", "patch", "resolve", "undelete")
        ]
        for d in live_deletes:
            for e in edits:
                concurrent = e.op_id not in anc[d] and d not in anc[e.op_id] and e.op_id != d
                seen = any(r.action == "resolve" and {d, e.op_id} <= anc[r.op_id] for r in history)
                if concurrent and not seen:
                    assert state.delete_conflict and state.visible


def _whole_form(state: RecordState) -> dict[str, Any]:
    """The cache form written before candidates were packed: every candidate whole."""
    d = state.to_dict()
    d.pop("by_op")
    d["writes"] = {k: [c.to_dict() for c in v] for k, v in sorted(state.writes.items())}
    d["elements"] = {
        f: {eid: [c.to_dict() for c in v] for eid, v in sorted(per.items())}
        for f, per in sorted(state.elements.items())
    }
    return d


@given(st.data())
def test_cache_written_whole_still_reads(histories: Any, data: st.DataObject) -> None:
    """A hub's cached states from before the packed form read back equal, and the packed
    form never is larger."""
    states = fold(data.draw(histories))
    for s in states.values():
        whole = json.loads(json.dumps(_whole_form(s)))
        assert RecordState.from_dict(whole) == s
        assert len(json.dumps(s.to_dict())) <= len(json.dumps(whole)) + len('"by_op": {}, ')
