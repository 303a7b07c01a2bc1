"""The copies the casualty charts read instead of joining a casualty to its incident.

A casualty is counted under its incident's date, place and verification status while it
is linked to a counting incident of its team (docs/counting.md); an incident counts as
max(its minimum, the people of its linked casualty records). So the records cache keeps:

- on every casualty row, `event_start`, `event_end`, `event_place_path` and
  `event_verification_status`: its incident's values while the link counts (the incident
  exists here, is an incident of the same team, visible and not discounted), else its own;
- on every incident row, `linked_killed` and `linked_injured`: the people (`count`, 1 when
  missing) of the visible, not discounted casualty records of its team that name it.

The change path (`changelog.store_records`) keeps them in the same transaction as the
change: a casualty's copies are computed before its row is written; after the write,
the casualties of every written incident (edited, deleted, restored, or new here: its
casualties may have arrived first) get fresh copies, and every written incident and
every incident a casualty left or joined gets fresh sums. Rows are rewritten only where
a value changed; the reads go by primary key or incident id. `refresh_all` recomputes every
row in SQL, for a rebuilt cache and the benchmark's bulk load.

Concurrent writes (PostgreSQL; SQLite has one writer). Every write holds, until it
commits, a transaction-level advisory lock on each incident it involves (`lock_links`):
the id of every record it writes (any of them may be an incident) and each incident a
written casualty names, before and after the write. So two writes involving one
incident take turns from before either reads a copy's source until the first commits,
and the second reads what the first committed (READ COMMITTED reads each statement from
the latest commits): an incident and a casualty naming it pushed at the same instant, in
either order, end with the casualty's copies and the incident's sums as a rebuild would
make them. Nothing is repaired after the commit, so a crash leaves nothing half done.
(The hub_seq counter row, which every write locks before it stores, also orders the
store phases today; the copies do not rely on it.)

The locks are taken before the write's record row locks, in sorted key order, so the
copy updates never wait for a write that waits for them: a row this write updates
outside its batch (a casualty of its incident, an incident of its casualty) is locked by
another write only if that write holds one of this write's advisory locks, so it has
committed or not begun. The incident a casualty will name is known before the build only
from the caller (`links`: the `incident_id` of a push's patches, of a REST body);
one found after it (a casualty relinked by a concurrent write between the unlocked
read of its link and its row lock) is locked then, still before any copy is read: the
copies stay right, and only such a late lock can still meet a deadlock (PostgreSQL aborts
one write; a push is then written again by `sync_push.push`). A write involving more
than `MAX_LINK_LOCKS` ids takes instead the one lock every other write holds shared, so
it never fills the lock table.

This module never decides what a chart shows; it only keeps the copies equal to their
sources (tests/app/test_dashboard_counts.py recounts from the raw changes).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.models import Record
from app.services import bulk_sql
from app.vocabularies import KILLED_OUTCOMES

_RECORDS: sa.Table = Record.__table__
# Event column of a casualty -> the column of the record it is copied from.
EVENT_COLUMNS = {
    "event_start": "occurred_start",
    "event_end": "occurred_end",
    "event_place_path": "place_path",
    "event_verification_status": "verification_status",
}
# What decides whether an incident's link counts, and what is copied from it.
_INCIDENT_SOURCE = ("kind", "team_id", "visible", *EVENT_COLUMNS.values())
# What decides how many people a casualty adds to its incident's sums.
_CASUALTY_SUMMED = ("incident_id", "team_id", "visible", "verification_status", "outcome", "count")
CHUNK = 500


def _link_counts(casualty: Mapping[str, Any], incident: Mapping[str, Any] | None) -> bool:
    return (
        incident is not None
        and incident["kind"] == "incident"
        and incident["team_id"] == casualty["team_id"]
        and bool(incident["visible"])
        and (incident["verification_status"] or "") != "discounted"
    )


def event_values(casualty: Mapping[str, Any], incident: Mapping[str, Any] | None) -> dict[str, Any]:
    """The event columns of a casualty (its own typed columns and team) given the row
    of the incident it names (None when this hub holds no such record)."""
    source = incident if _link_counts(casualty, incident) else casualty
    assert source is not None
    return {event: source[own] for event, own in EVENT_COLUMNS.items()}


def _people(outcome: Any, count: Any) -> tuple[int, int]:
    """(killed, injured) a casualty adds to its incident's sums."""
    n = count if isinstance(count, int) and count >= 1 else 1
    return (n, 0) if outcome in KILLED_OUTCOMES else (0, n) if outcome == "injured" else (0, 0)


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def _existed(row: Any) -> bool:
    """A row that held a record before this write (not absent, not a placeholder)."""
    return row is not None and bool(row.state)


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


