"""Phones, a hostile network and the real hub (Flask app on SQLite and PostgreSQL), as a
Hypothesis state machine: the strongest proof that sync loses nothing (issue 5).

Four reference-client replicas talk to the real app through `HttpTransport` over Flask's
test client, each registered with `POST /api/v1/devices`: two reporters and a
coordinator of team A, and a coordinator of team B (isolation). They create, patch,
delete and resolve incidents and casualties; the coordinator assigns casualties to
reporters and takes them back (by REST PATCH or as a change). The network loses push
answers, duplicates and reorders batches, and pulls crash after their first page; phones
are restored from old backups under a new origin id (registered as new devices) and
their clocks run days off.

After a quiet phase (every phone syncs until nothing moves, then once more):
1. each phone holds exactly the hub's changes its user may hold (`access.readable_clause`
   over the hub's database), plus at most its own unsent changes;
2. each phone's records are the materialisation of those changes, and the hub's cached
   records are the materialisation of all its changes;
3. no write to a field disappeared unless a write that saw it superseded it (so no two
   concurrent same-field writes collapsed), on the hub's cache and on every phone;
4. the monitor (`/sync/peers`) shows nothing missing for any phone after it reported
   its own seq in a handshake.

`HYPOTHESIS_PROFILE=soak` runs many more and longer examples.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)
from support.api import ApiClient
from support.sync_clients import Phone

from app.extensions import db
from app.models import ChangeRow, ParkedChange, Record, User
from app.security.principal import Principal
from app.services.access import readable_clause
from sync import Change, PullPage, PushResult, RecordState, Replica, materialise

SOAK = os.environ.get("HYPOTHESIS_PROFILE") == "soak"
SIMULATION = settings(
    max_examples=300 if SOAK else 15,
    stateful_step_count=60 if SOAK else 30,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)

DAY_MS = 86_400_000
PASSWORD = "correct horse battery"
NAMES = ["أحمد", "Ahmad", "محمد", "فاطمة الزهراء", None]
DESCRIPTIONS = ["قصف على السوق", "shelling near the bakery", "", "حي الخالدية"]
# Slots: two reporters and the coordinator of team A, the coordinator of team B.
ROLES = [("reporter", "A"), ("reporter", "A"), ("coordinator", "A"), ("coordinator", "B")]
SLOTS = st.integers(0, len(ROLES) - 1)
REPORTERS = (0, 1)


def age(years: int) -> dict[str, Any]:
    """An age and its band, always written together (the REST rules relate them)."""
    band = "child" if years < 18 else "adult" if years < 60 else "elderly"
    return {"age_years": years, "age_group": band}


# Accounts are made once per test; everything sync touches is emptied per example.
KEEP = frozenset({"teams", "users", "memberships", "user_sessions"})


def reset_sync_tables() -> None:
    """Empty every table but the accounts (a fresh database per example is too slow;
    DELETE beats TRUNCATE on tables this small)."""
    db.session.remove()
    for table in reversed(db.metadata.sorted_tables):
        if table.name not in KEEP:
            db.session.execute(table.delete())
    db.session.commit()


@dataclass
class Person:
    """A user of one team, logged in in a browser (their session makes REST calls and
    registers their phones)."""

    role: str
    team: str
    user_id: str
    api: ApiClient


def make_people(app: Any) -> tuple[dict[str, str], list[Person], ApiClient]:
    """Teams A and B, the people of `ROLES`, and an admin who watches the monitor."""
    from app.security.passwords import hash_password
    from app.services import accounts

    def login(name: str, memberships: list[dict[str, str]], admin: bool = False) -> ApiClient:
        user, _ = accounts.create_user(None, name, is_admin=admin, memberships=memberships)
        user.password_hash = hash_password(PASSWORD)
        user.must_change_password = False
        db.session.commit()
        api = ApiClient(app.test_client())
        r = api.login(name, PASSWORD)
        assert r.status_code == 200, r.get_json()
        return api

    teams = {name: accounts.create_team(None, f"team {name}").id for name in ("A", "B")}
    people = []
    for i, (role, team) in enumerate(ROLES):
        api = login(f"{role}{i}", [{"team_id": teams[team], "role": role}])
        people.append(Person(role, teams[team], api.user["id"], api))  # type: ignore[index]
    return teams, people, login("admin", [], admin=True)


class ShuffledTwice:
    """A transport whose pushes reach the hub as the batch sent twice, shuffled."""

    def __init__(self, phone: Phone, rnd: random.Random) -> None:
        self.phone, self.rnd = phone, rnd

    def push(self, changes: Sequence[Change]) -> list[PushResult]:
        batch = [*changes, *changes]
        self.rnd.shuffle(batch)
        return self.phone.transport.push(batch)


@dataclass
class Slot:
    """One person's current phone (earlier phones of the slot were lost)."""

    role: str
    team: str
    user_id: str
    api: ApiClient
    phone: Phone
    skew: int = 0
    backup: dict[str, Any] | None = None

    @property
    def replica(self) -> Replica:
        return self.phone.replica


