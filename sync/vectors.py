"""Conformance vectors: JSON files every other client (the browser first) must pass.

``python -m sync.vectors OUT_DIR`` writes them. Building is pure (:func:`build_vectors`
returns ``{relative path: JSON value}``); only :func:`main` touches the disk. Suites are
registered in :data:`SUITES`: ``canonical``, ``materialise``, ``rejections`` (change
format and merge rules) and ``protocol`` (a client's exchanges with a hub; its format is
described above :func:`_protocol_suite`).
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .canonical import canonical_json, sha256_hex
from .changes import Change, ChangeError, blank_for_purge, new_change
from .client import Replica
from .hlc import format_hlc
from .materialise import RecordState, apply_change, link_merges, materialise
from .memory_hub import InMemoryHub
from .protocol import Hello, HubInfo, PullPage, PushResult

__all__ = ["SUITES", "build_vectors", "dump", "main"]

Vectors = dict[str, Any]


class _Writer:
    """Terse construction of the changes a vector needs."""

    def __init__(self) -> None:
        self.seq: dict[str, int] = {}

    def __call__(
        self,
        op: str,
        action: str,
        patch: dict[str, Any] | None = None,
        deps: Iterable[str] = (),
        *,
        origin: str = "dev-a",
        t: int = 1_700_000_000_000,
        kind: str = "casualty",
        record: str = "rec-1",
        author: str = "reporter-1",
        schema_version: int = 1,
    ) -> Change:
        self.seq[origin] = self.seq.get(origin, 0) + 1
        return new_change(
            op_id=op,
            record_id=record,
            kind=kind,
            origin_id=origin,
            origin_seq=self.seq[origin],
            action=action,
            patch=patch or {},
            hlc=format_hlc(t, 0, origin),
            device_time=t,
            author=author,
            deps=deps,
            schema_version=schema_version,
        )


def _fold(changes: Iterable[Change]) -> dict[str, RecordState]:
    states: dict[str, RecordState] = {}
    for c in changes:
        states[c.record_id] = apply_change(states.get(c.record_id), c)
    return link_merges(dict(sorted(states.items())))


def _case(name: str, description: str, delivery: list[Change]) -> tuple[str, Any]:
    expected = materialise(delivery)
    if _fold(delivery) != expected:  # the two implementations must agree on every vector
        raise AssertionError(f"naive and incremental disagree on vector {name}")
    return f"materialise/{name}.json", {
        "name": name,
        "description": description,
        "changes": [c.to_dict() for c in delivery],
        "expected": {rid: s.public_dict() for rid, s in expected.items()},
        "hashes": {c.op_id: c.content_hash for c in delivery},
    }


def _materialise_suite() -> Vectors:
    w = _Writer()
    day = 86_400_000
    t0 = 1_700_000_000_000
    cases: list[tuple[str, Any]] = []

    create = w(
        "c1",
        "create",
        {
            "full_name": "محمد عبد الرحمن الحمصي",
            "full_name_latin": "Mohammad Abd al-Rahman",
            "sex": "male",
            "outcome": "killed",
            "age_years": 34,
            "place_id": "SY0401",
            "alternate_names": {"add": [{"eid": "n1", "value": "أبو أحمد"}]},
            "documentation": {"add": [{"eid": "photo", "value": "photo"}]},
        },
    )
    cases.append(_case("create_arabic", "One create with Arabic names and collections.", [create]))

    a = w("a1", "patch", {"full_name": "محمد الحمصي"}, ["c1"], origin="dev-a", t=t0 + 10)
    b = w("b1", "patch", {"full_name": "محمّد الحمصي"}, ["c1"], origin="dev-b", t=t0 + 20)
    c = w("x1", "patch", {"location_detail": "حي الخالدية"}, ["c1"], origin="dev-c", t=t0 + 5)
    cases.append(
        _case(
            "identity_conflict",
            "Two concurrent writes to full_name: both kept, dev-b (higher hlc) shown first, "
            "needs_review; a concurrent write to another field merges by itself.",
            [create, a, b, c],
        )
    )

    same = w("b2", "patch", {"full_name": "محمد الحمصي"}, ["c1"], origin="dev-b", t=t0 + 30)
    cases.append(
        _case(
            "same_value_no_conflict",
            "Concurrent writes of the same value are not a conflict.",
            [create, a, same],
        )
    )

    third = w("d1", "patch", {"full_name": "M. al-Homsi"}, ["c1"], origin="dev-d", t=t0 + 40)
    resolve = w(
        "r1",
        "resolve",
        {"full_name": "محمد الحمصي"},
        ["a1", "b1"],
        origin="coord",
        t=t0 + 100,
        author="coordinator-1",
    )
    cases.append(
        _case(
            "resolve_sees_two_of_three",
            "A resolve that saw a1 and b1 supersedes exactly those; d1, unseen, stays a "
            "candidate beside the resolved value.",
            [create, a, b, third, resolve],
        )
    )

    need = w(
        "s1",
        "create",
        {
            "item_name": "أكياس دم O-",
            "unit": "bag",
            "quantity_needed": "200",
            "quantity_delivered": {"delta": 0},
        },
        kind="supply_need",
        record="need-1",
    )
    d1 = w(
        "s2",
        "patch",
        {"quantity_delivered": {"delta": 100}},
        ["s1"],
        origin="team-1",
        kind="supply_need",
        record="need-1",
    )
    d2 = w(
        "s3",
        "patch",
        {"quantity_delivered": {"delta": 100}, "quantity_committed": {"delta": 50}},
        ["s1"],
        origin="team-2",
        kind="supply_need",
        record="need-1",
    )
    cases.append(
        _case("counters_sum", "Two teams each deliver 100 bags: 200 delivered.", [need, d1, d2])
    )

    add = w(
        "e1",
        "patch",
        {"alternate_names": {"add": [{"eid": "n2", "value": "أبو خالد"}]}},
        ["c1"],
        origin="dev-a",
    )
    rem = w("e2", "patch", {"alternate_names": {"remove": ["n1", "n2"]}}, ["c1"], origin="dev-b")
    cases.append(
        _case(
            "collection_add_wins",
            "A remove concurrent with an add removes only what it had seen: n1 goes, n2 stays.",
            [create, add, rem],
        )
    )

    delete = w("del1", "delete", {"reason": "duplicate entry"}, ["c1"], origin="dev-b", t=t0 + 50)
    cases.append(
        _case(
            "delete_vs_edit",
            "A delete concurrent with an edit is flagged; the record stays visible.",
            [create, a, delete],
        )
    )
    settle = w("r2", "resolve", {}, ["a1", "del1"], origin="coord", t=t0 + 60)
    cases.append(
        _case(
            "delete_vs_edit_resolved",
            "A resolve that saw both closes the contest; the delete stands.",
            [create, a, delete, settle],
        )
    )
    undelete = w("u1", "undelete", {}, ["a1", "del1"], origin="coord", t=t0 + 70)
    cases.append(
        _case(
            "undelete",
            "An undelete that saw the delete brings the record back.",
            [delete, create, undelete, a],
        )
    )

    dup = w("m0", "create", {"full_name": "محمد الحمصي"}, record="rec-2", origin="dev-c")
    merge = w("m1", "merge_into", {"target": "rec-1"}, ["m0"], record="rec-2", origin="coord")
    cases.append(
        _case(
            "merge_into",
            "A duplicate merged into rec-1: both histories kept, linked both ways.",
            [create, dup, merge],
        )
    )

    purge = w("p1", "purge", {"reason": "erasure request"}, ["a1", "b1"], origin="coord")
    cases.append(
        _case(
            "purge",
            "A purge blanks the record; a copy of an earlier change already blanked by it "
            "(purged_by, empty patch, hash unchecked) stands in for the original.",
            [blank_for_purge(create, "p1"), a, purge, b],
        )
    )

    c2 = w("k2", "patch", {"sex": "unknown"}, ["c1"], t=t0 + 1)
    c3 = w("k3", "patch", {"sex": "female"}, ["k2"], t=t0 + 2)
    cases.append(
        _case(
            "missing_dep",
            "k3 arrives without k2, its dep: applied anyway, k2 listed as missing.",
            [c3, create],
        )
    )
    cases.append(
        _case(
            "out_of_order_duplicated",
            "The same history delivered backwards with repeats: k3 supersedes k2 once k2 links "
            "them.",
            [c3, create, c3, c2, create],
        )
    )

    newer = w(
        "n1",
        "patch",
        {"full_name": "محمد", "partner_reference": {"org": "SARC", "score": "1.50"}},
        ["c1"],
        schema_version=2,
    )
    cases.append(
        _case(
            "unknown_field_kept",
            "A field from a newer schema is kept and shown as a plain field.",
            [create, newer],
        )
    )

    ahead = w("sk1", "patch", {"outcome": "injured"}, ["c1"], origin="dev-skewed", t=t0 + 3 * day)
    behind = w("sk2", "patch", {"outcome": "died_of_wounds"}, ["c1"], origin="dev-b", t=t0 + 1000)
    cases.append(
        _case(
            "clock_skew",
            "A device three days ahead is accepted; it only wins the provisional tie-break.",
            [create, behind, ahead],
        )
    )
    return dict(cases)


def _canonical_suite() -> Vectors:
    inputs: list[tuple[str, Any]] = [
        ("arabic_and_decimals", {"الاسم": "فاطمة", "quantity": "12.50", "n": -7}),
        ("utf16_key_order", {"\uffff": 1, "\U0001f600": 2, "a": 3, "": 4, "ع": 5}),
        ("escapes", {"s": '"\\\b\f\n\r\t\x00\x1f\x7f/\u2028</script>'}),
        (
            "nesting_and_literals",
            [None, True, False, 0, 9007199254740991, [], {}, [{"b": 1, "a": [2]}]],
        ),
        ("empty_object", {}),
    ]
    out: Vectors = {}
    for name, value in inputs:
        out[f"canonical/{name}.json"] = {
            "name": name,
            "input": value,
            "canonical": canonical_json(value),
            "sha256": sha256_hex(value),
        }
    return out


def _rejections_suite() -> Vectors:
    w = _Writer()
    good = w("ok1", "create", {"full_name": "أحمد", "quantity_needed": "1.5"}).to_dict()
    bad: list[tuple[str, dict[str, Any], str]] = []

    def variant(name: str, field: str, **changes: Any) -> None:
        d = dict(good)
        d.update(changes)
        bad.append((name, d, field))

    variant("hash_mismatch", "content_hash", content_hash="0" * 64)
    variant("float_in_patch", "patch", patch={"age_years": 3.5})
    variant("unknown_action", "action", action="overwrite")
    variant("hlc_of_other_origin", "hlc", hlc=format_hlc(1, 0, "someone-else"))
    variant(
        "counter_not_delta",
        "patch.quantity_delivered",
        kind="supply_need",
        patch={"quantity_delivered": 5},
    )
    variant("self_dep", "deps", deps=["ok1"])
    out: Vectors = {}
    for name, d, field in bad:
        try:
            Change.from_dict(d)
        except ChangeError as exc:
            if exc.field != field:
                raise AssertionError(f"{name}: rejected on {exc.field}, not {field}") from exc
        else:
            raise AssertionError(f"{name}: not rejected")
        out[f"rejections/{name}.json"] = {"name": name, "change": d, "error_field": field}
    return out


# ---------------------------------------------------------------------------------------
# Protocol vectors (``protocol/<name>.json``): one client's exchanges with a hub.
#
# Format. ``client`` names the client under test: ``origin_id``, ``author`` and ``peer``
# (the checkpoint's name). It starts empty. ``steps`` run in order; each has an ``action``:
#
# * ``write``: the client writes a change locally. ``input`` gives what it needs to write
#   it (``op_id``, ``clock_ms`` of the device clock, ``record_id``, ``kind``, ``action``,
#   ``patch``, ``deps``: null means the record's current heads) and ``change`` is the
#   change it must produce, hash included (a client may instead take ``change`` as is).
# * ``hub_receives``: the hub got changes from elsewhere (``op_ids``, with a ``note``);
#   nothing for the client to do: they reach it through later answers.
# * ``push`` (``batch_size``), ``pull`` (``page_size``), ``sync`` (handshake, push, pull,
#   missing) and ``repair`` (missing): the client does that, and ``exchanges`` lists every
#   request it must make, in order, with the hub's answer to each:
#   ``{"request": {"endpoint": "handshake"|"push"|"pull"|"missing", "body"|"query": …},
#   "response": <the answer body as in docs/sync.md> | null, "expect": <client state>}``.
#   A null response is an answer lost on the way: the hub handled the request, the client
#   saw a network error and stops that action. ``delivered`` (push only) lists the op ids
#   the hub actually received when the network reordered and duplicated the batch; the
#   results then follow that order, so a client must match results by ``op_id``.
#   For a handshake only ``origin_id``, ``schema_version``, ``have`` and ``clock`` of the
#   request are prescribed; for missing, ``have``.
# * ``write`` steps carry ``expect`` too. The client state is ``{"outbox": [op ids, FIFO],
#   "checkpoint": <hub_seq cursor for the peer>, "have": {origin: highest contiguous seq},
#   "log": [sorted op ids held], "problems": {op_id: {"status", "reason"}} (parked and
#   id_collision answers, kept until the change is accepted), "records": {record_id:
#   public view as in the materialise vectors}}``.
#
# Rules the vectors pin: a change leaves the outbox only on accepted or duplicate; a page
# and its cursor are stored together and ``forget`` drops those records (and their
# changes, except the client's own unsent ones); changes arriving again, out of order or
# with a page after the cursor (access widened) are applied by set, never twice.

T0 = 1_700_000_000_000
_ACCESS_FIELDS = frozenset({"assigned_to", "sensitivity"})

#: Whether a caller may hold a record: (record_id, current state, creator) -> bool.
MayHold = Callable[[str, RecordState, str], bool]


class _LostAnswer(Exception):
    """The hub handled the request; its answer never reached the client."""


def _touches_access(c: Change) -> bool:
    return c.action in ("create", "patch", "resolve") and not _ACCESS_FIELDS.isdisjoint(c.patch)


def client_state(replica: Replica, peer: str = "hub") -> dict[str, Any]:
    """The client state a protocol vector expects (see the format above)."""
    return {
        "outbox": list(replica.outbox),
        "checkpoint": replica.checkpoints.get(peer, 0),
        "have": replica.have_vector(),
        "log": sorted(replica.log),
        "problems": {
            op: {"status": p.status, "reason": p.reason}
            for op, p in sorted(replica.problems.items())
        },
        "records": {rid: st.public_dict() for rid, st in replica.records().items()},
    }


class _Session:
    """Drives the reference client against an in-memory hub, recording each exchange.

    The session is the client's transport: it answers from the hub, serves only what the
    client may hold (``may_hold``: widening and ``forget`` as in docs/sync.md), and can
    lose an answer or deliver a batch reversed and then again.
    """

    def __init__(
        self,
        name: str,
        description: str,
        *,
        author: str = "reporter-1",
        park: Callable[[Change], str | None] | None = None,
        may_hold: MayHold | None = None,
    ) -> None:
        self.name, self.description = name, description
        self.hub = InMemoryHub("hub-1", park=park, clock=lambda: T0 + 5_000)
        self.may_hold = may_hold
        self.now = T0
        self.next_op = ""
        self.client = Replica("dev-a", author, clock=lambda: self.now, new_id=lambda: self.next_op)
        self.others = _Writer()
        self.steps: list[dict[str, Any]] = []
        self.exchanges: list[dict[str, Any]] = []
        self.faults: list[str] = []

    # -- steps ------------------------------------------------------------------------------

    def write(
        self,
        op: str,
        record: str,
        action: str,
        patch: dict[str, Any],
        *,
        kind: str = "incident",
        deps: list[str] | None = None,
        t: int = 0,
    ) -> Change:
        self.now = T0 + t
        self.next_op = op
        change = self.client.write(record, kind, action, patch, deps=deps)
        self.steps.append(
            {
                "action": "write",
                "input": {
                    "op_id": op,
                    "clock_ms": self.now,
                    "record_id": record,
                    "kind": kind,
                    "action": action,
                    "patch": patch,
                    "deps": deps,
                },
                "change": change.to_dict(),
                "expect": client_state(self.client),
            }
        )
        return change

    def elsewhere(self, note: str, changes: Sequence[Change]) -> None:
        results = self.hub.push(changes)
        if any(r.status != "accepted" for r in results):
            raise AssertionError(f"{self.name}: hub refused {results}")
        self.steps.append(
            {"action": "hub_receives", "note": note, "op_ids": [c.op_id for c in changes]}
        )

    def act(self, action: str, note: str = "", faults: Sequence[str] = (), **params: int) -> None:
        self.exchanges, self.faults = [], list(faults)
        try:
            if action == "push":
                self.client.push(self, params["batch_size"])
            elif action == "pull":
                self.client.pull(self, "hub", params["page_size"])
            elif action == "sync":
                self.client.sync(self, "hub", params["page_size"])
            elif action == "repair":
                self.client.repair(self)
            else:
                raise ValueError(action)
        except _LostAnswer:
            pass
        self._settle()
        step: dict[str, Any] = {"action": action, **params, "exchanges": self.exchanges}
        if note:
            step["note"] = note
        self.steps.append(step)

    def vector(self) -> tuple[str, Any]:
        return f"protocol/{self.name}.json", {
            "name": self.name,
            "description": self.description,
            "client": {
                "origin_id": self.client.origin_id,
                "author": self.client.author,
                "peer": "hub",
            },
            "steps": self.steps,
            "hub_log": [c.op_id for c in self.hub.changes()],
        }

    # -- the transport ------------------------------------------------------------------

    def _settle(self) -> None:
        """The client has handled the previous answer: record the state it reached."""
        if self.exchanges and "expect" not in self.exchanges[-1]:
            self.exchanges[-1]["expect"] = client_state(self.client)

    def _record(self, request: dict[str, Any], response: Any, **extra: Any) -> None:
        self._settle()
        self.exchanges.append({"request": request, "response": response, **extra})

    def _readable(self) -> tuple[list[Change], set[str]]:
        log = self.hub.changes()
        if self.may_hold is None:
            return log, {c.record_id for c in log}
        creators: dict[str, str] = {}
        for c in log:
            if c.action == "create":
                creators.setdefault(c.record_id, c.author)
        states = materialise(log)
        may = self.may_hold
        return log, {rid for rid, st in states.items() if may(rid, st, creators.get(rid, ""))}

    def handshake(self, hello: Hello) -> HubInfo:
        self._settle()
        info = self.hub.handshake(hello)
        self._record(
            {
                "endpoint": "handshake",
                "body": {
                    "origin_id": hello.origin_id,
                    "schema_version": hello.schema_version,
                    "have": hello.have_vector,
                    "clock": hello.clock_ms,
                },
            },
            {
                "hub_id": info.hub_id,
                "hub_seq": info.hub_seq,
                "schema_version": info.schema_version,
                "clock": info.clock_ms,
                "access_epoch": None,
                "resync": False,
                "limits": {"push_changes": 500},
            },
        )
        return info

    def push(self, changes: Sequence[Change]) -> list[PushResult]:
        self._settle()
        fault = self.faults.pop(0) if self.faults else ""
        sent = list(changes)
        delivered = sent
        if fault == "duplicate_reorder":
            delivered = [*reversed(sent), *sent]
        results = self.hub.push(delivered)
        seqs = {c.op_id: i for i, c in enumerate(self.hub.changes(), 1)}
        answer: list[dict[str, Any]] = []
        for r in results:
            entry: dict[str, Any] = {"op_id": r.op_id, "status": r.status}
            if r.reason:
                entry["reason"] = r.reason
            if r.status == "accepted":
                entry["hub_seq"] = seqs[r.op_id]
            answer.append(entry)
        extra = {"delivered": [c.op_id for c in delivered]} if delivered is not sent else {}
        request = {"endpoint": "push", "body": {"changes": [c.to_dict() for c in sent]}}
        self._record(request, None if fault == "lost" else {"results": answer}, **extra)
        if fault == "lost":
            raise _LostAnswer
        return [PushResult(e["op_id"], e["status"], e.get("reason", "")) for e in answer]

    def pull(self, since: int, limit: int) -> PullPage:
        """As the hub serves it: only records the caller may hold, up to the watermark;
        a page with a change that widened access carries the record's earlier changes;
        records whose access narrowed in the page's range are named in ``forget``."""
        self._settle()
        log, readable = self._readable()
        rows = [(q, c) for q, c in enumerate(log, 1) if q > since and c.record_id in readable]
        rows = rows[: max(limit, 1)]
        more = len(rows) == limit and rows[-1][0] < len(log)
        cursor = rows[-1][0] if more else max(len(log), since)
        widened = {c.record_id for _, c in rows if _touches_access(c)}
        earlier = [
            c for q, c in enumerate(log, 1) if since > 0 and q <= since and c.record_id in widened
        ]
        forget = sorted(
            {
                c.record_id
                for q, c in enumerate(log, 1)
                if since < q <= cursor and _touches_access(c) and c.record_id not in readable
            }
        )
        page = PullPage([*earlier, *(c for _, c in rows)], cursor, more, forget)
        self._record(
            {"endpoint": "pull", "query": {"since": since, "limit": limit}},
            {
                "changes": [c.to_dict() for c in page.changes],
                "hub_seq": page.hub_seq,
                "more": page.more,
                "forget": page.forget,
            },
        )
        return page

    def missing(self, have_vector: Mapping[str, int]) -> list[Change]:
        self._settle()
        log, readable = self._readable()
        mine = [c for c in log if c.record_id in readable]
        counts: dict[str, int] = {}
        for c in mine:
            counts[c.origin_id] = counts.get(c.origin_id, 0) + 1
        lines = "\n".join(f"{o}:{n}" for o, n in sorted(counts.items()))
        found = [c for c in mine if c.origin_seq > have_vector.get(c.origin_id, 0)]
        self._record(
            {"endpoint": "missing", "body": {"have": dict(have_vector)}},
            {
                "digest": hashlib.sha256(lines.encode()).hexdigest(),
                "changes": [c.to_dict() for c in found],
                "more": False,
            },
        )
        return found


