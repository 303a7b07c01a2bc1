"""Who is making the request: loaded once per request from the session cookie or a token."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, request

from app.db_types import utcnow
from app.extensions import db
from app.models import User, UserSession


@dataclass
class Principal:
    """The authenticated caller. `via` says how: a browser session or a bearer token."""

    user: User | None
    via: str  # "session" | "token"
    session: UserSession | None = None
    scopes: dict[str, object] = field(default_factory=dict)
    _grants: dict[str, str] | None = field(default=None, repr=False, compare=False)
    # {team id: role} of the user's memberships, read once per principal (one request):
    # a write commits the request's read transaction, which would expire and reload them.
    _roles: dict[str, str] | None = field(default=None, repr=False, compare=False)

    @property
    def is_admin(self) -> bool:
        return bool(self.user and self.user.is_admin)

    def grants(self) -> dict[str, str]:
        """Other hubs' teams this user reads through a peer's sharing rule:
        {team id: "coordinator" | "reader"} (see services/peer_rules.py)."""
        if self._grants is None:
            self._grants = {}
            if self.user is not None:
                for loader in GRANT_LOADERS:
                    self._grants.update(loader(self.user))
        return self._grants

    def own_roles(self) -> dict[str, str]:
        """{team id: role} of the user's own memberships (cached on the principal)."""
        if self._roles is None:
            self._roles = {}
            if self.user is not None:
                for m in self.user.memberships:
                    self._roles.setdefault(m.team_id, m.role)
        return self._roles

    def role_in(self, team_id: str) -> str | None:
        if not self.user:
            return None
        return self.own_roles().get(team_id) or self.grants().get(team_id)

    def team_ids(self, role: str | None = None) -> set[str]:
        """Teams the caller belongs to (optionally only those where they hold `role`;
        with a role, teams of other hubs granted through a peer's rule count too)."""
        if not self.user:
            return set()
        own = {t for t, r in self.own_roles().items() if role is None or r == role}
        if role is None:
            return own
        return own | {t for t, r in self.grants().items() if r == role}


def token_hash(token: str) -> str:
    """How tokens are kept in the database: their sha256, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


_KEY = "tawthiq.principal"

# Other kinds of bearer token (devices, partners, peers) register a loader here.
TOKEN_LOADERS: list = []
# Sources of team access beyond memberships (peer sharing rules) register here.
GRANT_LOADERS: list = []


def _load_session() -> Principal | None:
    token = request.cookies.get(current_app.config["SESSION_COOKIE_NAME"])
    if not token:
        return None
    row = db.session.scalar(
        sa.select(UserSession).where(UserSession.token_hash == token_hash(token))
    )
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    if row.last_seen_at + idle <= now:
        return None
    user = db.session.get(User, row.user_id)
    if user is None or user.disabled:
        return None
    # Refresh at most once a minute: an update per request would serialise readers on SQLite.
    if now - row.last_seen_at > timedelta(minutes=1):
        # A write: on SQLite it must start as one (a read transaction cannot be upgraded
        # while devices push). The refresh is best effort; the session stays valid.
        from app.database import begin_write

        begin_write()
        db.session.execute(
            sa.update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now)
        )
        db.session.commit()
    return Principal(user=user, via="session", session=row)


def current_principal() -> Principal | None:
    """The caller of this request, or None when anonymous (cached on the request).

    Cached in the WSGI environ rather than `g`: `g` belongs to the app context, which a
    CLI command or test may keep open across several requests.
    """
    if _KEY not in request.environ:
        principal = None
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            for loader in TOKEN_LOADERS:
                principal = loader(auth.removeprefix("Bearer ").strip())
                if principal is not None:
                    break
        else:
            principal = _load_session()
        request.environ[_KEY] = principal
    return request.environ[_KEY]
