"""Hubs without servers for tests: an app on its own SQLite database and data folder,
the CLI run in-process, and a sender that carries sync requests to another such hub
through Flask's test client (so `peer sync` runs without sockets)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from click.testing import CliRunner

from app import create_app
from app.cli import main
from app.extensions import db
from app.security.principal import Principal
from app.sync_transport import HttpReply, Sender

CHEAP = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


class LocalHub:
    """A hub without a server: an app on its own database and data folder."""

    def __init__(self, base: Path, name: str) -> None:
        self.name = name
        self.dir = base / name
        self.dir.mkdir(parents=True)
        self.config = {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{self.dir / 'tawthiq.db'}",
            "DATA_DIR": self.dir,
            "SECRET_KEY": "test",
            "TESTING": True,
            "ARGON2": CHEAP,
        }
        self.app = create_app(self.config)
        with self.app.app_context():
            db.create_all()
        self.teams: dict[str, str] = {}

    def cli(self, *args: str, ok: bool = True, env: dict[str, str] | None = None) -> Any:
        result = CliRunner().invoke(main, list(args), obj={"config": self.config}, env=env)
        if ok:
            assert result.exit_code == 0, (args, result.output, result.exception)
        return result

    def run(self, fn: Any, *args: Any, **kw: Any) -> Any:
        with self.app.app_context():
            try:
                return fn(*args, **kw)
            finally:
                db.session.remove()

    def team(self, name: str) -> str:
        from app.services import accounts

        self.teams[name] = self.run(lambda: accounts.create_team(None, name).id)
        return self.teams[name]

    def coordinator(self, *teams: str) -> str:
        from app.services import accounts

        def make() -> str:
            user, _ = accounts.create_user(
                None,
                f"coord{uuid.uuid4().hex[:6]}",
                memberships=[{"team_id": self.teams[t], "role": "coordinator"} for t in teams],
            )
            return str(user.id)

        self.user_id = self.run(make)
        return self.user_id

    def create(self, team: str, description: str, **extra: Any) -> str:
        from app.models import User
        from app.services import records

        def go() -> str:
            user = db.session.get(User, self.user_id)
            row = records.create(
                Principal(user=user, via="session"),
                {
                    "kind": "incident",
                    "team_id": self.teams[team],
                    "event_type": "armed_clash",
                    "description": description,
                    **extra,
                },
            )
            return str(row.id)

        return self.run(go)

    def patch(self, record_id: str, body: dict[str, Any]) -> Any:
        """Change a record through the REST service as the coordinator (raises ApiError)."""
        from app.models import User
        from app.services import records

        def go() -> Any:
            user = db.session.get(User, self.user_id)
            principal = Principal(user=user, via="session")
            return records.update(principal, record_id, body, if_match=None, replace=False).id

        return self.run(go)

    def write_raw(self, record_id: str, kind: str, action: str, patch: dict[str, Any]) -> str:
        """Write a change as this hub's coordinator straight into the change log (no REST
        validation), e.g. a kind whose REST body needs many fields. Returns its op id."""
        from app.services import changelog
        from app.services.records import _local_change

        def go() -> str:
            made: list[Any] = []

            def build(states: dict[str, Any]) -> list[Any]:
                state = states.get(record_id)
                made.append(
                    _local_change(
                        changelog.LocalClock(),
                        record_id,
                        kind,
                        action,
                        patch,
                        self.user_id,
                        list(state.heads) if state else [],
                    )
                )
                return made

            team = patch.get("team_id", "")
            changelog.write([record_id], build, via="rest", team_of=lambda _c, _s: team)
            return str(made[0].op_id)

        return self.run(go)

    def snapshot(self) -> dict[str, Any]:
        """Everything an import could touch."""

        def take() -> dict[str, Any]:
            out = {}
            for table in ("changes", "records", "parked_changes", "bundles", "teams", "peers"):
                rows = db.session.execute(sa.text(f"SELECT * FROM {table}")).all()  # noqa: S608
                out[table] = sorted(map(repr, rows))
            return out

        return self.run(take)

    def ops(self) -> set[str]:
        return set(self.run(lambda: list(db.session.scalars(sa.text("SELECT op_id FROM changes")))))

    def records(self) -> dict[str, Any]:
        def take() -> dict[str, Any]:
            rows = db.session.execute(sa.text("SELECT id, state FROM records")).all()
            # (a change that was parked leaves only an empty placeholder row to lock)
            return {rid: json.loads(state) for rid, state in rows if json.loads(state)}

        return self.run(take)


def flask_sender(hub: LocalHub) -> Sender:
    """A `Sender` (see app/sync_transport.py) that calls another in-process hub."""
    client = hub.app.test_client()

    def send(method: str, path: str, payload: Any, headers: dict[str, str]) -> HttpReply:
        response = client.open(path, method=method, json=payload, headers=headers)
        return HttpReply(response.status_code, response.get_json())

    return send
