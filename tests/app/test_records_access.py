"""Who sees and changes which records: reporters, coordinators, admins, other teams."""

from __future__ import annotations

import json

import pytest

INCIDENT = {"kind": "incident", "event_type": "armed_clash", "occurred_date": "2026-03"}
NEED = {
    "kind": "supply_need",
    "requesting_site_type": "hospital",
    "sector": "health",
    "item_category": "blood_product",
    "item_name": "أكياس دم O-",
    "unit": "bag",
    "quantity_needed": 200,
    "priority": "critical",
    "status": "open",
    "blood_group": "O-",
}


def casualty(name: str, **extra):
    return {
        "kind": "casualty",
        "outcome": "killed",
        "sex": "female",
        "civilian_status": "civilian",
        "cause": "shelling_artillery",
        "full_name": name,
        **extra,
    }


@pytest.fixture
def world(make_team, login_as):
    """Two teams; in A a coordinator and two reporters, in B a coordinator; an admin."""
    a, b = make_team("Team A"), make_team("Team B")
    return {
        "a": a,
        "b": b,
        "coord_a": login_as("coordinator", a),
        "rep1": login_as("reporter", a),
        "rep2": login_as("reporter", a),
        "coord_b": login_as("coordinator", b),
        "admin": login_as(admin=True),
    }


def _ids(client):
    return {r["id"] for r in client.get("/api/v1/records?per_page=500").get_json()["records"]}


def test_reporter_sees_team_incidents_but_only_own_or_assigned_people(world):
    """A reporter sees the team's incidents and needs, and only the person records they
    made or were assigned; a coordinator sees them all."""
    rep1, rep2, coord = world["rep1"], world["rep2"], world["coord_a"]
    inc = rep1.post("/api/v1/records", json=INCIDENT).get_json()["id"]
    need = rep1.post("/api/v1/records", json=NEED).get_json()["id"]
    mine = rep1.post("/api/v1/records", json=casualty("فاطمة")).get_json()["id"]
    theirs = rep2.post("/api/v1/records", json=casualty("زينب")).get_json()["id"]
    assert _ids(rep1) == {inc, need, mine}
    assert _ids(rep2) == {inc, need, theirs}
    assert _ids(coord) == {inc, need, mine, theirs}
    assert rep1.get(f"/api/v1/records/{theirs}").status_code == 404
    # Assignment widens the reporter's view.
    r = coord.patch(f"/api/v1/records/{theirs}", json={"assigned_to": rep1.user["id"]})
    assert r.status_code == 200, r.get_json()
    assert theirs in _ids(rep1)


def test_other_team_sees_nothing_and_learns_no_id(world):
    """Team B's coordinator gets 404 for team A's records and no A id appears anywhere."""
    rep1, coord_b = world["rep1"], world["coord_b"]
    ids = [
        rep1.post("/api/v1/records", json=body).get_json()["id"]
        for body in (INCIDENT, NEED, casualty("مريم"))
    ]
    bodies = [coord_b.get("/api/v1/records?per_page=500").get_data(as_text=True)]
    for rid in ids:
        for path in ("", "/history"):
            r = coord_b.get(f"/api/v1/records/{rid}{path}")
            assert r.status_code == 404
            bodies.append(r.get_data(as_text=True))
        r = coord_b.patch(f"/api/v1/records/{rid}", json={"description": "x"})
        assert r.status_code == 404
        bodies.append(r.get_data(as_text=True))
        assert (
            coord_b.post(f"/api/v1/records/{rid}/resolve", json={"fields": {}}).status_code == 404
        )
        assert coord_b.post(f"/api/v1/records/{rid}/purge", json={"reason": "x"}).status_code == 404
    for body in bodies:
        for rid in ids:
            assert rid not in body
        assert world["a"].id not in body
    # Writing into another team is refused without confirming it exists.
    r = coord_b.post("/api/v1/records", json=INCIDENT | {"team_id": world["a"].id})
    assert r.status_code == 422


