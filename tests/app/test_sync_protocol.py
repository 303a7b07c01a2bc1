"""The sync protocol over the real app: devices, push statuses, pull, forget, repair."""

from __future__ import annotations

import gzip
import json
import uuid

import pytest
from support.sync_clients import Phone

from sync import new_change


@pytest.fixture
def team(make_team):
    return make_team("Khaldiyeh")


@pytest.fixture
def coordinator(login_as, team):
    return login_as("coordinator", team)


@pytest.fixture
def reporter(login_as, team):
    return login_as("reporter", team)


def incident(phone: Phone, team_id: str, **fields) -> str:
    rid = str(uuid.uuid4())
    patch = {"team_id": team_id, "event_type": "shelling_artillery_missile", **fields}
    phone.replica.write(rid, "incident", "create", patch)
    return rid


def test_offline_changes_arrive_once_and_other_devices_get_them(app, reporter, coordinator, team):
    """Two phones of one team: what one wrote offline reaches the hub once and the other
    phone after its sync; syncing again sends and receives nothing new."""
    a = Phone(reporter, app.test_client())
    b = Phone(coordinator, app.test_client())
    rid = incident(a, team.id, killed_min=3, killed_max=5)
    report = a.sync()
    assert report.pushed == 1 and not report.problems
    assert a.replica.outbox == []
    b.sync()
    assert b.replica.record(rid).values["killed_max"] == 5
    again = a.sync()
    assert again.pushed == 0
    listed = coordinator.get(f"/api/v1/records/{rid}").get_json()
    assert listed["values"]["killed_max"] == 5


def test_concurrent_same_field_edits_become_candidates_everywhere(app, coordinator, team):
    """Two phones change the same field offline: the hub and both phones keep both."""
    a = Phone(coordinator, app.test_client())
    b = Phone(coordinator, app.test_client())
    rid = incident(a, team.id, killed_max=5)
    a.sync()
    b.sync()
    a.replica.write(rid, "incident", "patch", {"killed_max": 7})
    b.replica.write(rid, "incident", "patch", {"killed_max": 9})
    a.sync()
    b.sync()
    a.sync()
    for phone in (a, b):
        values = sorted(c.value for c in phone.replica.record(rid).conflicts["killed_max"])
        assert values == [7, 9]
    server = coordinator.get(f"/api/v1/records/{rid}").get_json()
    assert sorted(c["value"] for c in server["conflicts"]["killed_max"]) == [7, 9]
    assert coordinator.get("/api/v1/conflicts").get_json()["records"][0]["id"] == rid


def _push_raw(client, token, changes, gzip_body=False):
    raw = json.dumps({"changes": changes}).encode()
    headers = {"Authorization": f"Bearer {token}"}
    if gzip_body:
        raw = gzip.compress(raw)
        headers["Content-Encoding"] = "gzip"
    return client.post(
        "/api/v1/sync/push", data=raw, headers=headers, content_type="application/json"
    )