# Advisory locks of the writes (PostgreSQL), in the two-integer key space (apart from any
# single bigint keys): (LINKS_CLASS, a 32-bit hash of an incident id), and (ALL_CLASS, 0),
# which every write holds shared and a write of many ids exclusive. Two ids with one hash
# only make their writes take turns.
LINKS_CLASS = 0x7457
ALL_CLASS = 0x7458
# At most this many keys a write (each is an entry of PostgreSQL's shared lock table,
# 64 x max_connections entries by default); more and it takes ALL_CLASS exclusive.
MAX_LINK_LOCKS = 256


def _key(record_id: str) -> int:
    """The advisory key of an incident id: its CRC-32 as a signed 32-bit integer."""
    crc = zlib.crc32(record_id.encode())
    return crc - (1 << 32) if crc >= 1 << 31 else crc


class LinkLocks:
    """The advisory locks a write holds (`lock_links`); `cover` adds those found late."""

    def __init__(self, keys: set[int] | None) -> None:
        # None: nothing to hold (SQLite) or every key held (ALL_CLASS exclusive).
        self.keys = keys

    def cover(self, incident_ids: Iterable[Any]) -> None:
        """Hold the advisory lock of each of these incident ids too (a link known only
        after the write's rows were read: its old link, or the one its changes set).
        Called before any copy is read; a no-op for ids already held."""
        if self.keys is None:
            return
        missing = {_key(i) for i in incident_ids if isinstance(i, str) and i} - self.keys
        if missing:
            _advisory([(LINKS_CLASS, k, False) for k in sorted(missing)])
            self.keys.update(missing)


def _advisory(locks: list[tuple[int, int, bool]]) -> None:
    """Take these advisory locks (class, key, shared), in this order, in one statement
    (unnest yields its arrays' rows in order)."""
    db.session.execute(
        sa.text(
            "SELECT CASE WHEN s THEN pg_advisory_xact_lock_shared(c, k)"
            " ELSE pg_advisory_xact_lock(c, k) END"
            " FROM unnest(CAST(:c AS integer[]), CAST(:k AS integer[]), CAST(:s AS boolean[]))"
            " AS t(c, k, s)"
        ),
        {"c": [c for c, _, _ in locks], "k": [k for _, k, _ in locks], "s": [x for *_, x in locks]},
    ).all()


def lock_links(record_ids: Iterable[str], links: Iterable[Any] = ()) -> LinkLocks:
    """On PostgreSQL, take the advisory locks of a write before it locks any record row:
    one per record it writes (each may be an incident), per incident its casualties name
    now (read here without a lock) and per id in `links` (the incidents its changes may
    name). Held until the transaction ends. On SQLite nothing: one writer at a time."""
    if not _postgres():
        return LinkLocks(None)
    ids = sorted(set(record_ids))
    wanted = set(ids) | {i for i in links if isinstance(i, str) and i}
    if len(wanted) <= MAX_LINK_LOCKS:
        for part in _chunks(ids):
            wanted.update(
                db.session.scalars(
                    sa.select(_RECORDS.c.incident_id).where(
                        _RECORDS.c.id.in_(part), _RECORDS.c.incident_id.is_not(None)
                    )
                )
            )
    if len(wanted) > MAX_LINK_LOCKS:
        _advisory([(ALL_CLASS, 0, False)])
        return LinkLocks(None)
    keys = sorted({_key(i) for i in wanted})
    _advisory([(ALL_CLASS, 0, True), *((LINKS_CLASS, k, False) for k in keys)])
    return LinkLocks(set(keys))


