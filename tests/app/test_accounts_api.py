"""Admins manage teams and accounts through the API; every change is in the audit log."""

from __future__ import annotations

import json
from typing import Any

import pytest

NEW_PASSWORD = "a much better passphrase"


@pytest.fixture
def admin(login_as):
    return login_as(admin=True, username="root")


@pytest.fixture
def team(admin):
    response = admin.post("/api/v1/teams", json={"name": "Khaldiyeh council"})
    assert response.status_code == 201
    return response.get_json()


def _create_user(admin: Any, username: str, team: dict | None = None, role: str = "reporter"):
    memberships = [{"team_id": team["id"], "role": role}] if team else []
    response = admin.post("/api/v1/users", json={"username": username, "memberships": memberships})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    return body["user"], body["one_time_password"]


def _log_in(new_client: Any, username: str, password: str) -> Any:
    api = new_client()
    assert api.login(username, password).status_code == 200
    return api


def _audit(admin: Any, action: str) -> list[dict[str, Any]]:
    response = admin.get(f"/api/v1/audit?action={action}")
    assert response.status_code == 200
    return response.get_json()["items"]


# --- teams ---------------------------------------------------------------------------------


def test_admin_creates_lists_and_renames_a_team(admin, team):
    """A new team appears in the list, can be renamed, and both steps are audited."""
    assert [t["name"] for t in admin.get("/api/v1/teams").get_json()] == ["Khaldiyeh council"]
    renamed = admin.patch(f"/api/v1/teams/{team['id']}", json={"name": "Khalidiya council"})
    assert renamed.status_code == 200
    assert admin.get(f"/api/v1/teams/{team['id']}").get_json()["name"] == "Khalidiya council"
    assert _audit(admin, "team_created")[0]["target_id"] == team["id"]
    assert _audit(admin, "team_renamed")[0]["details"] == {
        "before": "Khaldiyeh council",
        "after": "Khalidiya council",
    }


def test_team_names_are_unique_and_not_blank(admin, team):
    """A second team with the same name is a 409; a blank name a 422 on `name`."""
    again = admin.post("/api/v1/teams", json={"name": "Khaldiyeh council"})
    assert again.status_code == 409
    assert again.get_json()["error"]["fields"] == {"name": ["Taken."]}
    blank = admin.post("/api/v1/teams", json={"name": "   "})
    assert blank.status_code == 422
    assert "name" in blank.get_json()["error"]["fields"]


def test_unknown_fields_are_rejected_by_name(admin, team):
    """A misspelt or extra field is refused and named, and nothing is created or changed."""
    response = admin.post("/api/v1/teams", json={"name": "Hama", "colour": "red"})
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"colour": ["Unknown field."]}
    bad_user = admin.post("/api/v1/users", json={"username": "sara", "is_superuser": True})
    assert bad_user.get_json()["error"]["fields"] == {"is_superuser": ["Unknown field."]}
    names = [t["name"] for t in admin.get("/api/v1/teams").get_json()]
    assert names == ["Khaldiyeh council"]
    assert "sara" not in json.dumps(admin.get("/api/v1/users").get_json())


# --- users ---------------------------------------------------------------------------------


def test_admin_creates_a_user_with_a_one_time_password(admin, team, new_client):
    """The new user's password is shown once; it logs in but must be changed first."""
    user, password = _create_user(admin, "sara", team, "coordinator")
    assert user["memberships"] == [
        {"team_id": team["id"], "team_name": "Khaldiyeh council", "role": "coordinator"}
    ]
    assert user["must_change_password"] is True
    assert "one_time_password" not in json.dumps(admin.get(f"/api/v1/users/{user['id']}").json)

    sara = _log_in(new_client, "sara", password)
    assert sara.get("/api/v1/session").status_code == 200
    blocked = sara.get("/api/v1/teams")
    assert blocked.status_code == 403
    assert blocked.get_json()["error"]["code"] == "password_change_required"

    changed = sara.post(
        "/api/v1/session/password",
        json={"current_password": password, "new_password": NEW_PASSWORD},
    )
    assert changed.status_code == 204
    assert sara.get("/api/v1/teams").status_code == 200


