"""Records through the REST API: create, read, update, delete, history, conflicts."""

from __future__ import annotations

import pytest


@pytest.fixture
def team(make_team):
    return make_team("Khaldiyeh council")


@pytest.fixture
def reporter(login_as, team):
    return login_as("reporter", team)


@pytest.fixture
def coordinator(login_as, team):
    return login_as("coordinator", team)


INCIDENT = {
    "kind": "incident",
    "event_type": "shelling_artillery_missile",
    "occurred_date": "2026-02-04",
    "killed_min": 100,
    "killed_max": 105,
    "description": "قصف ليلي على حي الخالدية",
}


def test_create_and_read_incident(reporter):
    """A reporter records an incident; reading it back gives the same values and an ETag."""
    r = reporter.post("/api/v1/records", json=INCIDENT)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["values"]["killed_max"] == 105
    assert body["values"]["description"] == "قصف ليلي على حي الخالدية"
    got = reporter.get(f"/api/v1/records/{body['id']}")
    assert got.status_code == 200
    assert got.headers["ETag"].strip('"') == body["etag"]
    assert got.get_json()["values"] == body["values"]


def test_put_needs_if_match_and_rejects_stale(reporter):
    """PUT without If-Match is 428; with an old ETag 412; with the current one it saves."""
    created = reporter.post("/api/v1/records", json=INCIDENT).get_json()
    url = f"/api/v1/records/{created['id']}"
    full = {k: v for k, v in INCIDENT.items() if k != "kind"} | {"killed_max": 110}
    assert reporter.put(url, json=full).status_code == 428
    ok = reporter.put(url, json=full, headers={"If-Match": f'"{created["etag"]}"'})
    assert ok.status_code == 200, ok.get_json()
    assert ok.get_json()["values"]["killed_max"] == 110
    stale = reporter.put(url, json=full, headers={"If-Match": f'"{created["etag"]}"'})
    assert stale.status_code == 412


def test_history_shows_who_changed_what(reporter):
    """History lists each change with the field's old and new value and the author."""
    created = reporter.post("/api/v1/records", json=INCIDENT).get_json()
    url = f"/api/v1/records/{created['id']}"
    reporter.patch(url, json={"killed_max": 120})
    history = reporter.get(url + "/history").get_json()["changes"]
    assert [c["action"] for c in history] == ["create", "patch"]
    last = history[-1]
    assert last["fields"] == [{"field": "killed_max", "from": 105, "to": 120}]
    assert last["author_name"] == reporter.user["username"]


def test_delete_is_a_tombstone(reporter):
    """A deleted record leaves the list but its history stays readable."""
    created = reporter.post("/api/v1/records", json=INCIDENT).get_json()
    url = f"/api/v1/records/{created['id']}"
    assert reporter.delete(url).status_code == 428
    assert reporter.delete(url, headers={"If-Match": created["etag"]}).status_code == 204
    listed = reporter.get("/api/v1/records").get_json()
    assert created["id"] not in [r["id"] for r in listed["records"]]
    assert reporter.get(url).get_json()["deleted"] is True
    assert [c["action"] for c in reporter.get(url + "/history").get_json()["changes"]] == [
        "create",
        "delete",
    ]


def test_invalid_fields_are_named(reporter):
    """A reversed range and an unknown field are both reported by name; nothing is saved."""
    bad = INCIDENT | {"killed_min": 200, "colour": "red"}
    r = reporter.post("/api/v1/records", json=bad)
    assert r.status_code == 422
    fields = r.get_json()["error"]["fields"]
    assert "colour" in fields
    assert reporter.get("/api/v1/records").get_json()["total"] == 0
