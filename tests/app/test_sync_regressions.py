"""Counterexamples the hub simulation (test_sync_simulation.py) found, kept as fixed
tests on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import json
import uuid

import pytest
from support.sync_clients import Phone

from sync import Replica


@pytest.fixture
def team(make_team):
    return make_team("Khaldiyeh")


@pytest.fixture
def reporter(login_as, team):
    return login_as("reporter", team)


@pytest.fixture
def coordinator(login_as, team):
    return login_as("coordinator", team)


def _incident(phone: Phone, team_id: str, **fields) -> str:
    rid = str(uuid.uuid4())
    patch = {"team_id": team_id, "event_type": "shelling_artillery_missile", **fields}
    phone.replica.write(rid, "incident", "create", patch)
    return rid


def _push(app, phone: Phone, changes) -> list[dict]:
    r = app.test_client().post(
        "/api/v1/sync/push",
        data=json.dumps({"changes": [c.to_dict() for c in changes]}),
        headers={"Authorization": f"Bearer {phone.token}"},
        content_type="application/json",
    )
    assert r.status_code == 200, r.get_json()
    return r.get_json()["results"]


def test_restored_phone_delivers_the_lost_phones_unsent_changes(app, reporter, coordinator, team):
    """A phone wrote offline, was backed up and lost before it synced; the backup comes
    back on a new install (new origin id, registered as a new device). The changes of
    the old origin it carries are the user's own: the hub accepts them (they used to be
    parked as "origin_id is not this device's origin" and never reached the records)."""
    lost = Phone(reporter, app.test_client())
    rid = _incident(lost, team.id, killed_max=2)
    lost.replica.write(rid, "incident", "patch", {"killed_max": 3})
    backup = lost.replica.snapshot()
    assert reporter.post(f"/api/v1/devices/{lost.device['id']}/revoke").status_code == 200

    ids = itertools.count()
    restored = Phone(
        reporter,
        app.test_client(),
        replica=Replica.restore(
            backup,
            origin_id=f"dev-{uuid.uuid4()}",
            clock=lambda: 1_800_000_000_000,
            new_id=lambda: f"new-{next(ids)}",
        ),
    )
    report = restored.sync()
    assert not report.problems and restored.replica.outbox == []
    assert coordinator.get(f"/api/v1/records/{rid}").get_json()["values"]["killed_max"] == 3
    assert coordinator.get("/api/v1/sync/parked").get_json()["parked"] == []


def test_a_phone_cannot_send_changes_of_another_users_device(app, reporter, login_as, team):
    """Only the user's own devices' origins pass: another user's registered origin is
    still parked."""
    other = Phone(login_as("reporter", team), app.test_client())
    rid = _incident(other, team.id)
    forged = other.replica.log[other.replica.outbox[0]]
    phone = Phone(reporter, app.test_client())
    (result,) = _push(app, phone, [forged])
    assert result["status"] == "parked" and "origin" in result["reason"]
    assert other.sync().pushed == 1
    assert other.replica.record(rid) is not None


def test_a_batch_is_accepted_in_any_order(app, reporter, coordinator, team):
    """A batch whose patch comes before its record's create (reordered on the way) is
    accepted whole: it used to park the patch as "record not known on this hub"."""
    phone = Phone(reporter, app.test_client())
    rid = _incident(phone, team.id, killed_max=2)
    phone.replica.write(rid, "incident", "patch", {"killed_max": 4})
    batch = [phone.replica.log[op] for op in reversed(phone.replica.outbox)]
    results = _push(app, phone, batch + batch)
    assert [r["status"] for r in results] == ["accepted", "accepted", "duplicate", "duplicate"]
    # The hub numbers the create first, whatever order the batch came in.
    seqs = {r["op_id"]: r["hub_seq"] for r in results[:2]}
    assert seqs[batch[1].op_id] < seqs[batch[0].op_id]
    assert coordinator.get(f"/api/v1/records/{rid}").get_json()["values"]["killed_max"] == 4
    assert coordinator.get("/api/v1/sync/parked").get_json()["parked"] == []
