"""Real hubs for replication tests: a `tawthiq serve` each, set up in-process.

Accounts, teams and tokens are made through the services against the hub's own
database and data folder (a CLI subprocess per step would cost a second each); the
server process reads them like anything else in its database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa

from app import create_app, migrate
from app.extensions import db
from support.server import ServerProcess

PASSWORD = "a long enough test password"
CHEAP_ARGON2 = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


class Hub:
    """One hub: its server process, an in-process app on the same database, a browser."""

    def __init__(
        self, name: str, base: Path, database_url: str | None = None, serve_args: tuple = ()
    ) -> None:
        self.name = name
        self.data_dir = base / name
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.database_url = database_url or f"sqlite:///{self.data_dir / 'tawthiq.db'}"
        self.proc = ServerProcess(self.data_dir, database_url, serve_args=serve_args)
        migrate.upgrade(self.database_url)
        self.app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": self.database_url,
                "DATA_DIR": self.data_dir,
                "ARGON2": CHEAP_ARGON2,
            }
        )
        self.teams: dict[str, str] = {}
        self.browser: requests.Session | None = None
        self.csrf = ""

    @contextmanager
    def ctx(self) -> Iterator[None]:
        with self.app.app_context():
            try:
                yield
            finally:
                db.session.remove()

    @property
    def url(self) -> str:
        return self.proc.url

    def hub_id(self) -> str:
        from app.services.changelog import hub_identity

        with self.ctx():
            ident = hub_identity().origin_id
            db.session.commit()
            return ident

    def fingerprint(self) -> str:
        from app.services import hub_keys

        with self.ctx():
            return hub_keys.current().fingerprint

    def team(self, name: str) -> str:
        from app.services import accounts

        with self.ctx():
            self.teams[name] = accounts.create_team(None, name).id
        return self.teams[name]

    def coordinator(self, username: str, *teams: str) -> None:
        """A coordinator of the given teams, logged in as `self.browser`."""
        from app.security.passwords import hash_password
        from app.services import accounts

        with self.ctx():
            user, _ = accounts.create_user(
                None,
                username,
                memberships=[{"team_id": self.teams[t], "role": "coordinator"} for t in teams],
            )
            user.password_hash = hash_password(PASSWORD)
            user.must_change_password = False
            db.session.commit()
        self.username = username

    def login(self) -> None:
        s = requests.Session()
        r = s.post(
            f"{self.url}/api/v1/session",
            json={"username": self.username, "password": PASSWORD},
            headers={"X-CSRF-Token": "x"},
            timeout=30,
        )
        assert r.status_code == 200, r.text
        self.browser, self.csrf = s, r.json()["csrf_token"]

    def api(self, method: str, path: str, **kw: Any) -> requests.Response:
        assert self.browser is not None
        headers = {"X-CSRF-Token": self.csrf, **kw.pop("headers", {})}
        return self.browser.request(
            method, f"{self.url}/api/v1{path}", headers=headers, timeout=60, **kw
        )

    def issue_token(self, for_name: str, teams: list[str], **rule: Any) -> str:
        from app.services import peer_rules

        with self.ctx():
            doc = peer_rules.make_rule(
                teams,
                rule.get("kinds"),
                rule.get("max_sensitivity"),
                rule.get("allow_edits", False),
                rule.get("readers", []),
            )
            _row, token = peer_rules.create_token(for_name, doc, rule.get("expires"))
        return token

    def add_peer(self, name: str, url: str, token: str, teams: list[str] | None, **rule: Any):
        from app.services import peer_rules

        with self.ctx():
            doc = peer_rules.make_rule(
                teams,
                rule.get("kinds"),
                rule.get("max_sensitivity"),
                rule.get("allow_edits", False),
                rule.get("readers", []),
            )
            peer = peer_rules.get_or_create_peer(name)
            peer.rule, peer.url, peer.token = doc, url, token
            if rule.get("fingerprint"):
                peer.fingerprint = rule["fingerprint"]
            db.session.commit()

    def engine(self) -> sa.Engine:
        return sa.create_engine(self.database_url, poolclass=sa.pool.NullPool)

    def query(self, sql: str, **params: Any) -> list[Any]:
        engine = self.engine()
        try:
            with engine.connect() as conn:
                return list(conn.execute(sa.text(sql), params).all())
        finally:
            engine.dispose()

    def close(self) -> None:
        self.proc.stop()
        with self.app.app_context():
            db.engine.dispose()


def run_cli(hub: Hub, *args: str) -> Any:
    """Run a `tawthiq` command in-process against the hub's database and data folder."""
    from click.testing import CliRunner

    from app.cli import main

    obj: dict[str, Any] = {"config": dict(hub.app.config)}
    result = CliRunner().invoke(main, list(args), obj=obj)
    if "app" in obj:
        with obj["app"].app_context():
            db.engine.dispose()
    return result