def _incident(**fields: Any) -> dict[str, Any]:
    return {"team_id": "team-1", "event_type": "shelling_artillery_missile", **fields}


def _casualty(**fields: Any) -> dict[str, Any]:
    return {"team_id": "team-1", "outcome": "killed", "sex": "male", **fields}


def _reporter_may_hold(author: str) -> MayHold:
    """A reporter's rule (app/services/access.py): incidents of the team, and the person
    records they created or that are assigned to them."""

    def may(_rid: str, state: RecordState, creator: str) -> bool:
        return state.kind != "casualty" or author in (creator, state.values.get("assigned_to"))

    return may


def _protocol_suite() -> Vectors:
    out: list[tuple[str, Any]] = []

    def coordinator_resolves_only(c: Change) -> str | None:
        if c.action == "resolve" and not c.author.startswith("coordinator"):
            return "only a coordinator may resolve"
        return None

    v = _Session(
        "push_statuses",
        "Every push status: duplicate (held since an earlier push whose answer was lost), "
        "accepted with its hub_seq, parked with its reason, id_collision (the op id is held "
        "with other content). Parked and colliding changes stay in the outbox, in order, "
        "and come back with the same status when pushed again.",
        park=coordinator_resolves_only,
    )
    clash = v.others(
        "op-clash",
        "create",
        _incident(killed_max=9),
        origin="dev-b",
        record="rec-9",
        kind="incident",
        author="reporter-2",
    )
    v.elsewhere("another phone wrote op-clash first", [clash])
    v.write("op-a1", "rec-1", "create", _incident(killed_max=2))
    v.act("push", "the hub stores op-a1; its answer is lost", faults=["lost"], batch_size=500)
    v.write("op-a2", "rec-1", "patch", {"killed_max": 3}, t=10)
    v.write("op-a3", "rec-1", "resolve", {"killed_max": 3}, deps=["op-a2"], t=20)
    v.write("op-clash", "rec-1", "patch", {"description": "قصف على السوق"}, t=30)
    v.act("push", batch_size=500)
    v.act("push", "nothing is dropped: parked and colliding changes are sent again", batch_size=500)
    out.append(v.vector())

    v = _Session(
        "lost_answer_then_retry",
        "A push reaches the hub but its answer is lost: the outbox stays as it was. The "
        "retry is answered duplicate for both, which empties the outbox; pulling brings "
        "the client's own changes back, applied once.",
    )
    v.write("op-a1", "rec-1", "create", _incident(killed_max=2))
    v.write("op-a2", "rec-1", "patch", {"killed_max": 4}, t=10)
    v.act("push", faults=["lost"], batch_size=500)
    v.act("push", batch_size=500)
    v.act("pull", page_size=500)
    out.append(v.vector())

    v = _Session(
        "paged_pull",
        "Five changes pulled two at a time: each page and its cursor are taken together; "
        "two concurrent writes of full_name by other phones arrive on different pages and "
        "end up as a conflict with both candidates.",
    )
    w = v.others
    c1 = w(
        "op-b1",
        "create",
        _casualty(full_name="أحمد"),
        origin="dev-b",
        record="rec-1",
        kind="casualty",
        author="reporter-1",
    )
    c2 = w(
        "op-b2",
        "create",
        _incident(killed_max=1),
        origin="dev-b",
        record="rec-2",
        kind="incident",
        author="reporter-1",
    )
    c3 = w(
        "op-b3",
        "patch",
        {"full_name": "أحمد الحمصي"},
        ["op-b1"],
        origin="dev-b",
        record="rec-1",
        kind="casualty",
        t=T0 + 10,
        author="reporter-1",
    )
    c4 = w(
        "op-c1",
        "patch",
        {"killed_max": 4},
        ["op-b2"],
        origin="dev-c",
        record="rec-2",
        kind="incident",
        t=T0 + 20,
        author="reporter-1",
    )
    c5 = w(
        "op-c2",
        "patch",
        {"full_name": "Ahmad al-Homsi"},
        ["op-b1"],
        origin="dev-c",
        record="rec-1",
        kind="casualty",
        t=T0 + 30,
        author="reporter-1",
    )
    v.elsewhere("two other phones synced", [c1, c2, c3, c4, c5])
    v.act("pull", page_size=2)
    v.act("pull", "nothing new: one request, same cursor", page_size=2)
    out.append(v.vector())

    v = _Session(
        "duplicated_and_reordered_batch",
        "The network delivers the pushed batch reversed, then again in order: the hub "
        "answers each copy (accepted once, then duplicate) in the order it got them; "
        "matched by op_id, the outbox empties. The hub stored them out of order, so pulling "
        "brings patches before their create, and the client's own changes again: applied "
        "as a set, nothing changes.",
    )
    v.write("op-a1", "rec-1", "create", _incident(killed_max=2))
    v.write("op-a2", "rec-1", "patch", {"killed_max": 3}, t=10)
    v.write("op-a3", "rec-1", "patch", {"description": "حي الخالدية"}, t=20)
    v.act("push", faults=["duplicate_reorder"], batch_size=500)
    v.act("pull", page_size=2)
    out.append(v.vector())

    v = _Session(
        "forget",
        "A casualty assigned to the reporter reaches the phone; the coordinator takes it "
        "back: the next page names it in forget and the phone drops the record and its "
        "changes, except its own unsent change, which stays queued.",
        may_hold=_reporter_may_hold("reporter-1"),
    )
    w = v.others
    p1 = w(
        "op-k1",
        "create",
        _casualty(full_name="فاطمة", assigned_to="reporter-1"),
        origin="dev-coord",
        record="rec-p",
        kind="casualty",
        author="coordinator-1",
    )
    i1 = w(
        "op-k2",
        "create",
        _incident(killed_max=1),
        origin="dev-coord",
        record="rec-i",
        kind="incident",
        author="coordinator-1",
    )
    v.elsewhere("the coordinator assigns rec-p to reporter-1", [p1, i1])
    v.act("pull", page_size=10)
    v.write("op-a1", "rec-p", "patch", {"full_name": "فاطمة الزهراء"}, kind="casualty", t=10)
    p2 = w(
        "op-k3",
        "patch",
        {"assigned_to": None},
        ["op-k1"],
        origin="dev-coord",
        record="rec-p",
        kind="casualty",
        t=T0 + 20,
        author="coordinator-1",
    )
    v.elsewhere("the coordinator unassigns rec-p", [p2])
    v.act("pull", page_size=10)
    out.append(v.vector())

    v = _Session(
        "access_widening",
        "A casualty the reporter may not hold is skipped (the cursor still moves past it). "
        "Once it is assigned to them, the page carrying the assignment also carries the "
        "record's earlier changes, from before the cursor, beyond the page limit.",
        may_hold=_reporter_may_hold("reporter-1"),
    )
    w = v.others
    p1 = w(
        "op-k1",
        "create",
        _casualty(full_name="سامر"),
        origin="dev-coord",
        record="rec-p",
        kind="casualty",
        author="coordinator-1",
    )
    p2 = w(
        "op-k2",
        "patch",
        {"age_years": 30},
        ["op-k1"],
        origin="dev-coord",
        record="rec-p",
        kind="casualty",
        t=T0 + 1,
        author="coordinator-1",
    )
    i1 = w(
        "op-k3",
        "create",
        _incident(killed_max=1),
        origin="dev-coord",
        record="rec-i",
        kind="incident",
        author="coordinator-1",
    )
    v.elsewhere("the coordinator records a casualty and an incident", [p1, p2, i1])
    v.act("pull", page_size=2)
    i2 = w(
        "op-k4",
        "patch",
        {"killed_max": 2},
        ["op-k3"],
        origin="dev-coord",
        record="rec-i",
        kind="incident",
        t=T0 + 2,
        author="coordinator-1",
    )
    p3 = w(
        "op-k5",
        "patch",
        {"assigned_to": "reporter-1"},
        ["op-k2"],
        origin="dev-coord",
        record="rec-p",
        kind="casualty",
        t=T0 + 3,
        author="coordinator-1",
    )
    p4 = w(
        "op-k6",
        "patch",
        {"sex": "unknown"},
        ["op-k5"],
        origin="dev-coord",
        record="rec-p",
        kind="casualty",
        t=T0 + 4,
        author="coordinator-1",
    )
    v.elsewhere("rec-p is assigned to reporter-1, then edited", [i2, p3, p4])
    v.act("pull", page_size=2)
    v.act("repair", "the have-vector lacks nothing the reporter may hold")
    out.append(v.vector())

    v = _Session(
        "sync_round",
        "One sync: handshake (the client reports what it has), push the outbox, pull until "
        "no more, then ask for what the have-vector lacks (nothing).",
    )
    b1 = v.others(
        "op-b1",
        "create",
        _incident(killed_max=1),
        origin="dev-b",
        record="rec-2",
        kind="incident",
        author="reporter-2",
    )
    v.elsewhere("another phone synced", [b1])
    v.write("op-a1", "rec-1", "create", _incident(killed_max=2))
    v.act("sync", page_size=500)
    out.append(v.vector())
    return dict(out)


#: Suites by folder (each writes ``<folder>/<name>.json``).
SUITES: dict[str, Callable[[], Vectors]] = {
    "canonical": _canonical_suite,
    "materialise": _materialise_suite,
    "protocol": _protocol_suite,
    "rejections": _rejections_suite,
}


def build_vectors() -> Vectors:
    """Every vector file, as ``{relative path: JSON value}``."""
    out: Vectors = {}
    for suite in SUITES.values():
        out.update(suite())
    return dict(sorted(out.items()))


def dump(value: Any) -> str:
    """The exact text a vector file holds (stable across runs and platforms)."""
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write every vector under the directory given as the only argument."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m sync.vectors OUT_DIR", file=sys.stderr)
        return 2
    root = Path(args[0])
    for rel, value in build_vectors().items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump(value), encoding="utf-8", newline="\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
