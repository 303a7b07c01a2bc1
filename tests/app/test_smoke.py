"""The app starts, answers its health check and speaks the one error format."""


def test_healthz_reports_database(client):
    """A monitor sees the app and its database answering, without logging in."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["database"] == "ok"
    assert response.headers["Cache-Control"] == "no-store"


def test_unknown_api_path_is_json_404(client):
    """A wrong URL answers in the API's error shape, not an HTML page."""
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_login_and_whoami(client, make_user):
    """A user logs in, sees who they are, and logs out; afterwards they are anonymous."""
    _user, password = make_user("mariam")
    assert client.login("mariam", password).status_code == 200
    me = client.get("/api/v1/session").get_json()
    assert me["user"]["username"] == "mariam"
    assert client.delete("/api/v1/session").status_code == 204
    assert client.get("/api/v1/session").status_code == 401
