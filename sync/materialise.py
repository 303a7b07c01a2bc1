"""Materialisation: the records a set of changes describes, computed two ways.

``materialise`` is the naive reference: it reads the whole set and applies the rules as
written. ``apply_change`` is the incremental path: it folds one change into a record
state and never mutates its input. Both must give equal states for the same *set* of
changes, whatever the delivery order and however often a change is repeated.

The rules, per record:

* Causal past: the transitive closure of ``deps`` among the record's known changes.
* A write to a field (or to a collection element, or to the record's delete or merge
  status) is superseded by a write to the same target whose causal past contains it.
  The writes left are the candidates; one distinct value is the value, several are a
  conflict with every candidate kept and a provisional winner shown.
* Counters sum their deltas. Collections are add-wins: a remove only removes the adds it
  had seen.
* A purge (or any change blanked by one) empties the record's payload for good.

This module never reads a clock, makes ids or does IO.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .canonical import canonical_json
from .changes import Change, ChangeError
from .fields import field_class

__all__ = [
    "DELETED",
    "EDIT_ACTIONS",
    "MERGED_INTO",
    "Candidate",
    "OpInfo",
    "RecordState",
    "apply_change",
    "apply_changes",
    "link_merges",
    "materialise",
    "winner_key",
]

#: Pseudo-field for the record's delete status (written by delete and undelete).
DELETED = "@deleted"
#: Pseudo-field for the record a duplicate was merged into (written by merge_into).
MERGED_INTO = "@merged_into"
#: Actions that count as an edit when deciding whether a delete is contested.
EDIT_ACTIONS = frozenset({"create", "patch", "resolve", "undelete"})


@dataclass(frozen=True)
class Candidate:
    """One write still standing for a field: its value and who wrote it when."""

    op_id: str
    value: Any
    hlc: str
    origin_id: str
    author: str

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "op_id": self.op_id,
            "value": self.value,
            "hlc": self.hlc,
            "origin_id": self.origin_id,
            "author": self.author,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Candidate:
        """Build from the JSON form."""
        return cls(d["op_id"], d["value"], d["hlc"], d["origin_id"], d["author"])


def winner_key(c: Candidate) -> tuple[str, str, str]:
    """Sort key of the provisional winner rule.

    The provisional winner among concurrent candidates is the one with the highest hybrid
    logical clock, then the highest origin id, then the highest op id. It is only what
    the screen shows first: every candidate is kept until a resolve supersedes it.
    """
    return (c.hlc, c.origin_id, c.op_id)


def _ordered(cands: Iterable[Candidate]) -> list[Candidate]:
    out = list(cands)
    if len(out) > 1:  # most fields hold one write: nothing to order
        out.sort(key=winner_key, reverse=True)
    return out


@dataclass(frozen=True)
class OpInfo:
    """What a record state remembers of each change: enough to rebuild causality."""

    deps: tuple[str, ...]
    action: str
    content_hash: str


def _pack(c: Candidate, by_op: dict[str, list[str]]) -> Any:
    """A bookkeeping candidate as [op_id, value], its change's clock, origin and author
    noted once in `by_op`; whole when they differ from what `by_op` holds already."""
    who = [c.hlc, c.origin_id, c.author]
    held = by_op.setdefault(c.op_id, who)
    return [c.op_id, c.value] if held == who else c.to_dict()


def _unpack(c: Any, by_op: Mapping[str, Sequence[str]]) -> Candidate:
    """The candidate `_pack` wrote (or a whole one, as older caches hold)."""
    if isinstance(c, list):
        hlc, origin_id, author = by_op[c[0]]
        return Candidate(c[0], c[1], hlc, origin_id, author)
    return Candidate.from_dict(c)


@dataclass
class RecordState:
    """The materialised state of one record, JSON-serialisable for caching.

    Public view: ``values`` (provisional winners, summed counters, collections as sorted
    lists of live elements), ``conflicts`` (field -> every candidate, winner first),
    the flags, ``heads`` (what a writer puts in ``deps``) and ``missing_deps`` (deps
    named but not yet arrived). A record is shown unless ``deleted`` and not
    ``delete_conflict``. The ``ops``, ``writes``, ``elements`` and ``counters``
    attributes are the incremental bookkeeping: live candidates per target, so that a
    late change can be folded in without the full history.
    """

    record_id: str
    kind: str
    values: dict[str, Any] = field(default_factory=dict)
    conflicts: dict[str, list[Candidate]] = field(default_factory=dict)
    deleted: bool = False
    delete_conflict: bool = False
    needs_review: bool = False
    merged_into: str | None = None
    merged_from: list[str] = field(default_factory=list)
    purged: bool = False
    heads: list[str] = field(default_factory=list)
    missing_deps: list[str] = field(default_factory=list)
    updated_at: str = ""
    has_create: bool = False
    ops: dict[str, OpInfo] = field(default_factory=dict)
    writes: dict[str, list[Candidate]] = field(default_factory=dict)
    elements: dict[str, dict[str, list[Candidate]]] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)

    @property
    def op_count(self) -> int:
        """How many distinct changes the state holds."""
        return len(self.ops)

    @property
    def visible(self) -> bool:
        """Whether the app lists the record: not deleted, or its delete is contested."""
        return not self.deleted or self.delete_conflict

    def public_dict(self) -> dict[str, Any]:
        """Return the view other clients must reproduce (used by conformance vectors)."""
        return {
            "record_id": self.record_id,
            "kind": self.kind,
            "values": self.values,
            "conflicts": {
                f: [c.to_dict() for c in cands] for f, cands in sorted(self.conflicts.items())
            },
            "deleted": self.deleted,
            "delete_conflict": self.delete_conflict,
            "needs_review": self.needs_review,
            "merged_into": self.merged_into,
            "merged_from": list(self.merged_from),
            "purged": self.purged,
            "heads": list(self.heads),
            "missing_deps": list(self.missing_deps),
            "updated_at": self.updated_at,
            "op_count": self.op_count,
        }

    def to_dict(self) -> dict[str, Any]:
        """Return the full JSON form, bookkeeping included (for a cache column)."""
        d = self.public_dict()
        d.pop("op_count")
        d["has_create"] = self.has_create
        d["ops"] = {
            op: {"deps": list(i.deps), "action": i.action, "content_hash": i.content_hash}
            for op, i in sorted(self.ops.items())
        }
        # The bookkeeping's candidates are written as [op_id, value]; the clock, origin
        # and author they share with every other write of the same change are written
        # once, under "by_op". A cached state is a third of the size, and every byte of
        # it is written again on each change to the record (the cache column, SQLite's WAL).
        by_op: dict[str, list[str]] = {}
        d["writes"] = {k: [_pack(c, by_op) for c in v] for k, v in sorted(self.writes.items())}
        d["elements"] = {
            f: {eid: [_pack(c, by_op) for c in v] for eid, v in sorted(per.items())}
            for f, per in sorted(self.elements.items())
        }
        d["counters"] = dict(sorted(self.counters.items()))
        d["by_op"] = dict(sorted(by_op.items()))
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RecordState:
        """Rebuild a state from :meth:`to_dict` output (or from the older form that wrote
        every candidate whole)."""
        by_op = d.get("by_op", {})
        return cls(
            record_id=d["record_id"],
            kind=d["kind"],
            values=dict(d["values"]),
            conflicts={f: [Candidate.from_dict(c) for c in v] for f, v in d["conflicts"].items()},
            deleted=d["deleted"],
            delete_conflict=d["delete_conflict"],
            needs_review=d["needs_review"],
            merged_into=d["merged_into"],
            merged_from=list(d["merged_from"]),
            purged=d["purged"],
            heads=list(d["heads"]),
            missing_deps=list(d["missing_deps"]),
            updated_at=d["updated_at"],
            has_create=d["has_create"],
            ops={
                op: OpInfo(tuple(i["deps"]), i["action"], i["content_hash"])
                for op, i in d["ops"].items()
            },
            writes={k: [_unpack(c, by_op) for c in v] for k, v in d["writes"].items()},
            elements={
                f: {eid: [_unpack(c, by_op) for c in v] for eid, v in per.items()}
                for f, per in d["elements"].items()
            },
            counters=dict(d["counters"]),
        )


# ---------------------------------------------------------------------------------------
# Shared pieces: what a change writes, and how live candidates become the public view.


def _field_writes(
    change: Change,
) -> tuple[list[tuple[str, Any]], list[tuple[str, str, Any]], list[tuple[str, int]]]:
    """Split a change into (target, value) writes, element writes and counter deltas.

    Element writes are (field, eid, element or None for a remove). Fields are classed by
    the change's own kind, so a change is read the same way wherever it lands.
    """
    plain: list[tuple[str, Any]] = []
    elements: list[tuple[str, str, Any]] = []
    deltas: list[tuple[str, int]] = []
    if change.purged_by is not None:
        return plain, elements, deltas
    action = change.action
    if action in ("create", "patch", "resolve"):
        for name, value in change.patch.items():
            cls = field_class(change.kind, name)
            if cls == "counter":
                deltas.append((name, value["delta"]))
            elif cls == "collection":
                for element in value.get("add", []):
                    elements.append((name, element["eid"], element))
                for eid in value.get("remove", []):
                    elements.append((name, eid, None))
            else:
                plain.append((name, value))
    elif action == "delete":
        plain.append((DELETED, True))
    elif action == "undelete":
        plain.append((DELETED, False))
    elif action == "merge_into":
        plain.append((MERGED_INTO, change.patch["target"]))
    return plain, elements, deltas


def _candidate(change: Change, value: Any) -> Candidate:
    return Candidate(change.op_id, value, change.hlc, change.origin_id, change.author)


def _distinct(values: Iterable[Any]) -> list[Any]:
    """Distinct values (equal by canonical JSON, so 1 and true differ), in canonical order."""
    vals = list(values)
    if len(vals) < 2:
        return vals
    seen: dict[str, Any] = {}
    for v in vals:
        seen.setdefault(canonical_json(v), v)
    return [seen[k] for k in sorted(seen)]


def _several(values: list[Any]) -> bool:
    """Whether ``values`` hold more than one distinct value (the hot path of _derive)."""
    if len(values) < 2:
        return False
    if all(type(v) is str for v in values):
        return len(set(values)) > 1
    return len(_distinct(values)) > 1


def _derive(state: RecordState) -> None:
    """Recompute the public view of ``state`` from its live candidates (in place)."""
    values: dict[str, Any] = {}
    conflicts: dict[str, list[Candidate]] = {}
    for name, live in state.writes.items():
        if name.startswith("@"):
            continue
        values[name] = live[0].value
        if len(live) > 1 and _several([c.value for c in live]):
            conflicts[name] = list(live)
    for name, per_eid in state.elements.items():
        items: list[Any] = []
        for eid in sorted(per_eid):
            items.extend(_distinct(c.value for c in per_eid[eid] if c.value is not None))
        values[name] = items
    for name, total in state.counters.items():
        values[name] = total
    merge = state.writes.get(MERGED_INTO, [])
    state.merged_into = merge[0].value if merge else None
    if _several([c.value for c in merge]):
        conflicts[MERGED_INTO] = list(merge)
    state.deleted = any(c.value is True for c in state.writes.get(DELETED, []))
    state.values = dict(sorted(values.items()))
    state.conflicts = dict(sorted(conflicts.items()))
    state.needs_review = any(
        name == MERGED_INTO or field_class(state.kind, name) == "identity" for name in conflicts
    )


def _blank(state: RecordState) -> None:
    """Empty every payload of a purged record (in place); the op graph stays."""
    state.purged = True
    state.writes = {}
    state.elements = {}
    state.counters = {}
    state.values = {}
    state.conflicts = {}
    state.deleted = True
    state.delete_conflict = False
    state.needs_review = False
    state.merged_into = None


def _kind_after(state_kind: str, has_create: bool, change: Change) -> tuple[str, bool]:
    # A record's kind is the smallest kind among its creates, or among all its changes
    # before a create is known: a function of the set, whatever arrives first.
    if change.action == "create":
        if not has_create:
            return change.kind, True
        return min(state_kind, change.kind), True
    if has_create:
        return state_kind, True
    return min(state_kind, change.kind), False


# ---------------------------------------------------------------------------------------
# Incremental path.


def _ancestors(ops: Mapping[str, OpInfo], start: Iterable[str]) -> set[str]:
    """Known op ids reachable from ``start`` through deps (``start`` included if known)."""
    seen: set[str] = set()
    stack = [op for op in start if op in ops]
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        stack.extend(d for d in ops[op].deps if d in ops and d not in seen)
    return seen


class _LazyPast:
    """The strict causal past of a change, explored only as far as questions need.

    ``op in past`` equals ``op in _ancestors(ops, deps)``, but a search stops at the op
    it looks for: superseding the previous write (usually a direct dep) costs O(1), not
    O(history).
    """

    def __init__(self, ops: Mapping[str, OpInfo], deps: Iterable[str]) -> None:
        self.ops = ops
        self.seen: set[str] = set()
        self.stack = [d for d in deps if d in ops]

    def __contains__(self, op: str) -> bool:
        if op in self.seen:
            return True
        ops, seen, stack = self.ops, self.seen, self.stack
        while stack:
            x = stack.pop()
            if x in seen:
                continue
            seen.add(x)
            stack.extend(d for d in ops[x].deps if d in ops and d not in seen)
            if x == op:
                return True
        return False


class _AncestorCache:
    """Memoised strict causal pasts over one op graph."""

    def __init__(self, ops: Mapping[str, OpInfo]) -> None:
        self.ops = ops
        self.memo: dict[str, set[str]] = {}

    def of(self, op: str) -> set[str]:
        found = self.memo.get(op)
        if found is None:
            found = _ancestors(self.ops, self.ops[op].deps)
            self.memo[op] = found
        return found


def _prune(live: list[Candidate], anc: _AncestorCache) -> list[Candidate]:
    if len(live) < 2:
        return live
    return [
        c for c in live if not any(o.op_id != c.op_id and c.op_id in anc.of(o.op_id) for o in live)
    ]


def _delete_conflict(ops: Mapping[str, OpInfo], live_deletes: list[str]) -> bool:
    """Whether a live delete is concurrent with an edit no resolve has seen both of."""
    if not live_deletes:
        return False
    anc = _AncestorCache(ops)
    for d in live_deletes:
        before = anc.of(d)
        after = {op for op in ops if d in anc.of(op)}
        resolves = [op for op in after if ops[op].action == "resolve"]
        for e, info in ops.items():
            if e == d or info.action not in EDIT_ACTIONS or e in before or e in after:
                continue
            if not any(e in anc.of(r) for r in resolves):
                return True
    return False


def apply_change(state: RecordState | None, change: Change) -> RecordState:
    """Return the state of ``change.record_id`` after ``change``; ``state`` is not modified.

    Applying a change already held returns the state unchanged (or blanks it, when the
    repeat is a copy blanked by a purge). A change whose deps have not arrived is
    applied now; when a missing dep arrives later, the candidates are recomputed so the
    result equals :func:`materialise` of the set.
    Raises :class:`ChangeError` when the op id is held with a different content hash.
    """
    return _apply(state, change, owned=False)


def apply_changes(state: RecordState | None, changes: Iterable[Change]) -> RecordState | None:
    """Fold ``changes`` (all of one record) into ``state`` in order; ``state`` is not modified.

    Equal to folding them one by one with :func:`apply_change`, but the op graph and the
    other containers are copied once for the whole sequence instead of once per change
    (a record with a long history no longer costs O(history) per change).
    """
    if state is not None:
        state = replace(  # private top-level containers; the lists in them are never mutated
            state,
            ops=dict(state.ops),
            writes=dict(state.writes),
            elements=dict(state.elements),
            counters=dict(state.counters),
        )
    for change in changes:
        state = _apply(state, change, owned=True)
    return state


def _apply(state: RecordState | None, change: Change, *, owned: bool) -> RecordState:
    """`apply_change`; with ``owned``, ``state`` is a private copy and is updated in place."""
    if state is None:
        state = RecordState(record_id=change.record_id, kind=change.kind)
        owned = True  # made here: nobody else holds it, no copy needed
    elif state.record_id != change.record_id:
        raise ValueError(f"change {change.op_id} is for record {change.record_id}")
    known = state.ops.get(change.op_id)
    if known is not None:
        if known.content_hash != change.content_hash:
            raise ChangeError("op_id", f"id_collision: {change.op_id} held with other content")
        if change.purged_by is not None and not state.purged:
            blanked = state if owned else replace(state)
            _blank(blanked)
            return blanked
        return state

    if owned:
        new = state  # a private copy: its containers may be updated in place
    else:
        new = replace(state)  # shallow: every container touched below is copied first
        new.ops = dict(state.ops)
    new.ops[change.op_id] = OpInfo(change.deps, change.action, change.content_hash)
    new.kind, new.has_create = _kind_after(state.kind, state.has_create, change)
    if change.hlc > new.updated_at:
        new.updated_at = change.hlc
    missing = set(state.missing_deps)
    relinks = change.op_id in missing
    missing.discard(change.op_id)
    missing.update(d for d in change.deps if d not in new.ops)
    new.missing_deps = sorted(missing)
    heads = set(state.heads) - set(change.deps)
    if not relinks:
        heads.add(change.op_id)
    new.heads = sorted(heads)

    if new.purged or change.action == "purge" or change.purged_by is not None:
        _blank(new)
        return new

    plain, elements, deltas = _field_writes(change)
    anc_cache = _AncestorCache(new.ops)
    past: _LazyPast | None = None
    if plain:
        if not owned:
            new.writes = dict(state.writes)
        for name, value in plain:
            live = new.writes.get(name, [])
            if live and not relinks:
                if past is None:
                    past = _LazyPast(new.ops, change.deps)
                live = [c for c in live if c.op_id not in past]
            new.writes[name] = _ordered([*live, _candidate(change, value)])
    if elements:
        if not owned:
            new.elements = dict(state.elements)
        for name, eid, value in elements:
            per = dict(new.elements.get(name, {}))
            live = per.get(eid, [])
            if live and not relinks:
                if past is None:
                    past = _LazyPast(new.ops, change.deps)
                live = [c for c in live if c.op_id not in past]
            per[eid] = _ordered([*live, _candidate(change, value)])
            new.elements[name] = per
    if deltas:
        if not owned:
            new.counters = dict(state.counters)
        for name, delta in deltas:
            new.counters[name] = new.counters.get(name, 0) + delta
    if relinks:
        # A change that others already named has arrived: it may link old writes to
        # later ones, so every target's candidates are pruned again over the full graph.
        new.writes = {k: _prune(v, anc_cache) for k, v in new.writes.items()}
        new.elements = {
            f: {eid: _prune(v, anc_cache) for eid, v in per.items()}
            for f, per in new.elements.items()
        }
    live_deletes = [c.op_id for c in new.writes.get(DELETED, []) if c.value is True]
    new.delete_conflict = _delete_conflict(new.ops, live_deletes)
    _derive(new)
    return new


def link_merges(states: Mapping[str, RecordState]) -> dict[str, RecordState]:
    """Return ``states`` with ``merged_from`` filled on every merge target held.

    ``merged_from`` is the one cross-record part of a state, so it is computed over all
    records here rather than in :func:`apply_change`. Inputs are not modified.
    """
    sources: dict[str, list[str]] = {}
    for rid, st in states.items():
        if st.merged_into is not None:
            sources.setdefault(st.merged_into, []).append(rid)
    out: dict[str, RecordState] = {}
    for rid, st in states.items():
        want = sorted(sources.get(rid, []))
        out[rid] = st if st.merged_from == want else replace(st, merged_from=want)
    return out


# ---------------------------------------------------------------------------------------
# Naive reference path.


def _naive_record(record_id: str, changes: list[Change]) -> RecordState:
    ops = {c.op_id: c for c in changes}
    anc: dict[str, set[str]] = {}
    for op in ops:
        seen: set[str] = set()
        stack = [d for d in ops[op].deps if d in ops]
        while stack:
            x = stack.pop()
            if x not in seen:
                seen.add(x)
                stack.extend(d for d in ops[x].deps if d in ops)
        anc[op] = seen

    creates = [c.kind for c in changes if c.action == "create"]
    kind = min(creates) if creates else min(c.kind for c in changes)
    named = {d for c in changes for d in c.deps}
    state = RecordState(record_id=record_id, kind=kind)
    state.has_create = bool(creates)
    state.ops = {c.op_id: OpInfo(c.deps, c.action, c.content_hash) for c in changes}
    state.heads = sorted(set(ops) - named)
    state.missing_deps = sorted(named - set(ops))
    state.updated_at = max(c.hlc for c in changes)
    if any(c.action == "purge" or c.purged_by is not None for c in changes):
        _blank(state)
        return state

    targets: dict[str, list[Candidate]] = {}
    element_targets: dict[tuple[str, str], list[Candidate]] = {}
    for c in changes:
        plain, elements, deltas = _field_writes(c)
        for name, value in plain:
            targets.setdefault(name, []).append(_candidate(c, value))
        for name, eid, value in elements:
            element_targets.setdefault((name, eid), []).append(_candidate(c, value))
        for name, delta in deltas:
            state.counters[name] = state.counters.get(name, 0) + delta

    def standing(writes: list[Candidate]) -> list[Candidate]:
        # A write stands unless another write to the same target has it in its past.
        return _ordered(
            w for w in writes if not any(w.op_id in anc[o.op_id] for o in writes if o is not w)
        )

    state.writes = {name: standing(ws) for name, ws in targets.items()}
    for (name, eid), ws in element_targets.items():
        state.elements.setdefault(name, {})[eid] = standing(ws)

    conflict = False
    for d in (c.op_id for c in state.writes.get(DELETED, []) if c.value is True):
        for e in changes:
            if e.action not in EDIT_ACTIONS or e.op_id == d:
                continue
            if e.op_id in anc[d] or d in anc[e.op_id]:
                continue
            seen_by_resolve = any(
                r.action == "resolve" and d in anc[r.op_id] and e.op_id in anc[r.op_id]
                for r in changes
            )
            conflict = conflict or not seen_by_resolve
    state.delete_conflict = conflict
    _derive(state)
    return state


def materialise(changes: Iterable[Change]) -> dict[str, RecordState]:
    """Naive reference: the records described by a set of changes.

    Order and repeats do not matter. A copy blanked by a purge stands in for its
    original. Raises :class:`ChangeError` when one op id comes with two contents.
    """
    by_record: dict[str, dict[str, Change]] = {}
    for c in changes:
        held = by_record.setdefault(c.record_id, {}).get(c.op_id)
        if held is None:
            by_record[c.record_id][c.op_id] = c
        elif held.content_hash != c.content_hash:
            raise ChangeError("op_id", f"id_collision: {c.op_id} held with other content")
        elif c.purged_by is not None:
            by_record[c.record_id][c.op_id] = c
    states = {rid: _naive_record(rid, list(ops.values())) for rid, ops in by_record.items()}
    return link_merges(dict(sorted(states.items())))
