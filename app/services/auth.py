"""Logging in and out, sessions, password changes, and failed-login throttling."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from app.api.errors import ApiError
from app.database import begin_write
from app.db_types import utcnow
from app.extensions import db
from app.models import LoginThrottle, User, UserSession
from app.security.passwords import hash_password, password_problem, verify_password
from app.security.principal import token_hash
from app.services.audit import audit, client_address


@dataclass
class NewSession:
    """A session just opened: the cookie token is only ever seen here."""

    token: str
    row: UserSession
    user: User


def normalise_username(username: str) -> str:
    """Usernames compare case-insensitively and without surrounding space."""
    return username.strip().lower()


def account_key(username: str, address: str) -> str:
    """The throttle counter of one (typed username, address): the name only as a keyed
    fingerprint (see `_fingerprint`)."""
    return f"acct:{_fingerprint(username, 32)}|{address}"


def _throttle_keys(username: str, address: str) -> list[tuple[str, int]]:
    cfg = current_app.config
    return [
        (account_key(username, address), cfg["LOGIN_FREE_FAILURES"]),
        (f"addr:{address}", cfg["ADDRESS_FREE_FAILURES"]),
    ]


def _blocked_seconds(keys: list[tuple[str, int]], now: datetime) -> int:
    rows = db.session.scalars(
        sa.select(LoginThrottle).where(LoginThrottle.key.in_([k for k, _ in keys]))
    ).all()
    waits = [
        (row.blocked_until - now).total_seconds()
        for row in rows
        if row.blocked_until is not None and row.blocked_until > now
    ]
    return math.ceil(max(waits)) if waits else 0


def _count_failure(keys: list[tuple[str, int]], now: datetime) -> None:
    """Add one failure to each key atomically (an upsert), then set its delay.

    A read-then-write would lose counts when several processes see failures at once.
    """
    max_delay = current_app.config["LOGIN_MAX_DELAY_SECONDS"]
    base = current_app.config["LOGIN_BASE_DELAY_SECONDS"]
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = LoginThrottle.__table__
    for key, free in keys:
        stmt = insert(table).values(key=key, failures=1, last_failure_at=now)
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={"failures": table.c.failures + 1, "last_failure_at": now},
        ).returning(table.c.failures)
        failures = int(db.session.execute(stmt).scalar_one())
        over = failures - free
        if over >= 0:
            # Doubling delays: base, 2×base, 4×base … up to the cap.
            db.session.execute(
                sa.update(LoginThrottle)
                .where(LoginThrottle.key == key)
                .values(blocked_until=now + timedelta(seconds=min(max_delay, base * 2**over)))
            )


def _failed_name(username: str, user: User | None) -> str:
    """What the audit log names for a failed login: the account when it exists; for an
    unknown name only a keyed fingerprint, because people type their password into the
    username field, and the log must not keep it. Repeated tries of the same unknown name
    share a fingerprint, so a coordinator still sees them as one."""
    if user is not None:
        return user.username[:80]
    return f"unknown user #{_fingerprint(username, 12)}"


def _fingerprint(username: str, length: int) -> str:
    """A keyed hash of a typed username: equal for equal names, says nothing of the name
    (the throttle table and the audit log may hold a password typed in the wrong box)."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, username.encode(), hashlib.sha256).hexdigest()[:length]


def login(username: str, password: str) -> NewSession:
    """Check credentials and open a session, or raise 401/429 (counting the failure)."""
    begin_write()
    username = normalise_username(username)
    address = client_address()
    keys = _throttle_keys(username, address)
    now = utcnow()
    wait = _blocked_seconds(keys, now)
    if wait:
        raise ApiError(
            429,
            f"Too many failed logins from this address; try again in {wait} s.",
            "login_throttled",
            headers={"Retry-After": str(wait)},
        )
    user = db.session.scalar(sa.select(User).where(User.username == username))
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or user.disabled:
        _count_failure(keys, now)
        audit(
            "login_failed",
            user,
            actor_name=_failed_name(username, user),
            target_type="user",
            target_id=user.id if user else "",
            reason="disabled" if (ok and user and user.disabled) else "bad_credentials",
        )
        db.session.commit()
        raise ApiError(401, "Wrong username or password.", "bad_credentials")
    db.session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key == keys[0][0]))
    token = secrets.token_urlsafe(32)
    hours = current_app.config["SESSION_LIFETIME_HOURS"]
    row = UserSession(
        token_hash=token_hash(token),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=hours),
        address=address,
        csrf_token=secrets.token_urlsafe(24),
    )
    db.session.add(row)
    audit("login", user, target_type="user", target_id=user.id)
    db.session.commit()
    return NewSession(token=token, row=row, user=user)


def logout(session_row: UserSession, user: User) -> None:
    """End one session."""
    begin_write()
    session_row.revoked_at = utcnow()
    audit("logout", user, target_type="user", target_id=user.id)
    db.session.commit()


def end_all_sessions(user: User) -> int:
    """Revoke every open session of a user (disable, password reset). Returns the count."""
    result = db.session.execute(
        sa.update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def change_own_password(
    user: User, session_row: UserSession | None, current: str, new: str
) -> None:
    """A user changes their own password; their other sessions end."""
    begin_write()
    if not verify_password(user.password_hash, current):
        raise ApiError(
            422,
            "The current password is wrong.",
            fields={"current_password": ["The current password is wrong."]},
        )
    problem = password_problem(new)
    if problem:
        raise ApiError(422, problem, fields={"new_password": [problem]})
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.password_changed_at = utcnow()
    db.session.execute(
        sa.update(UserSession)
        .where(
            UserSession.user_id == user.id,
            UserSession.revoked_at.is_(None),
            UserSession.id != (session_row.id if session_row else -1),
        )
        .values(revoked_at=utcnow())
    )
    audit("password_changed", user, target_type="user", target_id=user.id)
    db.session.commit()
