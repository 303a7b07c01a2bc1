"""Password guessing slows down, without letting a stranger lock the real user out.

Failures are counted in the database, per (account, address) and per address, with
doubling delays (429 + Retry-After). Waiting is simulated by moving `blocked_until` into
the past, so no test sleeps and none depends on how fast the machine hashes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from app import create_app
from app.db_types import utcnow
from app.extensions import db
from app.models import LoginThrottle
from app.services.auth import account_key, normalise_username

STRANGER = "203.0.113.7"
HOME = "198.51.100.20"
WRONG = "not the password"


def _login(client: Any, username: str, password: str, address: str) -> Any:
    return client.post(
        "/api/v1/session",
        json={"username": username, "password": password},
        headers={"X-CSRF-Token": "anonymous"},
        environ_base={"REMOTE_ADDR": address},
    )


def _row(key: str) -> LoginThrottle | None:
    db.session.expire_all()
    return db.session.get(LoginThrottle, key)


def _delay(key: str) -> int | None:
    """The block the last failure set for `key`, in seconds (None when not blocked)."""
    row = _row(key)
    if row is None or row.blocked_until is None:
        return None
    return round((row.blocked_until - row.last_failure_at).total_seconds())


def _wait_out() -> None:
    """Let every current block expire, as if the guesser had waited."""
    db.session.execute(
        sa.update(LoginThrottle).values(blocked_until=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()


@pytest.fixture
def mariam(make_user):
    return make_user("mariam")


def test_failures_are_counted_per_account_and_address_and_per_address(client, mariam):
    """Three wrong passwords from one address leave two counters of three in the database."""
    for _ in range(3):
        assert _login(client.client, "mariam", WRONG, STRANGER).status_code == 401
    assert _row(account_key("mariam", STRANGER)).failures == 3
    assert _row(f"addr:{STRANGER}").failures == 3
    assert _row("acct:mariam") is None  # nothing per account alone


def test_delays_double_and_answer_429_with_retry_after(client, mariam):
    """After the free attempts each failure doubles the wait; while it lasts even the
    right password from that address gets 429 with Retry-After, and is not counted."""
    key = account_key("mariam", STRANGER)
    delays = []
    for _ in range(5):  # LOGIN_FREE_FAILURES
        assert _login(client.client, "mariam", WRONG, STRANGER).status_code == 401
    delays.append(_delay(key))
    for _ in range(3):
        _wait_out()
        assert _login(client.client, "mariam", WRONG, STRANGER).status_code == 401
        delays.append(_delay(key))
    assert delays == [1, 2, 4, 8]

    response = _login(client.client, "mariam", mariam[1], STRANGER)
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "login_throttled"
    assert 1 <= int(response.headers["Retry-After"]) <= 8
    assert _row(key).failures == 8


def test_delay_is_capped(client, mariam, app):
    """However long the guessing goes on, one wait never exceeds LOGIN_MAX_DELAY_SECONDS."""
    app.config["LOGIN_FREE_FAILURES"] = 1
    app.config["LOGIN_MAX_DELAY_SECONDS"] = 3
    for _ in range(4):
        _wait_out()
        _login(client.client, "mariam", WRONG, STRANGER)
    assert _delay(account_key("mariam", STRANGER)) == 3


def test_stranger_hammering_does_not_lock_out_the_real_user(client, new_client, mariam, app):
    """While a stranger is blocked guessing Mariam's password from address X, and X is
    blocked for every account, Mariam logs in from her own address at once."""
    app.config["ADDRESS_FREE_FAILURES"] = 7
    # Blocks long enough that a slow machine cannot outlast them between two requests.
    app.config["LOGIN_BASE_DELAY_SECONDS"] = 60
    for _ in range(5):
        _login(client.client, "mariam", WRONG, STRANGER)
    assert _login(client.client, "mariam", WRONG, STRANGER).status_code == 429
    # The stranger moves on to other accounts from the same address until X is blocked.
    statuses = [_login(client.client, f"guess{i}", WRONG, STRANGER).status_code for i in range(3)]
    assert statuses == [401, 401, 429]

    real = new_client()
    assert _login(real.client, "mariam", mariam[1], HOME).status_code == 200


def test_success_resets_only_the_account_address_counter(client, new_client, mariam):
    """A successful login clears the failures for that account from that address, but not
    the address's own count (one valid account must not launder guesses at others)."""
    for _ in range(4):
        _login(client.client, "mariam", WRONG, STRANGER)
    assert _login(client.client, "mariam", mariam[1], STRANGER).status_code == 200
    assert _row(account_key("mariam", STRANGER)) is None
    assert _row(f"addr:{STRANGER}").failures == 4
    # Four more failures are again free: had the counter not been reset, the first of
    # them would already have started a delay. (A fresh browser: the one that logged in
    # now holds a session, whose CSRF token a new login would need.)
    guesser = new_client().client
    for _ in range(4):
        assert _login(guesser, "mariam", WRONG, STRANGER).status_code == 401
    assert _delay(account_key("mariam", STRANGER)) is None


def test_a_second_server_process_sees_the_same_counts(client, mariam, app, database_url):
    """Two app instances on one database (two waitress processes) share the counters:
    failures made through one block the guesser on the other."""
    other = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret",
            "TESTING": True,
            "DATA_DIR": app.config["DATA_DIR"],
        }
    )
    try:
        second = other.test_client()
        for i in range(5):  # alternate between the two processes
            c = client.client if i % 2 == 0 else second
            assert _login(c, "mariam", WRONG, STRANGER).status_code == 401
        assert _row(account_key("mariam", STRANGER)).failures == 5
        for _ in range(3):  # grow the block to 8 s so the next check is not a race
            _wait_out()
            _login(client.client, "mariam", WRONG, STRANGER)
        response = _login(second, "mariam", mariam[1], STRANGER)
        assert response.status_code == 429
        assert "Retry-After" in response.headers
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def test_a_password_typed_as_the_username_is_kept_nowhere(client, mariam):
    """People type their password into the username box. The failed login is counted and
    audited, but neither the throttle table nor the audit log holds what was typed;
    repeated tries of the same text share one fingerprint, and a real account is named."""
    from app.models import AuditEvent

    secret = "Dar3ya-2011!"
    for _ in range(2):
        assert _login(client.client, secret, WRONG, STRANGER).status_code == 401
    assert _login(client.client, "mariam", WRONG, STRANGER).status_code == 401
    db.session.expire_all()
    keys = [r.key for r in db.session.scalars(sa.select(LoginThrottle))]
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "login_failed")
    ).all()
    stored = " ".join(keys + [f"{e.actor_name} {e.target_id} {e.details}" for e in events])
    assert secret.lower() not in stored.lower()
    names = [e.actor_name for e in events]
    assert len(names) == 3 and names[0] == names[1] and names[0].startswith("unknown user #")
    assert names[2] == "mariam"
    assert _row(account_key(normalise_username(secret), STRANGER)).failures == 2
