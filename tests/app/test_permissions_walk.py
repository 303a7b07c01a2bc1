"""Every endpoint states who may call it, and no data endpoint answers an anonymous caller."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

IGNORED_METHODS = {"HEAD", "OPTIONS"}  # HEAD runs GET's view; OPTIONS is Flask's own


@pytest.fixture
def admin_created_user(app, new_client):
    """A client logged in with the one-time password an admin just handed out."""
    from app.services import accounts

    _user, one_time = accounts.create_user(None, "newcomer")
    api = new_client()
    assert api.login("newcomer", one_time).status_code == 200
    return api


def _views(app: Any) -> Iterator[tuple[Any, str, Any]]:
    """(rule, method, view function) for every method of every URL rule."""
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        for method in sorted((rule.methods or set()) - IGNORED_METHODS):
            view_class = getattr(view, "view_class", None)
            if view_class is not None:
                yield rule, method, getattr(view_class, method.lower(), None)
            else:
                yield rule, method, view


def _sample_url(rule: Any) -> str:
    """The rule's URL with a made-up value for each variable part."""
    return rule.build({name: "00000000-0000-4000-8000-000000000000" for name in rule.arguments})[1]


def test_every_endpoint_declares_a_permission(app):
    """A developer who adds an endpoint and forgets `@permission` sees it named here."""
    missing = [
        f"{method} {rule.rule} ({rule.endpoint})"
        for rule, method, view in _views(app)
        if getattr(view, "permission", None) is None
    ]
    assert missing == [], "endpoints without @permission: " + ", ".join(missing)


def test_walk_sees_the_account_endpoints(app):
    """The walk above covers the API, not an empty map (it would then pass for nothing)."""
    seen = {(method, rule.rule) for rule, method, _ in _views(app)}
    for expected in [
        ("GET", "/api/v1/teams"),
        ("PATCH", "/api/v1/teams/<string:team_id>"),
        ("POST", "/api/v1/users/<string:user_id>/disable"),
        ("GET", "/api/v1/audit"),
        ("POST", "/api/v1/session"),
    ]:
        assert expected in seen


def test_anonymous_callers_get_401_everywhere_but_public_endpoints(client, app):
    """Someone without a session gets 401 from every non-public endpoint, whatever the method.

    The CSRF header is sent so that the permission check, not the CSRF guard, answers.
    """
    wrong = []
    checked = 0
    for rule, method, view in _views(app):
        if view.permission == "public":
            continue
        checked += 1
        url = _sample_url(rule)
        response = client.client.open(
            url, method=method, json={}, headers={"X-CSRF-Token": "anonymous"}
        )
        body = response.get_json(silent=True) or {}
        code = body.get("error", {}).get("code")
        if response.status_code != 401 or code != "unauthenticated":
            wrong.append(f"{method} {url}: {response.status_code} {code}")
    assert checked >= 10
    assert wrong == []


def test_public_endpoints_are_only_the_expected_ones(app):
    """Making an endpoint public is a decision; this list changes only on purpose."""
    public = {
        (method, rule.rule) for rule, method, view in _views(app) if view.permission == "public"
    }
    assert public == {
        ("POST", "/api/v1/session"),  # logging in; the session's other methods are not public
        ("GET", "/api/v1/openapi.json"),
        ("GET", "/healthz"),
        ("GET", "/"),
        ("GET", "/sw.js"),
        ("GET", "/static/<path:filename>"),
        ("GET", "/trust"),  # the field hub's trust page (the only plain-HTTP page)
        ("GET", "/trust/<path:name>"),  # its authority certificate, QR codes and CSS
    }


def test_only_session_endpoints_admit_a_one_time_password(app):
    """A user still on a one-time password can reach the session endpoints (who am I, log
    out, change password) and nothing else; widening that is a deliberate change here."""
    allowed = {
        (method, rule.rule)
        for rule, method, view in _views(app)
        if getattr(view, "before_password_change", False)
    }
    assert allowed == {
        ("GET", "/api/v1/session"),
        ("DELETE", "/api/v1/session"),
        ("POST", "/api/v1/session/password"),
    }


def test_one_time_password_user_can_log_out_but_not_read(admin_created_user):
    """With only a one-time password, the user may log out; reading data is refused."""
    api = admin_created_user
    assert api.get("/api/v1/teams").get_json()["error"]["code"] == "password_change_required"
    assert api.delete("/api/v1/session").status_code == 204
    assert api.get("/api/v1/session").status_code == 401
