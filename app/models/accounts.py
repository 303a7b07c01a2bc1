"""Teams, users, their roles in teams, and their server-side sessions."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import UTCDateTime, new_id, utcnow
from app.extensions import db

ROLES = ("reporter", "coordinator")


class Team(db.Model):  # type: ignore[name-defined,misc]
    """A council or organisation whose records are kept apart from every other team's."""

    __tablename__ = "teams"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # None for this hub's own teams; for a team whose records arrived from a peer, the
    # id of the hub where the team lives (team ids are UUIDs, the same on every hub).
    origin_hub: Mapped[str | None] = mapped_column(sa.String(128), nullable=True)

    memberships: Mapped[list[Membership]] = relationship(back_populates="team")


class User(db.Model):  # type: ignore[name-defined,misc]
    """A person who logs in. `is_admin` is deployment-wide; team roles live in Membership."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(200), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    is_admin: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    disabled: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    must_change_password: Mapped[bool] = mapped_column(
        sa.Boolean, default=False, server_default=sa.false()
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def role_in(self, team_id: str) -> str | None:
        """The user's role in a team, or None when not a member."""
        for m in self.memberships:
            if m.team_id == team_id:
                return m.role
        return None


class Membership(db.Model):  # type: ignore[name-defined,misc]
    """A user's role (reporter or coordinator) in one team."""

    __tablename__ = "memberships"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "team_id", name="uq_memberships_user_team"),
        sa.CheckConstraint("role IN ('reporter', 'coordinator')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    team_id: Mapped[str] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(sa.String(20))

    user: Mapped[User] = relationship(back_populates="memberships")
    team: Mapped[Team] = relationship(back_populates="memberships")


class UserSession(db.Model):  # type: ignore[name-defined,misc]
    """A browser session. Only the token's hash is stored; revoking a row ends it at once."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    address: Mapped[str] = mapped_column(sa.String(64), default="")
    csrf_token: Mapped[str] = mapped_column(sa.String(64))