def test_bad_changes_are_parked_with_reasons_and_touch_nothing(
    app, reporter, coordinator, team, make_team, login_as
):
    """Malformed, wrong-hash, forged author/origin, other team's record, invalid values:
    each gets its own parked status and reason; the good change in the batch is stored."""
    phone = Phone(reporter, app.test_client())
    other_team = make_team("Hama")
    other = login_as("coordinator", other_team)
    foreign = Phone(other, app.test_client())
    foreign_rid = incident(foreign, other_team.id)
    foreign.sync()

    good_rid = incident(phone, team.id)
    good = phone.replica.log[phone.replica.outbox[0]].to_dict()
    base = dict(
        kind="incident",
        origin_id=phone.replica.origin_id,
        action="patch",
        hlc=f"{1_800_000_000_000:015d}-000000-{phone.replica.origin_id}",
        device_time=1,
        author=reporter.user["id"],
        deps=[],
    )

    def change(**over):
        fields = {
            **base,
            "op_id": str(uuid.uuid4()),
            "record_id": good_rid,
            "origin_seq": 50,
            "patch": {"killed_max": 4},
            **over,
        }
        if fields["origin_id"] != base["origin_id"]:
            fields["hlc"] = f"{1_800_000_000_000:015d}-000000-{fields['origin_id']}"
        return new_change(**fields).to_dict()

    bad_hash = change()
    bad_hash["content_hash"] = "0" * 64
    batch = [
        good,
        {"op_id": "x", "patch": "nonsense"},
        bad_hash,
        change(author=coordinator.user["id"]),
        change(origin_id="someone-else"),
        change(record_id=foreign_rid),
        change(patch={"killed_max": "many"}),
        change(patch={"verification_status": "confirmed"}),
    ]
    r = _push_raw(app.test_client(), phone.token, batch, gzip_body=True)
    assert r.status_code == 200, r.get_json()
    results = r.get_json()["results"]
    assert [x["status"] for x in results] == ["accepted"] + ["parked"] * 7
    reasons = [x["reason"] for x in results[1:]]
    assert "content_hash" in reasons[1]
    assert "author" in reasons[2]
    assert "origin" in reasons[3]
    assert "team" in reasons[4] or "member" in reasons[4]
    assert "killed_max" in reasons[5]
    assert "coordinator" in reasons[6]
    # Nothing but the good change reached the records; the foreign record is untouched.
    assert "killed_max" not in coordinator.get(f"/api/v1/records/{good_rid}").get_json()["values"]
    assert (
        other.get(f"/api/v1/records/{foreign_rid}").get_json()["values"].get("killed_max") is None
    )
    parked = coordinator.get("/api/v1/sync/parked").get_json()["parked"]
    assert len(parked) >= 6 and all("reason" in p for p in parked)
    # Sending the same batch again parks nothing twice and accepts nothing twice.
    again = _push_raw(app.test_client(), phone.token, batch).get_json()["results"]
    assert again[0]["status"] == "duplicate"
    assert len(coordinator.get("/api/v1/sync/parked").get_json()["parked"]) == len(parked)


def test_id_collision_is_loud(app, reporter, team):
    """The same op id with other content is an id_collision, never a silent duplicate."""
    phone = Phone(reporter, app.test_client())
    incident(phone, team.id, killed_max=1)
    original = phone.replica.log[phone.replica.outbox[0]]
    phone.sync()
    fields = {k: v for k, v in original.to_dict().items() if k != "content_hash"}
    fields["patch"] = {**original.patch, "killed_max": 2}
    twin = new_change(**fields)
    r = _push_raw(app.test_client(), phone.token, [twin.to_dict()]).get_json()["results"]
    assert r[0]["status"] == "id_collision"


def test_revoked_device_stops_at_once_and_disabled_user_too(app, reporter, login_as, team):
    """A revoked token gets 401 device_revoked; so does the token of a disabled user."""
    phone = Phone(reporter, app.test_client())
    phone.sync()
    assert reporter.post(f"/api/v1/devices/{phone.device['id']}/revoke").status_code == 200
    r = app.test_client().get(
        "/api/v1/sync/pull", headers={"Authorization": f"Bearer {phone.token}"}
    )
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "device_revoked"

    other = login_as("reporter", team)
    phone2 = Phone(other, app.test_client())
    admin = login_as(admin=True)
    assert admin.post(f"/api/v1/users/{other.user['id']}/disable").status_code == 200
    r = app.test_client().get(
        "/api/v1/sync/pull", headers={"Authorization": f"Bearer {phone2.token}"}
    )
    assert r.status_code == 401


def test_device_token_cannot_use_the_rest_api(app, reporter):
    """A seized phone's token syncs and does nothing else."""
    phone = Phone(reporter, app.test_client())
    r = app.test_client().get("/api/v1/records", headers={"Authorization": f"Bearer {phone.token}"})
    assert r.status_code == 403


