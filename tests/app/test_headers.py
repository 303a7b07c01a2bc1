"""Response headers that keep the browser from running, framing or caching what it should not."""

from __future__ import annotations

from http.cookies import SimpleCookie

from app import create_app
from app.extensions import db


def _csp(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    directives = [part.split() for part in policy.split(";") if part.strip()]
    return {d[0]: d[1:] for d in directives}


def _set_cookie(response) -> str:
    cookies = [v for k, v in response.headers.items() if k == "Set-Cookie"]
    return next(c for c in cookies if c.startswith("tawthiq_session="))


def test_csp_forbids_inline_script_eval_and_framing(client):
    """No inline script or eval can run, and no other site may frame the app."""
    for url in ["/healthz", "/api/v1/session", "/api/v1/nothing-here"]:
        csp = _csp(client.get(url))
        script_src = csp.get("script-src", csp.get("default-src"))
        assert "'unsafe-inline'" not in script_src
        assert "'unsafe-eval'" not in script_src
        assert csp["frame-ancestors"] == ["'none'"]
        assert csp["object-src"] == ["'none'"]


def test_nosniff_referrer_and_framing_headers(client):
    """Browsers do not guess content types, send no referrer, and refuse to frame us."""
    response = client.get("/healthz")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_api_answers_are_never_cached(client, login_as):
    """Nothing the API answers (data or errors) is kept in a browser or proxy cache."""
    admin = login_as(admin=True, username="root")
    for response in [
        admin.get("/api/v1/session"),
        admin.get("/api/v1/teams"),
        admin.get("/api/v1/audit"),
        client.get("/api/v1/teams"),  # a 401
    ]:
        assert response.headers["Cache-Control"] == "no-store"


def test_session_cookie_is_httponly_and_strict(client, make_user):
    """Script on the page cannot read the session cookie, and no other site sends it.

    Over plain HTTP (the default for a hub on a LAN) it is not marked Secure, or the
    browser would drop it.
    """
    _user, password = make_user("mariam")
    response = client.login("mariam", password)
    cookie = SimpleCookie(_set_cookie(response))["tawthiq_session"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
    assert not cookie["secure"]
    assert "Strict-Transport-Security" not in response.headers


def test_cookie_secure_and_hsts_when_served_over_https(app, database_url, make_user):
    """With SESSION_COOKIE_SECURE on (behind TLS) the cookie is Secure and HSTS is sent."""
    _user, password = make_user("mariam")
    secure = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret",
            "TESTING": True,
            "DATA_DIR": app.config["DATA_DIR"],
            "SESSION_COOKIE_SECURE": True,
        }
    )
    try:
        response = secure.test_client().post(
            "/api/v1/session",
            json={"username": "mariam", "password": password},
            headers={"X-CSRF-Token": "anonymous"},
            base_url="https://localhost",
        )
        assert response.status_code == 200
        cookie = SimpleCookie(_set_cookie(response))["tawthiq_session"]
        assert cookie["secure"] is True
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Strict"
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    finally:
        with secure.app_context():
            db.session.remove()
            db.engine.dispose()
