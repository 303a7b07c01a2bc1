"""Browser tests: Debian chromium driven by Python Playwright, against a real server.

Every test here is marked `browser`. Without /usr/bin/chromium they skip loudly (a
warning names what is missing); under CI=true they fail instead, so CI never passes by
skipping. One browser per module; one server for the whole run (`live`), plus private
servers for the tests that stop theirs.
"""

from __future__ import annotations

import os
import re
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from support.server import ServerProcess

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NO_CHROMIUM = (
    f"{CHROMIUM} is missing (apt-get install chromium, or `make system-deps`): "
    "browser tests NOT RUN"
)
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
PASSWORD = "correct horse battery staple"
PASSPHRASE = "olive tree by the old well"
TIMEOUT_MS = 10_000


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


def need_chromium() -> None:
    """Skip (or fail under CI=true) when Debian's chromium is not installed."""
    if not os.access(CHROMIUM, os.X_OK):
        if os.environ.get("CI") == "true":
            pytest.fail(NO_CHROMIUM)
        warnings.warn(NO_CHROMIUM, stacklevel=2)
        pytest.skip(NO_CHROMIUM)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless chromium per test module."""
    need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Hub:
    """A running `tawthiq serve` with an admin session for making teams and users."""

    def __init__(self, proc: ServerProcess) -> None:
        self.proc = proc
        proc.data_dir.mkdir(parents=True, exist_ok=True)
        setup = proc.cli("setup")
        assert setup.returncode == 0, setup.stderr
        m = re.search(r"username: (\S+)\s+password: (\S+)", setup.stdout)
        assert m, setup.stdout
        proc.start()
        self.admin = login_changing_password(proc.url, *m.groups())

    @property
    def url(self) -> str:
        return self.proc.url

    def team(self, name: str | None = None) -> str:
        s, csrf = self.admin
        r = s.post(
            f"{self.url}/api/v1/teams",
            json={"name": name or f"team-{uuid.uuid4().hex[:8]}"},
            headers={"X-CSRF-Token": csrf},
            timeout=10,
        )
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def user(self, team_id: str, role: str = "reporter") -> dict[str, Any]:
        """A user of the team with the known PASSWORD (their one-time password changed)."""
        s, csrf = self.admin
        name = f"u{uuid.uuid4().hex[:10]}"
        r = s.post(
            f"{self.url}/api/v1/users",
            json={"username": name, "memberships": [{"team_id": team_id, "role": role}]},
            headers={"X-CSRF-Token": csrf},
            timeout=10,
        )
        assert r.status_code == 201, r.text
        body = r.json()
        session, _ = login_changing_password(self.url, name, body["one_time_password"])
        return {"username": name, "password": PASSWORD, "id": body["user"]["id"],
                "team_id": team_id, "api": session}

    def records(self, user: dict[str, Any]) -> dict[str, Any]:
        """Every record the user may read, by id (through the REST API)."""
        s = login(self.url, user["username"], user["password"])[0]
        out: dict[str, Any] = {}
        url = f"{self.url}/api/v1/records?per_page=100"
        r = s.get(url, timeout=10)
        assert r.status_code == 200, r.text
        for rec in r.json()["records"]:
            out[rec["id"]] = rec
        return out


def login(base: str, username: str, password: str) -> tuple[requests.Session, str]:
    s = requests.Session()
    r = s.post(
        f"{base}/api/v1/session",
        json={"username": username, "password": password},
        headers={"X-CSRF-Token": "login"},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    return s, str(r.json()["csrf_token"])


def login_changing_password(base: str, username: str, one_time: str) -> tuple[Any, str]:
    """Log in with a one-time password and set PASSWORD; return the new session."""
    s, csrf = login(base, username, one_time)
    r = s.post(
        f"{base}/api/v1/session/password",
        json={"current_password": one_time, "new_password": PASSWORD},
        headers={"X-CSRF-Token": csrf},
        timeout=10,
    )
    assert r.status_code == 204, r.text
    return login(base, username, PASSWORD)


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """One real server for the run (SQLite in a temporary data folder)."""
    need_chromium()
    proc = ServerProcess(tmp_path_factory.mktemp("hub") / "data")
    hub = Hub(proc)
    yield hub
    proc.stop()


def shot(page: Any, name: str) -> None:
    """A screenshot in test-artifacts/ (gitignored) to look at by eye."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
