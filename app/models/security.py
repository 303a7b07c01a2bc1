"""Failed-login counters, kept in the database so every server process shares them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime
from app.extensions import db


class LoginThrottle(db.Model):  # type: ignore[name-defined,misc]
    """Failures counted for one key.

    Keys are `account|address` (slows guessing one account from one place without
    touching the real user elsewhere) and `address` (slows one place guessing many
    accounts). No key is per account alone: a stranger must not lock the real user out.
    """

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(sa.Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime())
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
