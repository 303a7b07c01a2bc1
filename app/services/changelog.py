"""The adapter between the pure sync core and the database.

Every change that enters this hub — from the REST API, a device, a peer or a bundle —
goes through `write()`: one write transaction that locks the touched record rows in
sorted order, applies the changes with `sync.apply_change`, hands out `hub_seq` numbers
from a counter row updated last (so sequence order is commit order, and a puller that
sees counter N has everything up to N), stores the changes and the new record states,
and commits. A change already held is a `duplicate`; the same op id with other content is
an `id_collision`; neither alters anything.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.util import identity_key

from app import faults, jsonfast
from app.database import begin_write
from app.db_types import utcnow
from app.extensions import db
from app.models import ChangeRow, HubCounter, HubIdentity, Record
from app.services import bulk_sql, incident_links
from app.services.record_columns import (
    place_paths,
    record_columns,
    replace_name_tokens,
    write_name_tokens,
)
from sync import Change, RecordState, apply_change, blank_for_purge, tick

ACCESS_FIELDS = frozenset({"assigned_to", "sensitivity"})
HUB_SEQ = "hub_seq"
ORIGIN_SEQ = "origin_seq"
# SQLite limits bound parameters per statement; IN lists are cut to this size.
CHUNK = 500
# Core tables: the hot path inserts and updates rows in bulk without the ORM's unit of work.
_RECORDS: sa.Table = Record.__table__
_CHANGES: sa.Table = ChangeRow.__table__
# Where `write()` keeps the rows it locked while its builder runs (see `locked_rows`).
_LOCKED = "tawthiq_locked_rows"


@dataclass(frozen=True)
class Outcome:
    """What happened to one change: accepted, duplicate or id_collision (parking is the
    caller's: a change that is not allowed never reaches `write`)."""

    op_id: str
    status: str
    hub_seq: int | None = None
    reason: str | None = None


Builder = Callable[[dict[str, RecordState | None]], Sequence[Change]]
TeamOf = Callable[[Change, RecordState | None], str]


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _insert_ignore(table: sa.Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    db.session.execute(stmt.on_conflict_do_nothing(), rows)


def _lock_records(record_ids: list[str]) -> dict[str, Any]:
    """Lock the record rows, always in sorted id order; return the rows that exist.

    On PostgreSQL a placeholder row is made first for a record this hub has never seen,
    so two pushes creating the same record serialise on its row lock instead of racing
    to insert it. On SQLite `BEGIN IMMEDIATE` already made this the only writer: no
    placeholder is needed, and a new record is inserted whole when it is stored (one
    index update instead of a placeholder insert and an update of every index).

    The rows are Core rows (attribute access like the model: `row.state`,
    `row.team_id`...), not ORM objects: loading 500 ORM objects per batch was a tenth of
    a push's time.
    """
    postgres = db.session.get_bind().dialect.name == "postgresql"
    if postgres:
        now = utcnow()
        _insert_ignore(
            _RECORDS,
            [
                {
                    "id": rid,
                    "kind": "",
                    "team_id": "",
                    "state": {},
                    "visible": False,
                    "sensitivity": "restricted",
                    "created_at": now,
                    "updated_at": now,
                    "updated_seq": 0,
                    "etag": "",
                    "deleted": False,
                    "has_conflicts": False,
                    "needs_review": False,
                    "created_by": "",
                }
                for rid in record_ids
            ],
        )
    rows: dict[str, Any] = {}
    for part in _chunks(record_ids):
        stmt = sa.select(_RECORDS).where(_RECORDS.c.id.in_(part)).order_by(_RECORDS.c.id)
        if postgres:
            stmt = stmt.with_for_update()
        for row in db.session.execute(stmt):
            rows[row.id] = row
    return rows


def locked_rows() -> dict[str, Any]:
    """The record rows the running `write()` locked, by id (for its builder: a record
    this hub does not hold yet has no row, or on PostgreSQL a placeholder whose `state`
    is empty)."""
    return dict(db.session.info.get(_LOCKED, {}))


def _next(counter: str, n: int) -> int:
    """Advance a counter by n and return its new value (the top of the range handed out)."""
    stmt = (
        sa.update(HubCounter)
        .where(HubCounter.name == counter)
        .values(value=HubCounter.value + n)
        .returning(HubCounter.value)
    )
    value = db.session.execute(stmt).scalar()
    if value is None:  # the counter's first use: make its row (once per database)
        _insert_ignore(HubCounter.__table__, [{"name": counter, "value": 0}])
        value = db.session.execute(stmt).scalar_one()
    return int(value)


def current_seq() -> int:
    """The committed top of `hub_seq`: the safe watermark for pullers."""
    value = db.session.scalar(sa.select(HubCounter.value).where(HubCounter.name == HUB_SEQ))
    return int(value or 0)


def hub_identity() -> HubIdentity:
    """This hub's identity row, made on first use."""
    import uuid

    _insert_ignore(
        HubIdentity.__table__, [{"id": 1, "origin_id": f"hub-{uuid.uuid4()}", "last_hlc": ""}]
    )
    return db.session.get(HubIdentity, 1)  # type: ignore[return-value]


class LocalClock:
    """Hands out this hub's origin_seq numbers and clock readings inside a write.

    Used only from a `write()` builder, after the record rows are locked, so the lock
    order (records, identity, counters) is the same for every writer.
    """

    def __init__(self) -> None:
        stmt = sa.select(HubIdentity).where(HubIdentity.id == 1)
        if db.session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        identity = db.session.scalars(stmt).one_or_none()
        if identity is None:  # first local change of this hub: make its identity
            hub_identity()
            identity = db.session.scalars(stmt).one()
        self.identity = identity

    @property
    def origin_id(self) -> str:
        return self.identity.origin_id

    def next(self) -> tuple[int, str, int]:
        """(origin_seq, hlc, device_time) for one new local change."""
        now_ms = int(utcnow().timestamp() * 1000)
        hlc = tick(self.identity.last_hlc or None, now_ms, self.identity.origin_id)
        self.identity.last_hlc = hlc
        return _next(ORIGIN_SEQ, 1), hlc, now_ms


def etag_of(state: RecordState) -> str:
    """An entity tag for a record: changes when any change is added to it."""
    return hashlib.sha256("\n".join(sorted(state.ops)).encode()).hexdigest()[:32]


def load_state(row: Any) -> RecordState | None:
    """The sync core's state of a cached record (None for a placeholder)."""
    if row is None or not row.state:
        return None
    return RecordState.from_dict(row.state)


def _purge_op(state: RecordState) -> str | None:
    for op_id, info in state.ops.items():
        if info.action == "purge":
            return op_id
    return None


def write(
    record_ids: Iterable[str],
    build: Builder,
    *,
    via: str,
    team_of: TeamOf,
    commit: bool = True,
    applied: dict[str, RecordState | None] | None = None,
    links: Iterable[Any] = (),
) -> list[Outcome]:
    """Apply the changes `build` makes from the locked states, in one write transaction.

    `build` receives the current states of the locked records (None for unknown ones)
    and returns the changes to store. Changes already held come back as duplicates (or
    id collisions) and alter nothing. A builder that applies its changes itself (the
    push checker must, to judge each change against the state before it) fills
    `applied` with each record's state after the changes it returns that this hub does
    not hold yet, in order; those states are stored instead of applying every change a
    second time.

    `links`: the incident ids the changes may name (`incident_id` of their patches),
    when the caller knows them before the build; a link not among them is locked later
    (see `incident_links.lock_links`). A hint only: the copies are right either way.
    """
    begin_write()
    ids = sorted(set(record_ids))
    # Before any row lock: the advisory locks of the incidents this write involves.
    link_locks = incident_links.lock_links(ids, links)
    rows = _lock_records(ids)
    states = {rid: load_state(rows.get(rid)) for rid in ids}
    db.session.info[_LOCKED] = rows
    try:
        changes = list(build(dict(states)))
    finally:
        db.session.info.pop(_LOCKED, None)

    held: dict[str, str] = {}
    op_ids = [c.op_id for c in changes]
    for part in _chunks(op_ids):
        held.update(
            db.session.execute(
                sa.select(_CHANGES.c.op_id, _CHANGES.c.content_hash).where(
                    _CHANGES.c.op_id.in_(part)
                )
            ).all()
        )
    outcomes: list[Outcome] = []
    fresh: list[Change] = []
    seen: dict[str, str] = {}
    for change in changes:
        prior = held.get(change.op_id) or seen.get(change.op_id)
        if prior is not None:
            status = "duplicate" if prior == change.content_hash else "id_collision"
            reason = None if status == "duplicate" else "this op_id is held with other content"
            outcomes.append(Outcome(change.op_id, status, reason=reason))
            continue
        seen[change.op_id] = change.content_hash
        fresh.append(change)
        outcomes.append(Outcome(change.op_id, "accepted"))

    if fresh:
        touched: dict[str, RecordState] = {}
        teams: dict[str, str] = {}
        for change in fresh:
            before = touched.get(change.record_id) or states.get(change.record_id)
            if change.record_id not in teams:
                existing = rows.get(change.record_id)
                teams[change.record_id] = (
                    existing.team_id if existing is not None and existing.state else ""
                ) or team_of(change, before)
            touched[change.record_id] = (
                apply_change(before, change) if applied is None else _after(applied, change)
            )

        # The links only now known (the casualties' links before and after these
        # changes) are locked before any copy is read (store_records).
        link_locks.cover(
            [
                *(getattr(rows.get(rid), "incident_id", None) for rid in touched),
                *(state.values.get("incident_id") for state in touched.values()),
            ]
        )
        top = _next(HUB_SEQ, len(fresh))
        first = top - len(fresh) + 1
        now = utcnow()
        change_rows = []
        seq_of: dict[str, int] = {}
        for offset, change in enumerate(fresh):
            faults.point("push.change", offset + 1)
            seq = first + offset
            seq_of[change.op_id] = seq
            state = touched[change.record_id]
            stored = change
            purge_op = _purge_op(state) if state.purged else None
            if purge_op and change.action != "purge" and change.purged_by is None:
                stored = blank_for_purge(change, purge_op)
            change_rows.append(
                {
                    "hub_seq": seq,
                    "op_id": change.op_id,
                    "content_hash": change.content_hash,
                    "record_id": change.record_id,
                    "kind": change.kind,
                    "team_id": teams[change.record_id],
                    "origin_id": change.origin_id,
                    "origin_seq": change.origin_seq,
                    "action": change.action,
                    "author": change.author,
                    "hlc": change.hlc,
                    "body": jsonfast.dumps(stored.to_dict()),
                    "purged_by": stored.purged_by,
                    "touches_access": change.action in ("create", "patch", "resolve")
                    and not ACCESS_FIELDS.isdisjoint(change.patch),
                    "received_at": now,
                    "via": via,
                }
            )
        bulk_sql.insert_many(_CHANGES, change_rows)
        outcomes = [
            Outcome(o.op_id, o.status, seq_of.get(o.op_id), o.reason)
            if o.status == "accepted"
            else o
            for o in outcomes
        ]
        store_records(rows, touched, teams, seq_of, now, fresh)
        for rid, state in touched.items():
            if state.purged and any(c.action == "purge" for c in fresh if c.record_id == rid):
                _blank_history(rid, _purge_op(state) or "")
    if commit:
        db.session.commit()
    return outcomes


def _after(applied: dict[str, RecordState | None], change: Change) -> RecordState:
    state = applied.get(change.record_id)
    if state is None or change.op_id not in state.ops:
        raise AssertionError(f"the builder did not apply {change.op_id}")
    return state


def store_records(
    rows: dict[str, Any],
    touched: dict[str, RecordState],
    teams: dict[str, str],
    seq_of: dict[str, int],
    now: Any,
    fresh: list[Change],
) -> None:
    """Write materialised states, typed columns and name tokens of many locked records
    with bulk statements: one executemany insert (records without a row) and update
    (placeholders and known records), one place lookup, one name-token delete and insert."""
    creator: dict[str, str] = {}
    first_author: dict[str, str] = {}
    origin: dict[str, str] = {}
    for c in fresh:
        first_author.setdefault(c.record_id, c.author)
        if c.action == "create":
            creator.setdefault(c.record_id, c.author)
            origin.setdefault(c.record_id, c.origin_id)
    paths = place_paths(touched.values())
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for rid, state in touched.items():
        row = rows.get(rid)
        values = {
            "state": state.to_dict(),
            "kind": state.kind,
            "team_id": teams[rid],
            "updated_seq": max(seq_of[op] for op in state.ops if op in seq_of),
            "updated_at": now,
            "etag": etag_of(state),
            **record_columns(state, paths),
        }
        if row is None or not row.state:
            values["created_at"] = now
            values["created_by"] = creator.get(rid) or first_author.get(rid, "")
            values["created_origin"] = origin.get(rid, "")
        if row is None:
            values["id"] = rid
            inserts.append(values)
        else:
            values["id"] = rid
            updates.append(values)
    # A casualty's copy of its incident's event columns is written with its row (every
    # row takes the columns, None for other kinds: one column set per statement).
    written = {v["id"]: v for v in (*inserts, *updates)}
    for v in written.values():
        v.update(dict.fromkeys(incident_links.EVENT_COLUMNS))
    incident_links.fill_casualties(written)
    bulk_sql.insert_many(_RECORDS, inserts)
    # Placeholders and known records take different column sets: one statement each.
    bulk_sql.update_many(_RECORDS, "id", [v for v in updates if "created_at" in v])
    bulk_sql.update_many(_RECORDS, "id", [v for v in updates if "created_at" not in v])
    # Then the rows this write did not touch: casualties of a changed incident, the sums
    # of the incidents a casualty joined or left.
    incident_links.after_store(rows, written)
    _expire_cached(touched)
    replace_name_tokens(touched)


def _expire_cached(record_ids: Iterable[str]) -> None:
    """Expire ORM copies of these records that the session holds (a REST write loaded
    one before its change): they are stale after the Core writes above."""
    session = db.session()
    for rid in record_ids:
        obj = session.identity_map.get(identity_key(Record, rid))
        if obj is not None:
            session.expire(obj)


def store_record(
    row: Record,
    state: RecordState,
    team_id: str,
    last_seq: int,
    now: Any,
    was_new: bool,
    fresh: list[Change],
) -> None:
    """Write a materialised state, its typed columns and name tokens into a records row."""
    row.state = state.to_dict()
    row.kind = state.kind
    row.team_id = team_id
    row.updated_seq = last_seq
    row.updated_at = now
    row.etag = etag_of(state)
    if was_new:
        row.created_at = now
        creates = [c for c in fresh if c.record_id == row.id and c.action == "create"]
        row.created_by = (
            creates[0].author
            if creates
            else next((c.author for c in fresh if c.record_id == row.id), "")
        )
        row.created_origin = creates[0].origin_id if creates else ""
    for key, value in record_columns(state).items():
        setattr(row, key, value)
    write_name_tokens(row.id, state)


def _blank_history(record_id: str, purge_op: str) -> None:
    """Blank the stored payload of every earlier change of a purged record."""
    rows = db.session.execute(
        sa.select(ChangeRow.hub_seq, ChangeRow.body).where(
            ChangeRow.record_id == record_id,
            ChangeRow.purged_by.is_(None),
            ChangeRow.action != "purge",
        )
    ).all()
    for seq, body in rows:
        blanked = blank_for_purge(Change.from_dict(jsonfast.loads(body)), purge_op)
        db.session.execute(
            sa.update(ChangeRow)
            .where(ChangeRow.hub_seq == seq)
            .values(
                body=jsonfast.dumps(blanked.to_dict()),
                purged_by=purge_op,
            )
        )
