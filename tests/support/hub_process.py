"""A prepared hub for the fault, ordering, scale-out and soak tests.

`prepare_hub` migrates a database (SQLite in the data folder, or a PostgreSQL URL) and
makes a team and a coordinator in-process, so a test pays for one server start only.
`Phone` is a reference-client replica registered over real HTTP with its own device
token; its hub address can be moved (restart on a new port, another process, a proxy).
`hub_changes` / `assert_cache_is_materialisation` read the hub's database directly.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa

from app.sync_transport import HttpReply, HttpTransport, urllib_sender
from support.server import ServerProcess
from sync import Change, Hello, HubInfo, RecordState, Replica, link_merges, materialise

PASSWORD = "a long enough test password"


@dataclass
class HubData:
    """A migrated data folder and database with one team and its coordinator."""

    data_dir: Path
    database_url: str | None
    team_id: str
    username: str
    password: str = PASSWORD

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'tawthiq.db'}"

    def server(self, **env: str) -> ServerProcess:
        """A (not yet started) `tawthiq serve` on this data folder and database."""
        return ServerProcess(self.data_dir, self.database_url, **env)


def prepare_hub(data_dir: Path, database_url: str | None = None) -> HubData:
    """Migrate (as `tawthiq setup` does) and create team "Rastan" and coordinator "huda"."""
    from app import create_app, migrate
    from app.extensions import db
    from app.security.passwords import hash_password
    from app.services import accounts

    data_dir.mkdir(parents=True, exist_ok=True)
    url = database_url or f"sqlite:///{data_dir / 'tawthiq.db'}"
    migrate.upgrade(url)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "DATA_DIR": data_dir,
            "ARGON2": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
        }
    )
    with app.app_context():
        team = accounts.create_team(None, "Rastan")
        user, _ = accounts.create_user(
            None, "huda", memberships=[{"team_id": team.id, "role": "coordinator"}]
        )
        user.password_hash = hash_password(PASSWORD)
        user.must_change_password = False
        db.session.commit()
        hub = HubData(data_dir, database_url, team.id, "huda")
        db.session.remove()
        db.engine.dispose()
    return hub


def login(base_url: str, username: str, password: str = PASSWORD) -> tuple[requests.Session, str]:
    """A logged-in browser session and its CSRF token."""
    s = requests.Session()
    r = s.post(
        f"{base_url}/api/v1/session",
        json={"username": username, "password": password},
        headers={"X-CSRF-Token": "login"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return s, r.json()["csrf_token"]


class _OwnSeqTransport(HttpTransport):
    """The HTTP transport, reporting the phone's highest written seq at handshake (what
    the monitor compares with what the hub holds)."""

    def __init__(self, phone: Phone, token: str) -> None:
        super().__init__(phone.send, token)
        self.phone = phone

    def handshake(self, hello: Hello, own_seq: int = 0) -> HubInfo:
        return super().handshake(hello, own_seq=self.phone.replica.next_seq - 1)


class Phone:
    """A field phone: a reference-client replica with its own device token."""

    def __init__(
        self, base_url: str, session: requests.Session, csrf: str, name: str = "phone"
    ) -> None:
        clock = itertools.count(1_800_000_000_000, 1000)
        self.base_url = base_url
        self.replica = Replica(
            f"dev-{uuid.uuid4()}", "", clock=lambda: next(clock), new_id=lambda: str(uuid.uuid4())
        )
        r = session.post(
            f"{base_url}/api/v1/devices",
            headers={"X-CSRF-Token": csrf},
            json={"name": name, "origin_id": self.replica.origin_id, "public_key": "k"},
            timeout=30,
        )
        assert r.status_code == 201, r.text
        self.replica.author = r.json()["device"]["user_id"]
        self.token = r.json()["token"]
        self.transport = _OwnSeqTransport(self, self.token)

    def send(self, method: str, path: str, payload: Any, headers: dict[str, str]) -> HttpReply:
        return urllib_sender(self.base_url, timeout=90)(method, path, payload, headers)

    def sync(self, page_size: int = 500) -> Any:
        return self.replica.sync(self.transport, "hub", page_size)

    def push_raw(self, changes: list[Change]) -> HttpReply:
        """One push request; the hub's answer as it came (status and body)."""
        return self.send(
            "POST",
            "/api/v1/sync/push",
            {"changes": [c.to_dict() for c in changes]},
            dict(self.transport._headers),
        )


class Puller:
    """A device pulling small pages in a loop (limit=1 by default), keeping every page it
    was given: what a device that checkpoints after each page would hold."""

    def __init__(self, phone: Phone, limit: int = 1) -> None:
        self.phone = phone
        self.limit = limit
        self.cursor = 0
        self.seen: list[str] = []  # op ids in the order pages brought them
        self.cursors: list[int] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            while True:
                stopping = self.stop.is_set()
                page = self.phone.transport.pull(self.cursor, self.limit)
                assert len(page.changes) <= self.limit
                assert page.hub_seq >= self.cursor
                self.seen += [c.op_id for c in page.changes]
                self.cursor = page.hub_seq
                self.cursors.append(page.hub_seq)
                if stopping and not page.more:
                    return
                if not page.more:
                    time.sleep(0.02)
        except BaseException as exc:
            self.error = exc

    def finish(self) -> None:
        self.stop.set()
        self.thread.join(60)
        assert not self.thread.is_alive()
        if self.error is not None:
            raise self.error


def _engine(db_url: str) -> sa.engine.Engine:
    return sa.create_engine(db_url, poolclass=sa.pool.NullPool)


def hub_changes(db_url: str) -> list[tuple[int, Change]]:
    """Every change the hub holds, with its hub_seq, in hub_seq order."""
    engine = _engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT hub_seq, body FROM changes ORDER BY hub_seq")).all()
    engine.dispose()
    return [(int(seq), Change.from_dict(json.loads(body))) for seq, body in rows]


def hub_records(db_url: str) -> dict[str, RecordState]:
    """The hub's records cache (placeholders left out)."""
    engine = _engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, state FROM records")).all()
    engine.dispose()
    states = {}
    for rid, state in rows:
        state = json.loads(state) if isinstance(state, str) else state
        if state:
            states[rid] = RecordState.from_dict(state)
    return link_merges(dict(sorted(states.items())))


def assert_cache_is_materialisation(db_url: str) -> list[tuple[int, Change]]:
    """The records cache equals `sync.materialise` of the hub's change bodies; hub_seq
    runs 1..N without gaps; every op id is held once. Returns the changes."""
    changes = hub_changes(db_url)
    assert [seq for seq, _ in changes] == list(range(1, len(changes) + 1))
    assert len({c.op_id for _, c in changes}) == len(changes)
    assert hub_records(db_url) == materialise(c for _, c in changes)
    return changes
