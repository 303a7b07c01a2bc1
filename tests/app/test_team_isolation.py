"""Team A's people never learn anything about team B: not its objects, not even its ids."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

MISSING = str(uuid.uuid4())


@pytest.fixture
def world(make_team, make_user, login_as):
    """Two teams with a reporter and a coordinator each; A's two people are logged in."""
    team_a, team_b = make_team("Khaldiyeh council"), make_team("Bab Amr council")
    b_reporter, _ = make_user("b-reporter", team=team_b, role="reporter")
    b_coordinator, _ = make_user("b-coordinator", team=team_b, role="coordinator")
    clients = {
        "reporter": login_as("reporter", team=team_a, username="a-reporter"),
        "coordinator": login_as("coordinator", team=team_a, username="a-coordinator"),
    }
    b_ids = {team_b.id, b_reporter.id, b_coordinator.id}
    b_names = {"Bab Amr council", "b-reporter", "b-coordinator"}
    return {
        "a": team_a,
        "b": team_b,
        "b_user": b_reporter,
        "clients": clients,
        "b_secrets": b_ids | b_names,
    }


def _requests(w: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any] | None, int]]:
    """(label, method, url, body, expected status when aimed at team B's objects).

    404 where the object is team-scoped (teams, members): same as for an id that does
    not exist. 403 where the endpoint is for admins only: the same answer for every id,
    so it tells nothing either.
    """
    b, u = w["b"].id, w["b_user"].id
    return [
        ("team", "GET", f"/api/v1/teams/{b}", None, 404),
        ("members", "GET", f"/api/v1/teams/{b}/members", None, 404),
        ("rename", "PATCH", f"/api/v1/teams/{b}", {"name": "Hijacked"}, 403),
        ("users", "GET", "/api/v1/users", None, 403),
        ("user", "GET", f"/api/v1/users/{u}", None, 403),
        ("edit user", "PATCH", f"/api/v1/users/{u}", {"display_name": "x"}, 403),
        ("reset", "POST", f"/api/v1/users/{u}/reset-password", None, 403),
        ("disable", "POST", f"/api/v1/users/{u}/disable", None, 403),
        ("enable", "POST", f"/api/v1/users/{u}/enable", None, 403),
        ("audit", "GET", "/api/v1/audit", None, 403),
    ]


def _call(api: Any, method: str, url: str, body: dict[str, Any] | None) -> Any:
    return getattr(api, method.lower())(url, **({"json": body} if body is not None else {}))


@pytest.mark.parametrize("role", ["reporter", "coordinator"])
def test_team_b_objects_are_out_of_reach(world, role):
    """A reporter or coordinator of team A gets 404/403 for each of team B's objects,
    exactly the answer they get for an id that does not exist."""
    api = world["clients"][role]
    for label, method, url, body, expected in _requests(world):
        response = _call(api, method, url, body)
        assert response.status_code == expected, (label, response.get_json())
        probe = _call(
            api,
            method,
            url.replace(world["b"].id, MISSING).replace(world["b_user"].id, MISSING),
            body,
        )
        assert (probe.status_code, probe.get_json()) == (
            response.status_code,
            response.get_json(),
        ), f"{label}: B's object answers differently from a missing one"


@pytest.mark.parametrize("role", ["reporter", "coordinator"])
def test_no_team_b_id_or_name_in_anything_team_a_sees(world, role):
    """Nothing team A's people read (their teams, their session, their team's members,
    and every refused request) holds an id or a name of team B."""
    api = world["clients"][role]
    a = world["a"].id
    bodies = [
        api.get("/api/v1/teams"),
        api.get("/api/v1/session"),
        api.get(f"/api/v1/teams/{a}"),
        api.get(f"/api/v1/teams/{a}/members"),
    ] + [_call(api, m, url, body) for _l, m, url, body, _e in _requests(world)]
    text = "\n".join(json.dumps(r.get_json()) for r in bodies)
    assert [s for s in world["b_secrets"] if s in text] == []
    teams = bodies[0].get_json()
    assert [t["id"] for t in teams] == [a]


def test_team_b_unchanged_after_team_a_tries(world, app):
    """Refused writes leave team B exactly as it was."""
    from app.extensions import db
    from app.models import Team, User

    for api in world["clients"].values():
        for _l, method, url, body, _e in _requests(world):
            if method != "GET":
                _call(api, method, url, body)
    db.session.expire_all()
    assert db.session.get(Team, world["b"].id).name == "Bab Amr council"
    b_user = db.session.get(User, world["b_user"].id)
    assert (b_user.display_name, b_user.disabled) == ("", False)


def test_members_are_for_the_teams_coordinators(world):
    """A's coordinator sees A's members and roles (to assign records); A's reporter may not."""
    a = world["a"].id
    coordinator, reporter = world["clients"]["coordinator"], world["clients"]["reporter"]
    members = coordinator.get(f"/api/v1/teams/{a}/members")
    assert members.status_code == 200
    assert {(m["username"], m["role"]) for m in members.get_json()} == {
        ("a-reporter", "reporter"),
        ("a-coordinator", "coordinator"),
    }
    refused = reporter.get(f"/api/v1/teams/{a}/members")
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "forbidden"


def test_admin_sees_every_team_and_its_members(world, login_as):
    """The deployment admin, in no team, sees both teams and either team's members."""
    admin = login_as(admin=True, username="root")
    ids = {t["id"] for t in admin.get("/api/v1/teams").get_json()}
    assert ids == {world["a"].id, world["b"].id}
    members = admin.get(f"/api/v1/teams/{world['b'].id}/members")
    assert members.status_code == 200
    assert len(members.get_json()) == 2
