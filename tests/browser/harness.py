"""What the browser tests drive: a real hub (server + admin session) and devices
(one browser context each, with the steps a person takes in the UI)."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path
from typing import Any

import requests
from support.server import ServerProcess

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
PASSWORD = "correct horse battery staple"
PASSPHRASE = "olive tree by the old well"
TIMEOUT_MS = 10_000
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
        return {
            "username": name,
            "password": PASSWORD,
            "id": body["user"]["id"],
            "team_id": team_id,
            "api": session,
        }

    def records(self, user: dict[str, Any]) -> dict[str, Any]:
        """Every record the user may read, by id (through the REST API)."""
        # The session made with the user: no extra login (and password hash) per call.
        s = user["api"]
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


def shot(page: Any, name: str) -> None:
    """A screenshot in test-artifacts/ (gitignored) to look at by eye; `name` may hold a
    folder ("screenshots/forms-list-ar")."""
    path = ARTIFACTS / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)


# What each kind's form needs beyond its required choices (which take their first option).
FORM_TEXT = {
    "incident": {"location_detail": "حي الخالدية", "description": "Shelling near the mosque"},
    "casualty": {"full_name": "محمد عبد الرحمن الحمصي"},
    "missing_person": {"full_name": "فاطمة الزهراء", "last_seen_date": "2025-05-01"},
    "supply_need": {"item_name": "أكياس دم O-", "unit": "bag", "quantity_needed": "200"},
}
# Partial dates are a precision choice plus year, month and day (static/js/forms/widgets.js).
DATE_FIELDS = {
    "occurred_date",
    "date_of_birth",
    "date_of_death",
    "last_seen_date",
    "fate_status_date",
    "needed_by",
}


class Device:
    """One browser context playing one phone: its page, its user, and the UI steps."""

    def __init__(self, browser: Any, hub: Hub, user: dict[str, Any], **options: Any) -> None:
        self.hub = hub
        self.user = user
        # options: more browser.new_context() arguments, e.g. a phone's viewport.
        self.context = browser.new_context(locale="en-US", **options)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self._watch(self.page)

    def _watch(self, page: Any) -> None:
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def new_page(self) -> Any:
        self.page = self.context.new_page()
        self._watch(self.page)
        return self.page

    def open(self) -> None:
        self.page.goto(f"{self.hub.url}/")

    def login(self, passphrase: str | None = None) -> None:
        p = self.page
        p.fill("#f-username", self.user["username"])
        p.fill("#f-password", self.user["password"])
        if passphrase is not None:
            p.fill("#f-passphrase", passphrase)
        p.click("#login")

    def setup(self, passphrase: str = PASSPHRASE) -> None:
        """First use: log in, choose the passphrase, wait for the service worker."""
        self.open()
        self.login()
        p = self.page
        p.wait_for_selector("#passphrase-form")
        p.fill("#f-passphrase", passphrase)
        p.fill("#f-again", passphrase)
        p.click("#set-passphrase")
        p.wait_for_selector("#app")
        p.wait_for_function("() => navigator.serviceWorker.controller !== null")

    def unlock(self, passphrase: str = PASSPHRASE) -> None:
        p = self.page
        p.wait_for_selector("#unlock-form")
        p.fill("#f-passphrase", passphrase)
        p.click("#unlock")
        p.wait_for_selector("#app")

    def open_form(self, kind: str) -> Any:
        """Go to the records list and open a new form of `kind`."""
        p = self.page
        p.evaluate("() => { location.hash = '#/records'; }")
        p.click(f"a.new[data-kind={kind}]")
        return p.wait_for_selector(f"#record-form[data-kind={kind}]")

    def choose_required(self) -> None:
        """Take the first option of every required choice of the open form."""
        form = self.page.wait_for_selector("#record-form")
        for group in form.query_selector_all(".group-field[data-required] .choices"):
            group.query_selector("input[type=radio]").check()
        for select in form.query_selector_all("select[required]"):
            if not select.input_value():
                select.select_option(index=1)

    def fill_field(self, name: str, value: str) -> None:
        """Type `value` into field `name` of the open form (a date as YYYY[-MM[-DD]])."""
        p = self.page
        p.eval_on_selector(
            f"[data-field='{name}']", "el => el.closest('details')?.setAttribute('open', '')"
        )
        if name in DATE_FIELDS:
            parts = value.split("-")
            precision = p.query_selector(f"#f-{name}-precision")
            if precision is not None:
                precision.select_option(["year", "month", "day"][len(parts) - 1])
            p.fill(f"#f-{name}", parts[0])
            if len(parts) > 1:
                p.select_option(f"#f-{name}-month", str(int(parts[1])))
            if len(parts) > 2:
                p.fill(f"#f-{name}-day", parts[2])
        else:
            p.fill(f"#f-{name}", value)

    def fill_form(self, kind: str, text: dict[str, str] | None = None) -> None:
        """Open the kind's form, fill it, save; required choices take their first option."""
        self.open_form(kind)
        self.choose_required()
        for name, value in {**FORM_TEXT[kind], **(text or {})}.items():
            self.fill_field(name, value)
        self.page.click("#save")
        self.page.wait_for_selector("#record-form", state="detached")

    def eval(self, script: str, arg: Any = None) -> Any:
        return self.page.evaluate(script, arg)

    def status(self) -> dict[str, Any]:
        return dict(self.eval("tawthiq.status()"))

    def views(self) -> dict[str, Any]:
        """Every record on the device in REST shape, by id."""
        return dict(
            self.eval(
                "Object.fromEntries([...tawthiq.replica.states.keys()].map("
                "(id) => { const v = tawthiq.view(id); delete v.state; return [id, v]; }))"
            )
        )

    def wait_sent(self, timeout_ms: int = 20_000) -> None:
        """Wait (no clicking) until the waiting list is empty."""
        self.page.wait_for_function(
            "() => tawthiq.replica && tawthiq.replica.outboxSize === 0", timeout=timeout_ms
        )

    def sync(self) -> None:
        self.eval("tawthiq.syncNow()")

    def close(self) -> None:
        assert not self.errors, self.errors
        self.context.close()


def wait_until(page: Any, script: str, arg: Any = None, timeout_ms: int = 20_000) -> Any:
    """Evaluate `script` in `page` until it returns something truthy, and return that.

    For async checks: Playwright's `wait_for_function` does not await a promise the
    predicate returns; it counts the promise itself as truthy and returns at once.
    A page that navigates meanwhile (a reload into a new version) is simply asked again.
    """
    from playwright.sync_api import Error as PlaywrightError

    deadline = time.monotonic() + timeout_ms / 1000
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = page.evaluate(script, arg)
        except PlaywrightError as exc:  # the page was navigating: ask again
            last = exc
        else:
            if value:
                return value
        time.sleep(0.1)
    raise AssertionError(f"not true within {timeout_ms} ms: {script} ({last})")
