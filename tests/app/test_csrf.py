"""A page on another site cannot make a logged-in browser change anything here."""

from __future__ import annotations

import pytest


@pytest.fixture
def admin(login_as):
    return login_as(admin=True, username="root")


@pytest.fixture
def team_id(make_team):
    return make_team("Rastan council").id


def _writes(team_id: str) -> list[tuple[str, str, dict | None]]:
    """One POST, one PATCH and one DELETE that the cookie alone would authorise."""
    return [
        ("POST", "/api/v1/teams", {"name": "Talbiseh council"}),
        ("PATCH", f"/api/v1/teams/{team_id}", {"name": "Renamed"}),
        ("DELETE", "/api/v1/session", None),
    ]


@pytest.mark.parametrize("index", [0, 1, 2], ids=["POST", "PATCH", "DELETE"])
def test_cookie_write_without_token_is_refused(admin, team_id, index):
    """Without X-CSRF-Token, a write carried only by the session cookie gets 403."""
    method, url, body = _writes(team_id)[index]
    response = admin.client.open(url, method=method, json=body)
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "csrf_missing"
    assert admin.get("/api/v1/session").status_code == 200  # still logged in: nothing ran


@pytest.mark.parametrize("index", [0, 1, 2], ids=["POST", "PATCH", "DELETE"])
def test_cookie_write_with_wrong_token_is_refused(admin, team_id, index):
    """A token that is not this session's (a guess, or another session's) gets 403."""
    method, url, body = _writes(team_id)[index]
    response = admin.client.open(
        url, method=method, json=body, headers={"X-CSRF-Token": "guessed-token"}
    )
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "csrf"


def test_token_of_another_session_is_refused(admin, login_as, team_id):
    """A token taken from another user's session does not work with this cookie."""
    other = login_as(admin=True, username="root2")
    response = admin.client.post(
        "/api/v1/teams", json={"name": "Hama council"}, headers={"X-CSRF-Token": other.csrf}
    )
    assert response.status_code == 403


@pytest.mark.parametrize("index", [0, 1, 2], ids=["POST", "PATCH", "DELETE"])
def test_foreign_origin_is_refused_even_with_the_token(admin, team_id, index):
    """A write from another site's page is refused by its Origin, token or not."""
    method, url, body = _writes(team_id)[index]
    response = admin.client.open(
        url,
        method=method,
        json=body,
        headers={"X-CSRF-Token": admin.csrf, "Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "csrf_origin"


@pytest.mark.parametrize("index", [0, 1, 2], ids=["POST", "PATCH", "DELETE"])
def test_right_token_and_same_origin_pass(admin, team_id, index):
    """The app's own writes (the session's token, our own Origin) go through."""
    method, url, body = _writes(team_id)[index]
    response = admin.client.open(
        url,
        method=method,
        json=body,
        headers={"X-CSRF-Token": admin.csrf, "Origin": "http://localhost"},
    )
    assert response.status_code in (200, 201, 204), response.get_json()


def test_refused_write_changes_nothing(admin, team_id):
    """The refused rename left the team's name as it was."""
    admin.client.patch(f"/api/v1/teams/{team_id}", json={"name": "Renamed"})
    assert admin.get(f"/api/v1/teams/{team_id}").get_json()["name"] == "Rastan council"


def test_reads_never_need_the_token(admin, team_id):
    """GET requests work with the cookie alone, even with a foreign Origin header."""
    for url in ["/api/v1/session", "/api/v1/teams", f"/api/v1/teams/{team_id}", "/api/v1/audit"]:
        response = admin.client.get(url, headers={"Origin": "https://evil.example"})
        assert response.status_code == 200, url