def _incident_rows(ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The rows of these records that decide a casualty's copy. A plain read: on
    PostgreSQL the write holds the advisory lock of each of these incidents
    (`lock_links`), so no other write is changing them."""
    wanted = sorted(set(ids))
    cols = [_RECORDS.c.id, *(_RECORDS.c[c] for c in _INCIDENT_SOURCE)]
    out: dict[str, dict[str, Any]] = {}
    for part in _chunks(wanted):
        for row in db.session.execute(sa.select(*cols).where(_RECORDS.c.id.in_(part))):
            out[row.id] = dict(row._mapping)
    return out


def fill_casualties(values: Mapping[str, dict[str, Any]]) -> None:
    """Add the event columns to the casualty rows about to be written (`values`: the
    column values by record id, every incident of the same write included): the
    incidents they name are read from this write, else from the cache."""
    casualties = [v for v in values.values() if v["kind"] == "casualty"]
    named = {v["incident_id"] for v in casualties if v.get("incident_id")}
    incidents = {i: values[i] for i in named if i in values}
    incidents.update(_incident_rows(named - set(incidents)))
    for v in casualties:
        v.update(event_values(v, incidents.get(v["incident_id"] or "")))


def after_store(before: Mapping[str, Any], values: Mapping[str, dict[str, Any]]) -> None:
    """After a write stored `values` (rows by record id; `before`: the rows as they
    were), bring the copies of other rows up to date: the casualties of incidents that
    changed their event columns or are new here, and the sums of every incident a
    written casualty joined or left (and of new incidents)."""
    changed_incidents: set[str] = set()
    summed: set[str] = set()
    for rid, v in values.items():
        old = before.get(rid)
        existed = _existed(old)
        if v["kind"] == "incident":
            # Every written incident: a new one's casualties may have come first, an
            # edited one moves them, and an unchanged one heals what a concurrent first
            # write on PostgreSQL could not see (an indexed read when nothing differs).
            changed_incidents.add(rid)
            summed.add(rid)
        elif v["kind"] == "casualty" and (
            not existed or any(getattr(old, c) != v[c] for c in _CASUALTY_SUMMED)
        ):
            # The incident it names now and the one it named before.
            summed.update(i for i in (v.get("incident_id"), existed and old.incident_id) if i)
    refresh_casualties_of(changed_incidents, skip=values.keys())
    refresh_sums(summed)


def refresh_casualties_of(incident_ids: Iterable[str], skip: Iterable[str] = ()) -> None:
    """Recompute the event columns of every casualty naming one of `incident_ids`
    (except `skip`, just written with fresh copies); rewrite those that changed."""
    ids = sorted(set(incident_ids))
    if not ids:
        return
    skipped = set(skip)
    incidents = _incident_rows(ids)
    cols = [
        _RECORDS.c.id,
        _RECORDS.c.kind,
        _RECORDS.c.team_id,
        _RECORDS.c.incident_id,
        *(_RECORDS.c[c] for c in EVENT_COLUMNS.values()),
        *(_RECORDS.c[c] for c in EVENT_COLUMNS),
    ]
    updates = []
    for part in _chunks(ids):
        # Only the incident id in SQL: with `kind` too, SQLite without statistics walks
        # the kind index (every casualty) instead of the incident id's few entries.
        stmt = sa.select(*cols).where(_RECORDS.c.incident_id.in_(part))
        for row in db.session.execute(stmt):
            if row.kind != "casualty" or row.id in skipped:
                continue
            have = row._mapping
            want = event_values(have, incidents.get(row.incident_id))
            if any(have[k] != w for k, w in want.items()):
                updates.append({"id": row.id, **want})
    bulk_sql.update_many(_RECORDS, "id", updates)


def refresh_sums(incident_ids: Iterable[str]) -> None:
    """Recompute `linked_killed` and `linked_injured` of these incidents from their
    casualty rows (one grouped read by incident id); rewrite those that changed."""
    ids = sorted(set(incident_ids))
    sums: dict[tuple[str, str], list[int]] = {}
    have: dict[str, Any] = {}
    for part in _chunks(ids):
        # No FOR UPDATE: two writes adding casualties to one incident hold its advisory
        # lock in turn (lock_links), so the second counts what the first committed.
        stmt = sa.select(
            _RECORDS.c.id, _RECORDS.c.team_id, _RECORDS.c.linked_killed, _RECORDS.c.linked_injured
        ).where(_RECORDS.c.id.in_(part), _RECORDS.c.kind == "incident")
        for row in db.session.execute(stmt):
            have[row.id] = row
    for part in _chunks(sorted(have)):
        # Filtered in Python, not SQL: see refresh_casualties_of.
        stmt = sa.select(
            _RECORDS.c.incident_id,
            _RECORDS.c.team_id,
            _RECORDS.c.kind,
            _RECORDS.c.visible,
            _RECORDS.c.verification_status,
            _RECORDS.c.outcome,
            _RECORDS.c.count,
        ).where(_RECORDS.c.incident_id.in_(part))
        for incident_id, team_id, kind, visible, verification, outcome, count in db.session.execute(
            stmt
        ):
            if kind != "casualty" or not visible or verification == "discounted":
                continue
            k, i = _people(outcome, count)
            acc = sums.setdefault((incident_id, team_id), [0, 0])
            acc[0] += k
            acc[1] += i
    updates = []
    for rid, row in have.items():
        killed, injured = sums.get((rid, row.team_id), (0, 0))
        if (row.linked_killed, row.linked_injured) != (killed, injured):
            updates.append({"id": rid, "linked_killed": killed, "linked_injured": injured})
    bulk_sql.update_many(_RECORDS, "id", updates)


def refresh_all() -> None:
    """Recompute every casualty's event columns and every incident's sums in SQL (a
    rebuilt cache, a bulk load): two statements, each a look-up per row."""
    refresh_all_events()
    refresh_all_sums()


def refresh_all_events() -> None:
    """Every casualty's event columns, in one UPDATE (a look-up of its incident per row)."""
    c, i = _RECORDS, _RECORDS.alias("i")
    link = (
        sa.select(i.c.id)
        .where(
            i.c.id == c.c.incident_id,
            i.c.team_id == c.c.team_id,
            i.c.kind == "incident",
            i.c.visible.is_(True),
            sa.func.coalesce(i.c.verification_status, "") != "discounted",
        )
        .scalar_subquery()
    )

    def copied(own: str) -> Any:
        theirs = sa.select(i.c[own]).where(i.c.id == c.c.incident_id).scalar_subquery()
        return sa.case((link.is_(None), c.c[own]), else_=theirs)

    db.session.execute(
        sa.update(c)
        .where(c.c.kind == "casualty")
        .values({event: copied(own) for event, own in EVENT_COLUMNS.items()})
    )


def refresh_all_sums() -> None:
    """Every incident's linked sums: one grouped pass over the casualties joined to the
    incidents (UPDATE ... FROM). A correlated subquery per incident would let a planner
    without statistics walk a team's casualties once per incident."""
    r, c = _RECORDS, _RECORDS.alias("c")
    people = sa.case((c.c.count >= 1, c.c.count), else_=1)
    linked = (
        sa.select(
            c.c.incident_id,
            c.c.team_id,
            sa.func.sum(sa.case((c.c.outcome.in_(KILLED_OUTCOMES), people), else_=0)).label(
                "killed"
            ),
            sa.func.sum(sa.case((c.c.outcome == "injured", people), else_=0)).label("injured"),
        )
        .where(
            c.c.kind == "casualty",
            c.c.incident_id.is_not(None),
            c.c.visible.is_(True),
            sa.func.coalesce(c.c.verification_status, "") != "discounted",
        )
        .group_by(c.c.incident_id, c.c.team_id)
        .subquery("linked")
    )
    db.session.execute(
        sa.update(r)
        .where(r.c.kind == "incident", (r.c.linked_killed != 0) | (r.c.linked_injured != 0))
        .values(linked_killed=0, linked_injured=0)
    )
    db.session.execute(
        sa.update(r)
        .where(
            r.c.id == linked.c.incident_id,
            r.c.team_id == linked.c.team_id,
            r.c.kind == "incident",
        )
        .values(linked_killed=linked.c.killed, linked_injured=linked.c.injured)
    )


__all__ = [
    "MAX_LINK_LOCKS",
    "LinkLocks",
    "after_store",
    "event_values",
    "fill_casualties",
    "lock_links",
    "refresh_all",
    "refresh_all_events",
    "refresh_all_sums",
    "refresh_casualties_of",
    "refresh_sums",
]