def test_assignment_widens_and_unassignment_narrows(app, coordinator, reporter, team):
    """A reporter's phone gets a person record's whole history once assigned, and is told
    to forget it when unassigned."""
    hub_phone = Phone(coordinator, app.test_client())
    rid = str(uuid.uuid4())
    hub_phone.replica.write(
        rid,
        "casualty",
        "create",
        {
            "team_id": team.id,
            "outcome": "killed",
            "sex": "male",
            "civilian_status": "civilian",
            "cause": "air_strike",
            "full_name": "سامر",
        },
    )
    hub_phone.replica.write(rid, "casualty", "patch", {"age_years": 30})
    hub_phone.sync()
    field_phone = Phone(reporter, app.test_client())
    field_phone.sync()
    assert field_phone.replica.record(rid) is None
    coordinator.patch(f"/api/v1/records/{rid}", json={"assigned_to": reporter.user["id"]})
    field_phone.sync()
    state = field_phone.replica.record(rid)
    assert (
        state is not None
        and state.values["full_name"] == "سامر"
        and state.values["age_years"] == 30
    )
    coordinator.patch(f"/api/v1/records/{rid}", json={"assigned_to": None})
    field_phone.sync()
    assert field_phone.replica.record(rid) is None


def test_missing_repairs_a_lost_checkpoint(app, coordinator, team):
    """A phone whose checkpoint ran past changes it never stored gets them back by its
    have-vector; equal digests send nothing."""
    a = Phone(coordinator, app.test_client())
    b = Phone(coordinator, app.test_client())
    rids = [incident(a, team.id) for _ in range(3)]
    a.sync()
    b.replica.checkpoints["hub"] = 10_000  # a checkpoint bug: skipped everything
    b.sync()
    assert all(b.replica.record(r) is not None for r in rids)
    r = app.test_client().post(
        "/api/v1/sync/missing",
        json={"have": b.replica.have_vector()},
        headers={"Authorization": f"Bearer {b.token}"},
    )
    digest = r.get_json()["digest"]
    again = (
        app.test_client()
        .post(
            "/api/v1/sync/missing",
            json={"have": {}, "digest": digest},
            headers={"Authorization": f"Bearer {b.token}"},
        )
        .get_json()
    )
    assert again["changes"] == []


def test_monitor_shows_nothing_missing_after_sync(app, coordinator, team):
    """The monitor compares what the phone reports with what the hub holds."""
    phone = Phone(coordinator, app.test_client())
    for _ in range(4):
        incident(phone, team.id)
    phone.transport.handshake(phone.replica.hello(), own_seq=phone.replica.next_seq - 1)
    before = coordinator.get("/api/v1/sync/peers").get_json()["devices"][0]
    assert before["reported_seq"] == 4 and before["missing"] == 4
    phone.replica.push(phone.transport)
    after = coordinator.get("/api/v1/sync/peers").get_json()["devices"][0]
    assert after["hub_holds_seq"] == 4 and after["missing"] == 0


def test_parked_change_applies_once_it_can(app, coordinator, team):
    """A change parked because its record was unknown is applied when re-examined after
    the record arrived, and is then marked applied; nothing was lost in between."""
    from app.services.sync_push import reexamine_parked

    a = Phone(coordinator, app.test_client())
    rid = incident(a, team.id, killed_max=2)
    create = a.replica.log[a.replica.outbox[0]]
    a.replica.write(rid, "incident", "patch", {"killed_max": 3})
    patch = a.replica.log[a.replica.outbox[1]]
    first = _push_raw(app.test_client(), a.token, [patch.to_dict()]).get_json()["results"]
    assert first[0]["status"] == "parked"
    assert _push_raw(app.test_client(), a.token, [create.to_dict()]).status_code == 200
    assert reexamine_parked() == {"examined": 1, "applied": 1, "still_parked": 0}
    record = coordinator.get(f"/api/v1/records/{rid}").get_json()
    assert record["values"]["killed_max"] == 3
    parked = coordinator.get("/api/v1/sync/parked").get_json()["parked"]
    assert [p["resolution"] for p in parked] == ["applied"]