class HubSimulation(RuleBasedStateMachine):
    """Phones that edit offline, lose messages and come back from backups must end up
    holding exactly what they may hold, equal to the hub, with no write collapsed."""

    def __init__(
        self, app: Any, teams: dict[str, str], people: list[Person], admin: ApiClient
    ) -> None:
        super().__init__()
        self.app = app
        reset_sync_tables()
        self.now = 1_800_000_000_000
        self.counter = 0
        self.teams = teams
        self.people = people
        self.admin = admin
        self.slots: list[Slot] = []
        self.lost: list[Phone] = []
        self.creator: dict[str, str] = {}

    # -- set-up ---------------------------------------------------------------------------

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    def _new_id(self) -> str:
        return f"op-{self._next():05d}"

    def _record_id(self) -> str:
        return str(uuid.UUID(int=self._next()))

    def _clock(self, i: int) -> Callable[[], int]:
        return lambda: self.now + self.slots[i].skew

    def _phone(self, i: int, api: ApiClient, replica: Replica | None = None) -> Phone:
        return Phone(
            api,
            self.app.test_client(),
            f"phone-{i}",
            replica=replica,
            origin_id=f"dev-{self._next()}",
            clock=self._clock(i),
            new_id=self._new_id,
        )

    @initialize(
        skews=st.lists(st.sampled_from([0, 0, 3 * DAY_MS, -2 * DAY_MS]), min_size=4, max_size=4)
    )
    def start(self, skews: list[int]) -> None:
        for i, p in enumerate(self.people):
            slot = Slot(p.role, p.team, p.user_id, p.api, None, skews[i])  # type: ignore[arg-type]
            self.slots.append(slot)
            slot.phone = self._phone(i, p.api)
        # Shared records from the start, so that edits soon meet concurrent edits.
        self.create(2, "casualty", "أحمد", 1)
        self.create(0, "incident", None, 2)
        self.create(3, "incident", None, 3)
        for s in self.slots:
            s.phone.sync()
        for s in self.slots:
            s.backup = s.replica.snapshot()

    # -- what a person may write (the app's screens offer nothing else) -----------------

    def _writable(self, s: Slot) -> list[str]:
        out = []
        for rid, state in s.replica.records().items():
            if state.purged or not state.kind:
                continue
            if s.role == "coordinator" or state.kind == "incident":
                out.append(rid)
            elif self.creator.get(rid) == s.user_id:
                out.append(rid)  # a reporter's own casualty; assigned ones are read-only here
        return out

    def _pick(self, ids: Sequence[str], k: int) -> str | None:
        return ids[k % len(ids)] if ids else None

    # -- writes ---------------------------------------------------------------------------

    @rule(
        i=SLOTS,
        kind=st.sampled_from(["incident", "casualty"]),
        name=st.sampled_from(NAMES),
        n=st.integers(0, 5),
    )
    def create(self, i: int, kind: str, name: str | None, n: int) -> None:
        s = self.slots[i]
        rid = self._record_id()
        patch: dict[str, Any] = {"team_id": s.team}
        if kind == "incident":
            patch.update(event_type="shelling_artillery_missile", killed_max=n)
        else:
            patch.update(
                outcome="killed",
                sex="male",
                civilian_status="civilian",
                cause="air_strike",
                full_name=name,
                **age(n * 20),
            )
        s.replica.write(rid, kind, "create", patch)
        self.creator[rid] = s.user_id

    @rule(
        i=SLOTS,
        k=st.integers(0, 50),
        which=st.booleans(),
        name=st.sampled_from(NAMES),
        n=st.integers(0, 5),
    )
    def edit(self, i: int, k: int, which: bool, name: str | None, n: int) -> None:
        s = self.slots[i]
        rid = self._pick(self._writable(s), k)
        if rid is None:
            return
        kind = s.replica.records()[rid].kind
        if kind == "incident":
            patch = {"killed_max": n} if which else {"description": DESCRIPTIONS[n % 4]}
        else:
            patch = {"full_name": name} if which else age(n * 20)
        s.replica.write(rid, kind, "patch", patch)

    @rule(i=SLOTS, k=st.integers(0, 2), which=st.booleans(), n=st.integers(0, 5))
    def edit_shared(self, i: int, k: int, which: bool, n: int) -> None:
        """An edit of one of the records every phone got at the start (the oldest ids
        sort first), so that concurrent same-field edits are common."""
        self.edit(i, k, which, NAMES[n % len(NAMES)], n)

    @rule(i=SLOTS, k=st.integers(0, 50), undelete=st.booleans())
    def delete(self, i: int, k: int, undelete: bool) -> None:
        s = self.slots[i]
        ids = self._writable(s)
        if s.role == "reporter":
            undelete = False  # coordinators only
            ids = [r for r in ids if self.creator.get(r) == s.user_id]  # and own records
        rid = self._pick(ids, k)
        if rid is not None:
            kind = s.replica.records()[rid].kind
            s.replica.write(rid, kind, "undelete" if undelete else "delete", {})

    @rule(i=st.sampled_from([2, 3]), j=st.integers(0, 3))
    def resolve(self, i: int, j: int) -> None:
        """A coordinator picks one candidate of a conflict (or settles a contested
        delete) on their phone."""
        r = self.slots[i].replica
        for rid, state in r.records().items():
            fields = [f for f in state.conflicts if not f.startswith("@")]
            if fields:
                chosen = state.conflicts[fields[0]][j % len(state.conflicts[fields[0]])]
                choices = {fields[0]: chosen.value}
                if fields[0] in ("age_years", "age_group"):
                    patch = r.log[chosen.op_id].patch
                    choices = {f: patch[f] for f in ("age_years", "age_group") if f in patch}
                r.resolve(rid, choices)
                return
            if state.delete_conflict:
                r.resolve(rid, {})
                return

    def _casualties_on_hub(self) -> list[str]:
        ids = db.session.scalars(
            sa.select(Record.id)
            .where(Record.team_id == self.teams["A"], Record.kind == "casualty")
            .order_by(Record.id)
        ).all()
        db.session.rollback()
        return list(ids)

    @rule(k=st.integers(0, 50), who=st.sampled_from(REPORTERS), unassign=st.booleans())
    def assign_by_rest(self, k: int, who: int, unassign: bool) -> None:
        """The coordinator assigns a casualty to a reporter (or takes it back) in the
        browser: a REST PATCH, stored as a change of the hub's own origin."""
        rid = self._pick(self._casualties_on_hub(), k)
        if rid is None:
            return
        value = None if unassign else self.slots[who].user_id
        r = self.slots[2].api.patch(f"/api/v1/records/{rid}", json={"assigned_to": value})
        body = r.get_json()
        assert r.status_code in (200, 409), body
        if r.status_code == 409:
            assert body["error"]["code"] == "conflict_open", body
        event(f"REST assignment: {r.status_code}")

    @rule(k=st.integers(0, 50), who=st.sampled_from(REPORTERS), unassign=st.booleans())
    def assign_on_phone(self, k: int, who: int, unassign: bool) -> None:
        """The same, written offline on the coordinator's phone."""
        r = self.slots[2].replica
        ids = [rid for rid, s in r.records().items() if s.kind == "casualty"]
        rid = self._pick(ids, k)
        if rid is not None:
            value = None if unassign else self.slots[who].user_id
            r.write(rid, "casualty", "patch", {"assigned_to": value})

    # -- a hostile network ----------------------------------------------------------------

    @rule(i=SLOTS, batch=st.integers(1, 4))
    def push(self, i: int, batch: int) -> None:
        self.slots[i].replica.push(self.slots[i].phone.transport, batch_size=batch)

    @rule(i=SLOTS, n=st.integers(1, 6))
    def push_answer_lost(self, i: int, n: int) -> None:
        """The batch reaches the hub, the answer never reaches the phone: its outbox
        stays as it was and it sends everything again later."""
        s = self.slots[i]
        batch = [s.replica.log[op] for op in s.replica.outbox[:n]]
        if batch:
            s.phone.transport.push(batch)

    @rule(i=SLOTS, seed=st.integers(0, 2**16))
    def push_duplicated_and_reordered(self, i: int, seed: int) -> None:
        s = self.slots[i]
        s.replica.push(ShuffledTwice(s.phone, random.Random(seed)))  # type: ignore[arg-type]

    @rule(i=SLOTS, crash_after=st.integers(0, 2))
    def pull_crashing_midway(self, i: int, crash_after: int) -> None:
        """A page of 2 arrives; part of it is applied, then the phone dies before the
        checkpoint is saved."""
        s = self.slots[i]
        page: PullPage = s.phone.transport.pull(s.replica.checkpoints.get("hub", 0), 2)
        s.replica.receive(page.changes[:crash_after])

    @rule(i=SLOTS, page=st.integers(1, 3))
    def pull(self, i: int, page: int) -> None:
        self.slots[i].replica.pull(self.slots[i].phone.transport, "hub", page_size=page)

    @rule(i=SLOTS)
    def sync(self, i: int) -> None:
        self.slots[i].phone.sync()

    @rule()
    def everyone_syncs(self) -> None:
        for s in self.slots:
            s.phone.sync()

    # -- devices lost, restored, and wrong clocks -------------------------------------------

    @rule(i=SLOTS)
    def backup(self, i: int) -> None:
        self.slots[i].backup = self.slots[i].replica.snapshot()

    @precondition(lambda self: any(s.backup is not None for s in self.slots))
    @rule(i=SLOTS, revoke=st.booleans())
    def restore_old_backup(self, i: int, revoke: bool) -> None:
        """The phone is lost; its old backup comes back on a new install, under a new
        origin id, registered as a new device (the lost one is revoked, or not)."""
        s = self.slots[i]
        if s.backup is None:
            return
        replica = Replica.restore(
            s.backup, origin_id=f"dev-{self._next()}", clock=self._clock(i), new_id=self._new_id
        )
        old = s.phone
        s.phone = self._phone(i, s.api, replica)
        self.lost.append(old)
        if revoke:
            assert s.api.post(f"/api/v1/devices/{old.device['id']}/revoke").status_code == 200

    @rule(i=SLOTS, skew=st.sampled_from([0, 3 * DAY_MS, -2 * DAY_MS, 9 * DAY_MS]))
    def clock_off_by_days(self, i: int, skew: int) -> None:
        self.slots[i].skew = skew

    @rule(ms=st.sampled_from([1, 1_000, DAY_MS]))
    def time_passes(self, ms: int) -> None:
        self.now += ms

    # -- the quiet phase and the invariants ---------------------------------------------

    def teardown(self) -> None:
        if not self.slots:
            return
        self.quiet_phase()
        self.check()

    def quiet_phase(self) -> None:
        """Every phone syncs until nothing moves; then once more, and nothing moves."""
        for _ in range(10):
            moved = False
            for s in self.slots:
                report = s.phone.sync(page_size=50)
                moved |= bool(report.pushed or report.pulled or report.repaired)
            if not moved:
                break
        else:
            raise AssertionError("sync did not settle in 10 rounds")
        for s in self.slots:
            report = s.phone.sync(page_size=50)
            assert (report.pushed, report.pulled, report.repaired) == (0, 0, 0), report

    def check(self) -> None:
        hub = self._hub()
        everything = list(hub["changes"].values())
        expected = materialise(everything)

        # No change was parked (the phones only write what their users may write).
        assert hub["parked"] == [], hub["parked"]

        # (2) The hub's cached records are the materialisation of all its changes.
        cached = hub["records"]
        assert set(cached) == set(expected)
        for rid, state in cached.items():
            assert view(state) == view(expected[rid]), rid

        # (3) on the hub's cache (the incremental path that served REST and pulls).
        no_write_collapsed(everything, cached)

        for i, s in enumerate(self.slots):
            allowed = hub["readable"][s.user_id]
            log, unsent = set(s.replica.log), set(s.replica.outbox)
            # (1) Everything it may hold, nothing else but its own unsent changes.
            assert not unsent, f"slot {i}: still unsent after the quiet phase: {unsent}"
            assert allowed <= log, f"slot {i} lacks {sorted(allowed - log)}"
            assert log - allowed <= unsent, f"slot {i} holds {sorted(log - allowed - unsent)}"
            # (2) Its records are those changes, materialised.
            mine = materialise(hub["changes"][op] for op in allowed)
            held = s.replica.records()
            assert set(held) == set(mine), f"slot {i}"
            for rid, state in held.items():
                assert view(state) == view(mine[rid]), (i, rid)
            # (3) on the phone.
            no_write_collapsed([hub["changes"][op] for op in allowed], held)
            # Its have-vector counts exactly what it holds.
            assert s.replica.have_vector() == have_vector(hub["changes"][op] for op in allowed)

        # (4) The monitor: after each phone reports its own seq, nothing is missing.
        for s in self.slots:
            s.phone.report()
        peers = self.admin.get("/api/v1/sync/peers").get_json()["devices"]
        by_origin = {p["origin_id"]: p for p in peers}
        for s in self.slots:
            entry = by_origin[s.replica.origin_id]
            assert entry["reported_seq"] == s.phone.own_seq, entry
            assert entry["missing"] == 0 and entry["hub_holds_seq"] == s.phone.own_seq, entry

        assigned = sum(
            1
            for s in self.slots
            if s.role == "reporter"
            for rid in s.replica.records()
            if self.creator.get(rid) != s.user_id
            and rid in cached
            and cached[rid].kind == "casualty"
        )
        event(f"casualties held by assignment: {min(assigned, 3)}")
        event(f"hub changes: {len(everything) // 10 * 10}+")
        event(f"conflicted records: {sum(bool(st.conflicts) for st in expected.values())}")
        event(f"contested deletes: {sum(st.delete_conflict for st in expected.values())}")
        event(f"phones restored: {len(self.lost)}")

    def _hub(self) -> dict[str, Any]:
        """The hub's changes, cached records, parked changes and, per user, the op ids of
        the changes that user may hold — read from its database."""
        try:
            rows = db.session.execute(
                sa.select(ChangeRow.op_id, ChangeRow.body).order_by(ChangeRow.hub_seq)
            ).all()
            changes = {op: Change.from_dict(json.loads(body)) for op, body in rows}
            records = {
                rid: RecordState.from_dict(state)
                for rid, state in db.session.execute(sa.select(Record.id, Record.state)).all()
                if state
            }
            parked = [
                (p.op_id, p.reason) for p in db.session.scalars(sa.select(ParkedChange)).all()
            ]
            readable: dict[str, set[str]] = {}
            for s in self.slots:
                principal = Principal(user=db.session.get(User, s.user_id), via="token")
                readable[s.user_id] = set(
                    db.session.scalars(
                        sa.select(ChangeRow.op_id)
                        .join(Record, Record.id == ChangeRow.record_id)
                        .where(readable_clause(principal))
                    )
                )
            return {"changes": changes, "records": records, "parked": parked, "readable": readable}
        finally:
            db.session.rollback()


