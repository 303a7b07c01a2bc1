"""Three replicas, two in-memory hubs and a hostile network, as a Hypothesis state machine.

Edits, deletes, resolves, counters and collections on every replica; pushes whose
acknowledgement is lost, batches duplicated and reordered, pulls that crash midway,
a replica restored from an old backup (under a new origin id) and clocks days apart.
Replicas 0 and 1 sync with hub A, replica 2 with hub B; the hubs pull from each other
with small limits (sometimes stopping midway) and exchange USB bundles that are
repeated, stale, damaged (refused whole) or whose receipt is lost.
After a quiet phase of full sync every replica holds every change and equal records.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Mapping, Sequence
from typing import Any

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from sync import (
    Bundle,
    BundleRejected,
    Change,
    Hello,
    HubInfo,
    InMemoryHub,
    PullPage,
    PushResult,
    Replica,
    apply_receipt,
    export_bundle,
    hub_pull,
    import_bundle,
    materialise,
)

DAY_MS = 86_400_000
NAMES = ["أحمد", "Ahmad", "محمد", "فاطمة الزهراء", None]
KINDS = ["casualty", "supply_need", "missing_person"]


class LostAck(Exception):
    """The hub stored the batch but its answer never came back."""


class FaultyTransport:
    """The in-memory hub behind a network that loses, repeats and reorders."""

    def __init__(self, hub: InMemoryHub, rnd: random.Random, mode: str) -> None:
        self.hub, self.rnd, self.mode = hub, rnd, mode

    def handshake(self, hello: Hello) -> HubInfo:
        return self.hub.handshake(hello)

    def push(self, changes: Sequence[Change]) -> list[PushResult]:
        batch = list(changes)
        if self.mode == "reorder":
            self.rnd.shuffle(batch)
        results = self.hub.push(batch)
        if self.mode == "duplicate":
            results = self.hub.push(batch)
        if self.mode == "lost_ack":
            raise LostAck
        return results

    def pull(self, since: int, limit: int) -> PullPage:
        return self.hub.pull(since, limit)

    def missing(self, have_vector: Mapping[str, int]) -> list[Change]:
        return self.hub.missing(have_vector)


class SyncSimulation(RuleBasedStateMachine):
    """Replicas that edit, lose messages and restore backups must still converge."""

    def __init__(self) -> None:
        super().__init__()
        self.hubs = [InMemoryHub("hub-a"), InMemoryHub("hub-b")]
        # Per hub: how far it pulled each other hub, and what its bundles delivered.
        self.pulled: list[dict[str, int]] = [{}, {}]
        self.bundled: list[dict[str, int]] = [{}, {}]
        self.now = 1_700_000_000_000
        self.ids = 0
        self.origins = 0
        self.replicas: list[Replica] = []
        self.skews: list[int] = []
        self.backups: list[dict[str, Any] | None] = []
        self.rnd = random.Random(0)

    def home(self, i: int) -> InMemoryHub:
        """The hub replica i syncs with."""
        return self.hubs[0 if i < 2 else 1]

    def _new_id(self) -> str:
        self.ids += 1
        return f"op-{self.ids:05d}"

    def _replica(self, i: int, snapshot: dict[str, Any] | None = None) -> Replica:
        self.origins += 1
        origin = f"dev-{self.origins}"

        def clock() -> int:
            return self.now + self.skews[i]

        if snapshot is None:
            return Replica(origin, f"user-{i}", clock=clock, new_id=self._new_id)
        return Replica.restore(snapshot, origin_id=origin, clock=clock, new_id=self._new_id)

    @initialize(
        skews=st.lists(st.sampled_from([0, 0, 3 * DAY_MS, -2 * DAY_MS, 37]), min_size=3, max_size=3)
    )
    def start(self, skews: list[int]) -> None:
        self.skews = skews
        self.replicas = [self._replica(i) for i in range(3)]
        self.backups = [None, None, None]
        # Start from shared records, so that edits soon meet concurrent edits.
        first = self.replicas[0]
        first.write("rec-casualty", "casualty", "create", {"full_name": "أحمد", "sex": "male"})
        first.write(
            "rec-need",
            "supply_need",
            "create",
            {"item_name": "أكياس دم O-", "quantity_needed": "200"},
        )
        first.write("rec-missing", "missing_person", "create", {"full_name": "فاطمة"})
        for i, r in enumerate(self.replicas):
            r.sync(self.home(i), self.home(i).hub_id)
        hub_pull(self.hubs[1], self.hubs[0], self.pulled[1], 100)
        for i, r in enumerate(self.replicas):
            r.sync(self.home(i), self.home(i).hub_id)

    def _pick_record(self, r: Replica, k: int) -> str | None:
        ids = sorted(r.records())
        return ids[k % len(ids)] if ids else None

    @rule(i=st.integers(0, 2), kind=st.sampled_from(KINDS), name=st.sampled_from(NAMES))
    def create(self, i: int, kind: str, name: str | None) -> None:
        r = self.replicas[i]
        patch: dict[str, Any] = (
            {"full_name": name}
            if kind != "supply_need"
            else {"item_name": "blood bags", "quantity_needed": "200"}
        )
        r.write(f"rec-{self._new_id()}", kind, "create", patch)

    @rule(
        i=st.integers(0, 2),
        k=st.integers(0, 50),
        name=st.sampled_from(NAMES),
        field=st.sampled_from(["full_name", "location_detail", "sex"]),
    )
    def edit(self, i: int, k: int, name: str | None, field: str) -> None:
        r = self.replicas[i]
        rid = self._pick_record(r, k)
        if rid is not None:
            r.write(rid, r.records()[rid].kind, "patch", {field: name})

    @rule(
        i=st.integers(0, 2),
        k=st.integers(0, 50),
        delta=st.integers(-3, 100),
        eid=st.sampled_from(["e1", "e2"]),
        remove=st.booleans(),
    )
    def edit_counter_or_collection(
        self, i: int, k: int, delta: int, eid: str, remove: bool
    ) -> None:
        r = self.replicas[i]
        rid = self._pick_record(r, k)
        if rid is None:
            return
        kind = r.records()[rid].kind
        if kind == "supply_need":
            r.write(rid, kind, "patch", {"quantity_delivered": {"delta": delta}})
        else:
            op = {"remove": [eid]} if remove else {"add": [{"eid": eid, "value": "أبو علي"}]}
            r.write(rid, kind, "patch", {"alternate_names": op})

    @rule(i=st.integers(0, 2), k=st.integers(0, 50), undelete=st.booleans())
    def delete(self, i: int, k: int, undelete: bool) -> None:
        r = self.replicas[i]
        rid = self._pick_record(r, k)
        if rid is not None:
            r.write(rid, r.records()[rid].kind, "undelete" if undelete else "delete", {})

    @rule(i=st.integers(0, 2), k=st.integers(0, 50), purge=st.integers(0, 9))
    def merge_or_purge(self, i: int, k: int, purge: int) -> None:
        """A duplicate merged into another record; now and then a legal erasure."""
        r = self.replicas[i]
        rid, other = self._pick_record(r, k), self._pick_record(r, k + 1)
        if rid is None:
            return
        kind = r.records()[rid].kind
        if purge == 0:
            r.write(rid, kind, "purge", {"reason": "court order"})
        elif other is not None and other != rid:
            r.write(rid, kind, "merge_into", {"target": other})

    @rule(i=st.integers(0, 2))
    def resolve(self, i: int) -> None:
        r = self.replicas[i]
        for rid, state in r.records().items():
            if state.purged:
                continue
            if state.conflicts:
                name, cands = next(iter(state.conflicts.items()))
                if not name.startswith("@"):
                    r.resolve(rid, {name: cands[-1].value})
                    return
            if state.delete_conflict:
                r.resolve(rid, {})
                return

    @rule(
        i=st.integers(0, 2),
        mode=st.sampled_from(["ok", "lost_ack", "duplicate", "reorder"]),
        batch=st.integers(1, 4),
    )
    def push(self, i: int, mode: str, batch: int) -> None:
        with contextlib.suppress(LostAck):
            self.replicas[i].push(FaultyTransport(self.home(i), self.rnd, mode), batch_size=batch)

    @rule(i=st.integers(0, 2), page=st.integers(1, 4), crash_after=st.integers(0, 3))
    def pull_crashing_midway(self, i: int, page: int, crash_after: int) -> None:
        """Apply part of a page, then die before the checkpoint is saved."""
        r = self.replicas[i]
        hub = self.home(i)
        got = hub.pull(r.checkpoints.get(hub.hub_id, 0), page)
        r.receive(got.changes[:crash_after])

    @rule(i=st.integers(0, 2), page=st.integers(1, 5))
    def pull(self, i: int, page: int) -> None:
        self.replicas[i].pull(self.home(i), self.home(i).hub_id, page_size=page)

    @rule(i=st.integers(0, 2))
    def backup(self, i: int) -> None:
        self.backups[i] = self.replicas[i].snapshot()

    @precondition(lambda self: any(b is not None for b in self.backups))
    @rule(i=st.integers(0, 2))
    def restore_old_backup(self, i: int) -> None:
        """The device is lost; its backup comes back under a new origin id."""
        snap = self.backups[i]
        if snap is not None:
            self.replicas[i] = self._replica(i, snap)

    @rule()
    def everyone_syncs(self) -> None:
        """A reliable round, so that records are shared and then edited concurrently."""
        for i, r in enumerate(self.replicas):
            r.sync(self.home(i), self.home(i).hub_id)

    @rule(to=st.integers(0, 1), limit=st.integers(1, 3), pages=st.integers(1, 3))
    def hub_pulls_hub(self, to: int, limit: int, pages: int) -> None:
        """One hub pulls a few small pages from the other and stops (link drops)."""
        hub_pull(self.hubs[to], self.hubs[1 - to], self.pulled[to], limit, max_pages=pages)

    @rule(
        to=st.integers(0, 1),
        since=st.sampled_from(["checkpoint", "zero", "stale"]),
        fate=st.sampled_from(["ok", "twice", "receipt_lost", "truncated", "altered"]),
    )
    def usb_bundle(self, to: int, since: str, fate: str) -> None:
        """A courier carries a bundle; repeats and old bundles change nothing."""
        src, dst = self.hubs[1 - to], self.hubs[to]
        checkpoint = self.bundled[1 - to].get(dst.hub_id, 0)
        start = {"checkpoint": checkpoint, "zero": 0, "stale": max(0, checkpoint - 3)}[since]
        bundle = export_bundle(src, start, dst.hub_id)
        if fate in ("truncated", "altered") and bundle.changes:
            broken = (
                Bundle(bundle.manifest, bundle.changes[:-1])
                if fate == "truncated"
                else Bundle(bundle.manifest, tuple(reversed(bundle.changes)) + bundle.changes[:1])
            )
            before = dst.changes()
            try:
                import_bundle(dst, broken)
            except BundleRejected:
                pass
            else:
                raise AssertionError("a damaged bundle was accepted")
            assert dst.changes() == before
            return
        receipt = import_bundle(dst, bundle)
        if fate == "twice":
            again = import_bundle(dst, bundle)
            assert set(again.counts) <= {"duplicate"}
        if fate != "receipt_lost":
            apply_receipt(self.bundled[1 - to], receipt)

    @rule(ms=st.sampled_from([1, 1_000, DAY_MS]))
    def time_passes(self, ms: int) -> None:
        self.now += ms

    @invariant()
    def hub_never_loses_or_parks(self) -> None:
        assert not any(h.parked for h in self.hubs)
        assert all(not r.problems for r in self.replicas)

    def teardown(self) -> None:
        if not self.replicas:
            return
        # The quiet phase: every replica pushes, then every replica pulls, over a
        # reliable network. No repair here: cursors and checkpoints alone must suffice.
        for i, r in enumerate(self.replicas):
            r.push(self.home(i))
        # The hubs exchange what they have, from their checkpoints, in small pages.
        hub_pull(self.hubs[0], self.hubs[1], self.pulled[0], 3)
        hub_pull(self.hubs[1], self.hubs[0], self.pulled[1], 3)
        for i, r in enumerate(self.replicas):
            r.pull(self.home(i), self.home(i).hub_id, page_size=3)
        everything = self.hubs[0].changes()
        assert {c.op_id for c in everything} == {c.op_id for c in self.hubs[1].changes()}
        assert self.hubs[0].records() == self.hubs[1].records()
        expected = materialise(everything)
        for i, r in enumerate(self.replicas):
            assert not r.outbox
            assert r.repair(self.home(i)).repaired == 0
            assert set(r.log) == {c.op_id for c in everything}
            assert r.records() == expected
            assert r.have_vector() == self.home(i).have.vector()
        assert materialise(r.log.values()) == expected
        event(f"changes: {len(everything) // 10 * 10}+")
        event(f"conflicted records: {sum(bool(s.conflicts) for s in expected.values())}")
        event(f"contested deletes: {sum(s.delete_conflict for s in expected.values())}")


TestSyncSimulation = SyncSimulation.TestCase
if settings._current_profile != "soak":  # longer runs than the default find conflicts
    TestSyncSimulation.settings = settings(
        TestSyncSimulation.settings, max_examples=150, stateful_step_count=60
    )
