"""The real server in a subprocess, as a newcomer starts it: setup, serve, log in, stop."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import pytest
import requests
from support.server import ServerProcess


@pytest.fixture(params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path: Path):
    """A migrated data folder (and database) with a first admin, served by waitress."""
    url = None
    if request.param == "postgres":
        from conftest import need_postgres
        from support.postgres import fresh_database

        admin = need_postgres(request.getfixturevalue("postgres_admin_url"))
        ctx = fresh_database(admin)
        url = ctx.__enter__()
        request.addfinalizer(lambda: ctx.__exit__(None, None, None))
    proc = ServerProcess(tmp_path / "data", url)
    setup = proc.cli("setup")
    assert setup.returncode == 0, setup.stderr
    match = re.search(r"username: (\S+)\s+password: (\S+)", setup.stdout)
    assert match, setup.stdout
    proc.admin = match.groups()  # type: ignore[attr-defined]
    proc.start()
    yield proc
    proc.kill()


def _login(base: str, username: str, password: str) -> tuple[requests.Session, str]:
    s = requests.Session()
    r = s.post(
        f"{base}/api/v1/session",
        json={"username": username, "password": password},
        headers={"X-CSRF-Token": "login"},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    return s, r.json()["csrf_token"]


def test_first_admin_logs_in_over_http_and_server_stops_cleanly(server: ServerProcess) -> None:
    """The printed one-time password works once served; Ctrl-C ends the server with 0."""
    username, password = server.admin  # type: ignore[attr-defined]
    s, _csrf = _login(server.url, username, password)
    me = s.get(f"{server.url}/api/v1/session", timeout=10).json()
    assert me["user"]["is_admin"] is True
    assert me["user"]["must_change_password"] is True
    health = requests.get(f"{server.url}/healthz", timeout=10)
    assert health.json()["database"] == "ok"
    assert "frame-ancestors 'none'" in health.headers["Content-Security-Policy"]
    assert server.proc is not None
    server.proc.send_signal(signal.SIGINT)
    assert server.proc.wait(15) == 0
    assert "Tawthiq stopped." in server.log_path.read_text()


def test_setup_is_idempotent_and_never_prints_a_password_twice(server: ServerProcess) -> None:
    """A second `tawthiq setup` changes nothing and prints no new password."""
    again = server.cli("setup")
    assert again.returncode == 0, again.stderr
    assert "password:" not in again.stdout
    username, password = server.admin  # type: ignore[attr-defined]
    _login(server.url, username, password)
