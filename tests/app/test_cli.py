"""The hub's keyboard: `tawthiq setup`, `team create`, `user create|reset-password|disable`.

Each command runs through click's CliRunner on a blank database of each backend, with
the real migrations (as `make run` does), and one new app per command, as one process
per command would have.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from conftest import need_postgres
from support.postgres import fresh_database

from app import create_app
from app.cli import main
from app.extensions import db


@pytest.fixture(params=["sqlite", "postgres"])
def blank_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database with no tables at all, for the migrations to build."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hub.db'}"
        return
    admin_url = need_postgres(request.getfixturevalue("postgres_admin_url"))
    with fresh_database(admin_url) as url:
        yield url


@pytest.fixture
def config(blank_url: str, tmp_path: Path) -> dict[str, Any]:
    return {
        "SQLALCHEMY_DATABASE_URI": blank_url,
        "SECRET_KEY": "test-secret",
        "DATA_DIR": tmp_path / "data",
    }


@pytest.fixture
def tawthiq(config: dict[str, Any]):
    """Run one `tawthiq ...` command; returns click's Result (and fails on a crash)."""

    def run(*args: str, ok: bool = True) -> Any:
        obj: dict[str, Any] = {"config": config}
        result = CliRunner().invoke(main, list(args), obj=obj)
        if "app" in obj:
            with obj["app"].app_context():
                db.session.remove()
                db.engine.dispose()
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        assert (result.exit_code == 0) == ok, result.output
        return result

    return run


@pytest.fixture
def web(config: dict[str, Any]) -> Iterator[Any]:
    """A test client of the app on the same database, as a browser would reach it."""
    app = create_app({**config, "TESTING": True})
    yield app.test_client()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _login(web: Any, username: str, password: str) -> Any:
    web.delete_cookie("tawthiq_session")
    return web.post(
        "/api/v1/session",
        json={"username": username, "password": password},
        headers={"X-CSRF-Token": "anonymous"},
    )


def _printed_password(output: str) -> str:
    match = re.search(r"(?:password: |\(shown once\): )(\S+)", output)
    assert match, output
    return match.group(1)


def _stored(config: dict[str, Any]) -> bytes:
    """Everything the database holds, as bytes: the files for SQLite, every row for
    PostgreSQL."""
    url = config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        tables = conn.execute(
            sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ).scalars()
        text = "\n".join(
            str(row)
            for table in list(tables)
            # Table names come from pg_tables, not from any input.
            for row in conn.execute(sa.text(f'SELECT CAST(t AS text) FROM "{table}" t')).scalars()  # noqa: S608
        )
    engine.dispose()
    return text.encode()


def test_setup_prints_a_first_admin_password_once(tawthiq, web):
    """The first `setup` creates an admin and prints its password; the second prints none.
    The printed password logs in, and must be changed first."""
    first = tawthiq("setup")
    assert "username: admin" in first.output
    password = _printed_password(first.output)
    second = tawthiq("setup")
    assert "password" not in second.output.lower()

    response = _login(web, "admin", password)
    assert response.status_code == 200
    assert response.get_json()["user"]["must_change_password"] is True


def test_team_and_user_commands(tawthiq, web):
    """A team and a coordinator made at the keyboard exist for the API, with that role."""
    tawthiq("setup")
    team_id = tawthiq("team", "create", "Khaldiyeh council").output.strip()
    assert team_id in tawthiq("team", "list").output
    created = tawthiq(
        "user", "create", "sara", "--team", "Khaldiyeh council", "--role", "coordinator"
    )
    password = _printed_password(created.output)

    response = _login(web, "sara", password)
    assert response.status_code == 200
    assert response.get_json()["user"]["memberships"] == [
        {"team_id": team_id, "team_name": "Khaldiyeh council", "role": "coordinator"}
    ]
    again = tawthiq("user", "create", "sara", ok=False)
    assert "taken" in again.output.lower()
    assert "go together" in tawthiq("user", "create", "omar", "--team", "x", ok=False).output


def test_reset_password_and_disable(tawthiq, web):
    """`user reset-password` prints a new password that works (the old one stops);
    `user disable` stops the user logging in."""
    tawthiq("setup")
    old = _printed_password(tawthiq("user", "create", "omar").output)
    new = _printed_password(tawthiq("user", "reset-password", "omar").output)
    assert new != old
    assert _login(web, "omar", old).status_code == 401
    assert _login(web, "omar", new).status_code == 200

    tawthiq("user", "disable", "omar")
    assert _login(web, "omar", new).status_code == 401
    assert "No user" in tawthiq("user", "disable", "nobody", ok=False).output


def test_passwords_are_never_stored_in_plain_text(tawthiq, config):
    """Only argon2id hashes are stored: no printed password appears anywhere in the
    database, byte for byte."""
    printed = [_printed_password(tawthiq("setup").output)]
    printed.append(_printed_password(tawthiq("user", "create", "omar").output))
    printed.append(_printed_password(tawthiq("user", "reset-password", "omar").output))

    engine = sa.create_engine(config["SQLALCHEMY_DATABASE_URI"], poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        hashes = conn.execute(sa.text("SELECT password_hash FROM users")).scalars().all()
    engine.dispose()
    assert len(hashes) == 2
    assert all(h.startswith("$argon2id$") for h in hashes)
    stored = _stored(config)
    assert b"$argon2id$" in stored  # the check below looks at the right bytes
    assert [p for p in printed if p.encode() in stored] == []
