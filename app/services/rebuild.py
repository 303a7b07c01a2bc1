"""Rebuilding the records cache from the change log.

The change log is the truth; the records table is a cache. Rebuilding drops the cache
and materialises every record again from its changes, one record at a time, so memory
stays bounded by the largest record's history, not the log.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator

import sqlalchemy as sa

from app.database import begin_write
from app.extensions import db
from app.models import ChangeRow, NameToken, Record
from app.services import incident_links
from app.services.changelog import store_record
from sync import Change, apply_changes


def _changes_by_record(batch: int = 2000) -> Iterator[tuple[str, list[tuple[int, Change, str]]]]:
    """Yield (record_id, [(hub_seq, change, team_id)]) for every record, in id order."""
    current: str | None = None
    group: list[tuple[int, Change, str]] = []
    last = ("", 0)
    while True:
        rows = db.session.execute(
            sa.select(ChangeRow.record_id, ChangeRow.hub_seq, ChangeRow.body, ChangeRow.team_id)
            .where(sa.tuple_(ChangeRow.record_id, ChangeRow.hub_seq) > sa.tuple_(*last))
            .order_by(ChangeRow.record_id, ChangeRow.hub_seq)
            .limit(batch)
        ).all()
        if not rows:
            break
        for record_id, seq, body, team_id in rows:
            if record_id != current and group:
                yield current, group  # type: ignore[misc]
                group = []
            current = record_id
            group.append((seq, Change.from_dict(json.loads(body)), team_id))
        last = (rows[-1][0], rows[-1][1])
    if group:
        yield current, group  # type: ignore[misc]


def rebuild_records(shuffle_seed: int | None = None) -> int:
    """Drop and rebuild the records cache; returns how many records were rebuilt.

    With `shuffle_seed`, each record's changes are applied in a random order: the result
    must not depend on it (the sync core's guarantee, checked by the tests).
    """
    begin_write()
    db.session.execute(sa.delete(NameToken))
    db.session.execute(sa.delete(Record))
    rng = random.Random(shuffle_seed)  # noqa: S311  (an order for a check, not a secret)
    count = 0
    for record_id, group in _changes_by_record():
        ordered = list(group)
        if shuffle_seed is not None:
            rng.shuffle(ordered)
        state = apply_changes(None, [change for _seq, change, _team in ordered])
        assert state is not None
        row = Record(id=record_id, state={}, kind=state.kind, team_id=group[0][2])
        db.session.add(row)
        in_order = [c for _s, c, _t in sorted(group, key=lambda g: g[0])]
        first, last = db.session.execute(
            sa.select(sa.func.min(ChangeRow.received_at), sa.func.max(ChangeRow.received_at)).where(
                ChangeRow.record_id == record_id
            )
        ).one()
        store_record(row, state, group[0][2], max(s for s, _c, _t in group), last, True, in_order)
        row.created_at = first
        count += 1
        if count % 500 == 0:
            db.session.flush()
    db.session.flush()
    # Records were stored one by one in id order, casualties before or after their
    # incident: the copies between them are made once all are in.
    incident_links.refresh_all()
    db.session.commit()
    return count