def test_creating_a_user_in_an_unknown_team_writes_nothing(admin):
    """A user for a team that does not exist is a 422 on memberships, and no user appears."""
    response = admin.post(
        "/api/v1/users",
        json={"username": "sara", "memberships": [{"team_id": "nope", "role": "reporter"}]},
    )
    assert response.status_code == 422
    assert "memberships" in response.get_json()["error"]["fields"]
    assert [u["username"] for u in admin.get("/api/v1/users").get_json()] == ["root"]


def test_bad_role_and_taken_username(admin, team):
    """Roles are reporter or coordinator only; usernames are unique regardless of case."""
    bad_role = admin.post(
        "/api/v1/users",
        json={"username": "sara", "memberships": [{"team_id": team["id"], "role": "boss"}]},
    )
    assert bad_role.status_code == 422
    _create_user(admin, "sara")
    taken = admin.post("/api/v1/users", json={"username": "SARA"})
    assert taken.status_code == 409


def test_role_change_is_audited(admin, team, make_team):
    """Moving a reporter to coordinator, and into a second team, leaves audit events."""
    other = make_team("Bab Sbaa council")
    user, _ = _create_user(admin, "omar", team, "reporter")
    response = admin.patch(
        f"/api/v1/users/{user['id']}",
        json={
            "display_name": "Omar",
            "memberships": [
                {"team_id": team["id"], "role": "coordinator"},
                {"team_id": other.id, "role": "reporter"},
            ],
        },
    )
    assert response.status_code == 200
    assert {(m["team_id"], m["role"]) for m in response.get_json()["memberships"]} == {
        (team["id"], "coordinator"),
        (other.id, "reporter"),
    }
    events = {
        (e["team_id"], e["details"]["before"], e["details"]["after"])
        for e in _audit(admin, "role_changed")
    }
    assert events == {(team["id"], "reporter", "coordinator"), (other.id, None, "reporter")}
    assert all(e["actor_name"] == "root" for e in _audit(admin, "role_changed"))


def test_refused_update_changes_nothing(admin):
    """An admin removing their own admin rights is refused, and the display name sent in
    the same request is not saved either."""
    me = admin.user
    response = admin.patch(
        f"/api/v1/users/{me['id']}", json={"display_name": "Changed", "is_admin": False}
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"is_admin": ["Own."]}
    assert admin.get(f"/api/v1/users/{me['id']}").get_json()["display_name"] == ""


def test_duplicate_team_in_memberships_is_refused(admin, team):
    """The same team twice in one memberships list is a 422."""
    user, _ = _create_user(admin, "omar", team)
    twice = [
        {"team_id": team["id"], "role": "reporter"},
        {"team_id": team["id"], "role": "coordinator"},
    ]
    response = admin.patch(f"/api/v1/users/{user['id']}", json={"memberships": twice})
    assert response.status_code == 422


def test_unknown_user_is_404(admin):
    """An id that is no user answers 404 in the error shape."""
    response = admin.get("/api/v1/users/00000000-0000-4000-8000-000000000000")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


# --- passwords -------------------------------------------------------------------------------


def test_user_changes_own_password(make_user, new_client):
    """Changing my password keeps this session, ends my other sessions, and from then on
    only the new password logs in."""
    _user, password = make_user("mariam")
    here, elsewhere = (
        _log_in(new_client, "mariam", password),
        _log_in(new_client, "mariam", password),
    )
    response = here.post(
        "/api/v1/session/password",
        json={"current_password": password, "new_password": NEW_PASSWORD},
    )
    assert response.status_code == 204
    assert here.get("/api/v1/session").status_code == 200
    assert elsewhere.get("/api/v1/session").status_code == 401
    assert new_client().login("mariam", password).status_code == 401
    assert new_client().login("mariam", NEW_PASSWORD).status_code == 200


def test_wrong_current_password_is_422_and_changes_nothing(make_user, new_client):
    """With a wrong current password the change is refused on that field; the old
    password still works."""
    _user, password = make_user("mariam")
    api = _log_in(new_client, "mariam", password)
    response = api.post(
        "/api/v1/session/password",
        json={"current_password": "wrong wrong wrong", "new_password": NEW_PASSWORD},
    )
    assert response.status_code == 422
    assert "current_password" in response.get_json()["error"]["fields"]
    short = api.post(
        "/api/v1/session/password", json={"current_password": password, "new_password": "short"}
    )
    assert short.status_code == 422
    assert "new_password" in short.get_json()["error"]["fields"]
    assert new_client().login("mariam", password).status_code == 200


