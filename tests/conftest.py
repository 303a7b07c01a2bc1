"""Fixtures for the whole suite: databases on SQLite and PostgreSQL, apps, users.

Every test that asks for `app` runs twice, once on a fresh SQLite file and once on a
PostgreSQL database made for this run (dropped at the end). Where no PostgreSQL can be
had the PostgreSQL half is skipped loudly; under CI=true that fails the run instead.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from support.api import ApiClient
from support.postgres import fresh_database, postgres_server

from app import create_app
from app.extensions import db

NO_POSTGRES = "no PostgreSQL server could be reached or started: PostgreSQL tests NOT RUN"


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str | None]:
    """An admin URL of a PostgreSQL server for this run, or None."""
    with postgres_server() as url:
        yield url


def need_postgres(url: str | None) -> str:
    """Return the URL, or skip (fail under CI) when there is no PostgreSQL."""
    if url is None:
        if os.environ.get("CI") == "true":
            pytest.fail(NO_POSTGRES)
        warnings.warn(NO_POSTGRES, stacklevel=2)
        pytest.skip(NO_POSTGRES)
    return url


@pytest.fixture(scope="session")
def postgres_url(postgres_admin_url: str | None) -> Iterator[str]:
    """A database of this run on PostgreSQL, with the models' tables, dropped at the end."""
    url = need_postgres(postgres_admin_url)
    with fresh_database(url) as db_url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "test", "TESTING": True})
        with app.app_context():
            db.create_all()
            db.engine.dispose()
        yield db_url


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL, empty of rows, on each backend in turn."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tawthiq.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Any]:
    """A Flask app on a clean database (tables from the models; migrations test apart)."""
    flask_app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret",
            "TESTING": True,
            "DATA_DIR": tmp_path / "data",
            # Cheap hashes: the suite makes hundreds of users; production keeps the default.
            "ARGON2": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
        }
    )
    with flask_app.app_context():
        if db.engine.dialect.name == "sqlite":
            db.create_all()
        else:
            _empty_postgres()
        yield flask_app
        db.session.remove()
        db.engine.dispose()


def _empty_postgres() -> None:
    names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    db.session.commit()


@pytest.fixture
def client(app: Any) -> ApiClient:
    """An anonymous API client (log in with `client.login`)."""
    return ApiClient(app.test_client())


@pytest.fixture
def new_client(app: Any) -> Callable[[], ApiClient]:
    """Make further independent clients (other browsers, other people)."""
    return lambda: ApiClient(app.test_client())


@pytest.fixture
def make_team(app: Any) -> Callable[..., Any]:
    """Create a team by name."""
    from app.services import accounts

    def make(name: str = "Khaldiyeh council") -> Any:
        return accounts.create_team(None, name)

    return make


@pytest.fixture
def make_user(app: Any) -> Callable[..., tuple[Any, str]]:
    """Create a user; returns (user, password). `role` and `team` go together."""
    from app.services import accounts

    counter = iter(range(1, 10_000))

    def make(
        username: str | None = None,
        *,
        team: Any = None,
        role: str | None = None,
        admin: bool = False,
        password: str = "correct horse battery",
    ) -> tuple[Any, str]:
        username = username or f"user{next(counter)}"
        memberships = [{"team_id": team.id, "role": role}] if team is not None else []
        user, _ = accounts.create_user(None, username, is_admin=admin, memberships=memberships)
        from app.security.passwords import hash_password

        user.password_hash = hash_password(password)
        user.must_change_password = False
        db.session.commit()
        return user, password

    return make


@pytest.fixture
def login_as(app: Any, make_user: Any) -> Callable[..., ApiClient]:
    """A logged-in client for a new user with the given role (or admin)."""

    def make(
        role: str | None = None, team: Any = None, admin: bool = False, **kw: Any
    ) -> ApiClient:
        user, password = make_user(team=team, role=role, admin=admin, **kw)
        api = ApiClient(app.test_client())
        response = api.login(user.username, password)
        assert response.status_code == 200, response.get_json()
        api.user_obj = user  # type: ignore[attr-defined]
        return api

    return make
