"""Every failure the API can answer with comes in the one error shape, with its status."""

from __future__ import annotations

import pytest


@pytest.fixture
def admin(login_as):
    return login_as(admin=True, username="root")


def _assert_shape(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) >= {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


def test_body_over_the_size_limit_is_413(admin, app):
    """A body larger than MAX_CONTENT_LENGTH is refused before it is read."""
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = admin.post("/api/v1/teams", json={"name": "x" * 2000})
    _assert_shape(response, 413, "too_large")
    assert admin.get("/api/v1/teams").get_json() == []


def test_non_json_body_is_415(admin):
    """A form-encoded body is not accepted where JSON is expected."""
    response = admin.post(
        "/api/v1/teams", data="name=Hama", content_type="application/x-www-form-urlencoded"
    )
    _assert_shape(response, 415, "unsupported_media_type")


def test_malformed_json_is_400(admin):
    """A body that is not JSON at all is a 400 (not a 500, not an HTML page)."""
    response = admin.post("/api/v1/teams", data='{"name": ', content_type="application/json")
    error = _assert_shape(response, 400, "bad_request")
    assert error["fields"] == {"_schema": ["Invalid JSON body."]}


def test_wrong_method_is_405_with_allow(admin):
    """A method the endpoint does not have is a 405 naming the ones it has."""
    response = admin.delete("/api/v1/teams")
    _assert_shape(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]


def test_unknown_path_is_404(admin):
    """A URL that is nothing is a 404 in the error shape."""
    _assert_shape(admin.get("/api/v1/no-such-thing"), 404, "not_found")


def test_field_errors_are_422_per_field(admin):
    """A missing required field and a wrong type are named one by one."""
    response = admin.post("/api/v1/users", json={"is_admin": "perhaps"})
    error = _assert_shape(response, 422, "invalid")
    assert set(error["fields"]) == {"username", "is_admin"}