def test_admin_resets_a_password(admin, team, make_user, new_client):
    """A reset gives a new one-time password (shown once), ends the user's sessions at
    once, and the old password stops working."""
    user, password = make_user("mariam", team=None)
    session = _log_in(new_client, "mariam", password)
    response = admin.post(f"/api/v1/users/{user.id}/reset-password")
    assert response.status_code == 200
    one_time = response.get_json()["one_time_password"]
    assert session.get("/api/v1/session").status_code == 401
    assert new_client().login("mariam", password).status_code == 401
    fresh = _log_in(new_client, "mariam", one_time)
    assert fresh.user["must_change_password"] is True
    assert _audit(admin, "password_reset")[0]["target_id"] == user.id


# --- disabling ------------------------------------------------------------------------------


def test_disabling_ends_sessions_at_once_and_blocks_login(admin, make_user, new_client):
    """A disabled user's open session dies on its very next request, they cannot log in,
    and both disabling and enabling are audited. Enabled again, they log in."""
    user, password = make_user("mariam")
    mariam = _log_in(new_client, "mariam", password)
    response = admin.post(f"/api/v1/users/{user.id}/disable")
    assert response.status_code == 200
    assert response.get_json()["disabled"] is True
    assert mariam.get("/api/v1/session").status_code == 401
    assert new_client().login("mariam", password).status_code == 401

    assert admin.post(f"/api/v1/users/{user.id}/enable").status_code == 200
    assert new_client().login("mariam", password).status_code == 200
    assert _audit(admin, "user_disabled")[0]["target_id"] == user.id
    assert _audit(admin, "user_enabled")[0]["target_id"] == user.id


def test_admin_cannot_disable_themselves(admin):
    """The last admin cannot lock everyone out by disabling their own account."""
    response = admin.post(f"/api/v1/users/{admin.user['id']}/disable")
    assert response.status_code == 422
    assert admin.get("/api/v1/session").status_code == 200


# --- the audit log ----------------------------------------------------------------------------


def test_audit_is_newest_first_filterable_and_paginated(admin, make_team):
    """The log lists the latest event first, filters by action, and pages."""
    for name in ["One", "Two", "Three"]:
        make_team(name)
    page1 = admin.get("/api/v1/audit?action=team_created&per_page=2&page=1").get_json()
    page2 = admin.get("/api/v1/audit?action=team_created&per_page=2&page=2").get_json()
    assert page1["total"] == page2["total"] == 3
    names = [e["details"]["name"] for e in page1["items"] + page2["items"]]
    assert names == ["Three", "Two", "One"]
    assert {e["action"] for e in admin.get("/api/v1/audit?action=login").json["items"]} == {"login"}


def test_audit_query_rejects_unknown_parameters(admin):
    """A misspelt filter is a 422 naming it, not the whole log silently."""
    response = admin.get("/api/v1/audit?acton=login")
    assert response.status_code == 422
    assert "acton" in response.get_json()["error"]["fields"]


def test_audit_never_shows_passwords_hashes_or_tokens(admin, team, new_client, app):
    """After creating, resetting and logging in, the audit log holds none of the secrets."""
    from app.extensions import db
    from app.models import User, UserSession

    user, one_time = _create_user(admin, "sara", team)
    reset = admin.post(f"/api/v1/users/{user['id']}/reset-password").get_json()
    sara = _log_in(new_client, "sara", reset["one_time_password"])
    sara.post(
        "/api/v1/session/password",
        json={"current_password": reset["one_time_password"], "new_password": NEW_PASSWORD},
    )
    new_client().login("sara", "a wrong guess here")
    text = json.dumps(admin.get("/api/v1/audit?per_page=200").get_json())
    db.session.expire_all()
    cookie = sara.client.get_cookie("tawthiq_session")
    assert cookie is not None
    hidden = [one_time, reset["one_time_password"], NEW_PASSWORD, sara.csrf, admin.csrf]
    hidden += [cookie.value]
    hidden += [u.password_hash for u in db.session.query(User)]
    hidden += [s.token_hash for s in db.session.query(UserSession)]
    assert [s for s in hidden if s in text] == []
    assert "password" not in {k for e in json.loads(text)["items"] for k in e["details"]}
