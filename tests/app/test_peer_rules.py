"""Sharing rules between two hubs, end to end through `peer sync` (in-process: the
HTTP requests go through Flask's test client instead of sockets).

B issues A a token sharing Waer's incidents up to `restricted`, without edits; A takes
Waer's records and sends its Khaldiyeh team's. What is outside the rule never moves;
A's coordinators read Waer's records but cannot edit them; an edit of a Waer record
relayed from A is parked at B; raising a record's sensitivity makes A forget it, and
lowering it again brings it back with its whole history.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from support.local_hubs import LocalHub, flask_sender

from app.api.errors import ApiError
from app.extensions import db


def _sync(a: LocalHub, b: LocalHub) -> str:
    from app.services import peer_sync

    # A's request context and B's nest: each app keeps its own database session.
    return a.run(lambda: peer_sync.sync_peer("B", send=flask_sender(b)).line())


def _ops(hub: LocalHub, record_id: str) -> set[str]:
    return set(
        hub.run(
            lambda: list(
                db.session.scalars(
                    sa.text("SELECT op_id FROM changes WHERE record_id = :r"), {"r": record_id}
                )
            )
        )
    )


@pytest.fixture
def pair(tmp_path: Path):
    a, b = LocalHub(tmp_path, "a"), LocalHub(tmp_path, "b")
    a.team("Khaldiyeh")
    b.team("Waer")
    a.coordinator("Khaldiyeh")
    b.coordinator("Waer")
    waer, khaldiyeh = b.teams["Waer"], a.teams["Khaldiyeh"]
    made = b.cli(
        "peer",
        "token",
        "create",
        "--for",
        "A",
        "--teams",
        f"Waer,{khaldiyeh}",
        "--kinds",
        "incident",
        "--max-sensitivity",
        "restricted",
        "--readers",
        "Waer",
    )
    token = made.output.strip().splitlines()[-1]
    a.cli(
        "peer",
        "add",
        "B",
        "http://hub-b.invalid",
        "--token",
        token,
        "--teams",
        f"Khaldiyeh,{waer}",
        "--readers",
        "Khaldiyeh",
    )
    return a, b


def test_rules_read_only_narrowing_and_widening(pair) -> None:
    a, b = pair
    shared = b.create("Waer", "shared incident", sensitivity="restricted")
    confidential = b.create("Waer", "CANARY confidential", sensitivity="confidential")
    other_kind = str(uuid.uuid4())
    b.write_raw(
        other_kind,
        "missing_person",
        "create",
        {"team_id": b.teams["Waer"], "full_name": "CANARY person"},
    )
    mine = a.create("Khaldiyeh", "from A", sensitivity="restricted")

    assert "(accepted 1, duplicate 1)" in _sync(a, b)  # its own record comes back: harmless
    held = set(a.records())
    assert shared in held and confidential not in held and other_kind not in held
    assert mine in b.records()
    # A's coordinator reads Waer's record (reader) but may not change it.
    with pytest.raises(ApiError) as denied:
        a.patch(shared, {"description": "edited at A"})
    assert denied.value.status == 403
    # A change to a Waer record that reaches A from elsewhere is relayed, and parked
    # at B: its rule gives A no edits of B's own teams.
    relayed = a.write_raw(shared, "incident", "patch", {"description": "relayed edit"})
    _sync(a, b)
    reasons = b.run(
        lambda: db.session.execute(
            sa.text("SELECT op_id, reason FROM parked_changes WHERE resolved_at IS NULL")
        ).all()
    )
    assert [(op, r) for op, r in reasons] == [
        (relayed, f"peer A may not change records of this hub's team {b.teams['Waer']}")
    ]
    assert relayed not in _ops(b, shared)

    # Narrowing: B raises the record above the rule; A is told to forget it.
    before = _ops(b, shared)
    b.patch(shared, {"sensitivity": "confidential"})
    b.patch(shared, {"description": "now confidential"})
    assert "forgotten 1" in _sync(a, b)
    assert shared not in a.records() and not _ops(a, shared)
    # Widening: lowered again, the record comes back with all its earlier changes.
    b.patch(shared, {"sensitivity": "restricted"})
    _sync(a, b)
    assert shared in a.records()
    assert _ops(a, shared) == _ops(b, shared) > before
    assert a.records()[shared] == b.records()[shared]
    # Nothing outside the rule ever reached A.
    canaries = a.run(
        lambda: db.session.execute(
            sa.text("SELECT count(*) FROM changes WHERE body LIKE '%CANARY%'")
        ).scalar()
    )
    assert canaries == 0


def _token_pull_seq(b: LocalHub) -> int:
    """What B's monitor shows as A's pull progress (its replication token)."""
    from app.models import PeerToken

    return b.run(lambda: max(t.last_pull_seq for t in db.session.scalars(sa.select(PeerToken))))


def test_peer_pull_is_pipelined_and_acknowledges_only_what_it_stored(pair) -> None:
    """A pulls B's records in many small pages, each next page asked for while this one
    is applied: A ends with every shared record, and B records as A's progress exactly
    A's checkpoint (never more). A hand-made request with an `ack` below `since` moves
    B's record only to the ack; a bad ack is refused and moves nothing."""
    from app.services import peer_rules, peer_sync

    a, b = pair
    made = [b.create("Waer", f"incident {i}") for i in range(11)]
    a.run(lambda: peer_sync.sync_peer("B", send=flask_sender(b), limit=3))
    assert set(made) <= set(a.records())
    pulled_to = a.run(lambda: peer_rules.find_peer("B").pull_seq)
    assert pulled_to > 0 and _token_pull_seq(b) == pulled_to

    token = a.run(lambda: peer_rules.find_peer("B").token)
    client = b.app.test_client()

    def pull(query: str) -> Any:
        return client.get(
            f"/api/v1/sync/pull?{query}", headers={"Authorization": f"Bearer {token}"}
        )

    more = [b.create("Waer", f"later {i}") for i in range(4)]
    top = pulled_to + len(more)
    assert pull(f"since={top}&limit=2&ack={pulled_to + 1}").status_code == 200
    assert _token_pull_seq(b) == pulled_to + 1
    refused = pull(f"since={top}&limit=2&ack={top + 1}")
    assert refused.status_code == 422 and "ack" in refused.get_json()["error"]["fields"]
    assert _token_pull_seq(b) == pulled_to + 1