def view(state: RecordState) -> dict[str, Any]:
    """What the invariants compare: values, every candidate, the delete flags."""
    d = state.public_dict()
    return {
        k: d[k]
        for k in (
            "kind",
            "values",
            "conflicts",
            "deleted",
            "delete_conflict",
            "needs_review",
            "heads",
            "op_count",
        )
    }


def have_vector(changes: Iterable[Change]) -> dict[str, int]:
    from sync import HaveVector

    hv = HaveVector()
    for c in changes:
        hv.add(c.origin_id, c.origin_seq)
    return hv.vector()


def _targets(change: Change) -> list[str]:
    if change.action in ("create", "patch", "resolve"):
        return list(change.patch)
    if change.action in ("delete", "undelete"):
        return ["@deleted"]
    return []


def no_write_collapsed(changes: Sequence[Change], states: dict[str, RecordState]) -> None:
    """Every write to a field is still a candidate, or a later write to that field that
    had it in its causal past superseded it. So of two concurrent writes to a field,
    neither vanished: both are candidates (a conflict when their values differ) or each
    was superseded by a change that saw it (a resolve, or an edit made after seeing it)."""
    by_record: dict[str, list[Change]] = {}
    for c in changes:
        by_record.setdefault(c.record_id, []).append(c)
    for rid, mine in by_record.items():
        deps = {c.op_id: c.deps for c in mine}
        past: dict[str, set[str]] = {}

        def ancestors(
            op: str, deps: dict[str, Any] = deps, past: dict[str, set[str]] = past
        ) -> set[str]:
            if op not in past:
                out: set[str] = set()
                stack = list(deps.get(op, ()))
                while stack:
                    d = stack.pop()
                    if d not in out:
                        out.add(d)
                        stack.extend(deps.get(d, ()))
                past[op] = out
            return past[op]

        state = states[rid]
        for c in mine:
            for target in _targets(c):
                live = {cand.op_id for cand in state.writes.get(target, [])}
                if c.op_id in live:
                    continue
                saw = [
                    o.op_id for o in mine if target in _targets(o) and c.op_id in ancestors(o.op_id)
                ]
                assert saw, f"{rid}: the write of {target} by {c.op_id} vanished unseen"
            # Candidates with different values are shown as a conflict, all of them.
        for target, cands in state.writes.items():
            values = {repr(c.value) for c in cands}
            if len(values) > 1 and not target.startswith("@"):
                assert {c.op_id for c in state.conflicts.get(target, [])} == {
                    c.op_id for c in cands
                }, (rid, target)


def test_phones_and_hub_converge_and_hold_what_they_may(app: Any) -> None:
    """The state machine above, on SQLite and on PostgreSQL."""
    teams, people, admin = make_people(app)
    run_state_machine_as_test(lambda: HubSimulation(app, teams, people, admin), settings=SIMULATION)
