"""Field devices for app tests: a sync reference-client replica whose changes enter the
hub through the same change-log path a sync push uses (`changelog.write`)."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.models import ChangeRow
from app.services import changelog
from sync import Change, Replica

_clock = itertools.count(1_800_000_000_000, 1000)


def device(user_id: str) -> Replica:
    """A replica for a user, with its own origin id and a deterministic clock."""
    return Replica(
        f"dev-{uuid.uuid4()}", user_id, clock=lambda: next(_clock), new_id=lambda: str(uuid.uuid4())
    )


def push(replica: Replica, team_id: str, changes: Sequence[Change] | None = None) -> list[Any]:
    """Store the replica's outbox (or the given changes) on the hub."""
    batch = list(changes) if changes is not None else [replica.log[o] for o in replica.outbox]
    outcomes = changelog.write(
        [c.record_id for c in batch],
        lambda _states: batch,
        via=f"device:{replica.origin_id}",
        team_of=lambda _c, _s: team_id,
        links=[c.patch.get("incident_id") for c in batch],
    )
    replica.outbox = [o for o in replica.outbox if o not in {c.op_id for c in batch}]
    return outcomes


def pull_all(replica: Replica) -> None:
    """Give the replica every change the hub holds (a full pull, for tests)."""
    bodies = db.session.scalars(sa.select(ChangeRow.body).order_by(ChangeRow.hub_seq)).all()
    replica.receive(Change.from_dict(json.loads(b)) for b in bodies)
