"""On SQLite a read transaction cannot be upgraded to a write once another connection
committed: "database is locked" at once, whatever the busy timeout. Handshake and pull
record device contact; they must do it in a write transaction (`begin_write`), or a
device syncing while another pushes gets a 500 (found by the lossy-link soak)."""

from __future__ import annotations

import sqlite3

import pytest
from support.sync_clients import Phone

from app.extensions import db
from app.services import sync_serve


@pytest.fixture
def coordinator(app, login_as, make_team):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's read-to-write upgrade")
    return login_as("coordinator", make_team("Rastan"))


def _interloper() -> bool:
    """Another connection commits a write now; False when our write lock held it off."""
    conn = sqlite3.connect(db.engine.url.database, timeout=0.2, isolation_level=None)
    try:
        conn.execute("UPDATE teams SET name = name")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()


def _with_interloper(monkeypatch, name: str) -> list[bool]:
    """Let another connection write just after the request's first reads."""
    original = getattr(sync_serve, name)
    wrote: list[bool] = []

    def wrapped(*args, **kwargs):
        wrote.append(_interloper())
        return original(*args, **kwargs)

    monkeypatch.setattr(sync_serve, name, wrapped)
    return wrote


def test_handshake_survives_a_write_committed_after_its_reads(app, coordinator, monkeypatch):
    phone = Phone(coordinator, app.test_client())
    wrote = _with_interloper(monkeypatch, "access_epoch")
    info = phone.transport.handshake(phone.replica.hello(), own_seq=3)
    assert wrote and info.hub_seq == 0
    assert phone.transport.last_handshake["hub_id"]


def test_pull_survives_a_write_committed_after_its_reads(app, coordinator, monkeypatch):
    phone = Phone(coordinator, app.test_client())
    wrote = _with_interloper(monkeypatch, "readable_clause")
    page = phone.transport.pull(0, 10)
    assert wrote and page.changes == [] and page.hub_seq == 0