def test_admin_without_team_role_reads_no_records(world):
    """An administrator manages accounts but reads no records unless also a coordinator."""
    rid = world["rep1"].post("/api/v1/records", json=casualty("سعاد")).get_json()["id"]
    admin = world["admin"]
    assert admin.get(f"/api/v1/records/{rid}").status_code in (403, 404)
    assert admin.get("/api/v1/records").status_code in (200, 403)
    if admin.get("/api/v1/records").status_code == 200:
        assert admin.get("/api/v1/records").get_json()["records"] == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("verification_status", "confirmed"),
        ("verification_status", "discounted"),
        ("sensitivity", "public"),
    ],
)
def test_reporter_cannot_use_coordinator_powers(world, field, value):
    """Only coordinators verify and lower sensitivity; the record stays as it was."""
    rep1, coord = world["rep1"], world["coord_a"]
    rid = rep1.post("/api/v1/records", json=INCIDENT).get_json()["id"]
    before = rep1.get(f"/api/v1/records/{rid}").get_json()
    r = rep1.patch(f"/api/v1/records/{rid}", json={field: value})
    assert r.status_code == 403
    assert rep1.get(f"/api/v1/records/{rid}").get_json()["etag"] == before["etag"]
    assert coord.patch(f"/api/v1/records/{rid}", json={field: value}).status_code == 200


def test_reporter_cannot_record_a_death_for_a_missing_person(world):
    """believed_dead / confirmed_dead are a coordinator's to set."""
    rep1 = world["rep1"]
    body = {
        "kind": "missing_person",
        "full_name": "خالد العمر",
        "sex": "male",
        "disappearance_type": "arrested_detained",
        "last_seen_date": "2026-02-01",
        "fate_status": "detained_held",
    }
    created = rep1.post("/api/v1/records", json=body)
    assert created.status_code == 201, created.get_json()
    rid = created.get_json()["id"]
    r = rep1.patch(f"/api/v1/records/{rid}", json={"fate_status": "believed_dead"})
    assert r.status_code == 403
    r = world["coord_a"].patch(f"/api/v1/records/{rid}", json={"fate_status": "believed_dead"})
    assert r.status_code == 200, r.get_json()


def test_strictly_confidential_is_for_coordinators(world):
    """A reporter who raises a record to strictly confidential no longer sees it."""
    rep1 = world["rep1"]
    rid = rep1.post("/api/v1/records", json=INCIDENT).get_json()["id"]
    r = rep1.patch(f"/api/v1/records/{rid}", json={"sensitivity": "strictly_confidential"})
    assert r.status_code == 200, r.get_json()
    assert rep1.get(f"/api/v1/records/{rid}").status_code == 404
    assert world["coord_a"].get(f"/api/v1/records/{rid}").status_code == 200


def test_purge_blanks_content_everywhere_and_is_audited(world, app):
    """Erasing a record removes its names from the record, its history and search, keeps
    that it existed, and writes the reason to the audit log."""
    coord = world["coord_a"]
    rid = coord.post("/api/v1/records", json=casualty("نور الهدى")).get_json()["id"]
    coord.patch(f"/api/v1/records/{rid}", json={"full_name": "نور الهدى الحمصي"})
    assert world["rep1"].post(f"/api/v1/records/{rid}/purge", json={"reason": "x"}).status_code in (
        403,
        404,
    )
    r = coord.post(f"/api/v1/records/{rid}/purge", json={"reason": "family request"})
    assert r.status_code == 204
    record = coord.get(f"/api/v1/records/{rid}").get_json()
    assert record["purged"] is True
    assert "نور" not in json.dumps(record, ensure_ascii=False)
    history = coord.get(f"/api/v1/records/{rid}/history").get_data(as_text=True)
    assert "نور" not in history
    assert coord.get("/api/v1/records?q=نور&include_deleted=true").get_json()["total"] == 0
    from app.extensions import db
    from app.models import AuditEvent, ChangeRow

    bodies = [c.body for c in db.session.query(ChangeRow).filter_by(record_id=rid)]
    assert len(bodies) == 3 and not any("نور" in b for b in bodies)
    events = db.session.query(AuditEvent).filter_by(action="record_purged").all()
    assert [e.details["reason"] for e in events] == ["family request"]
