"""Partner tokens: issued by a coordinator for one team, one recipient and one profile.

A partner's script sends `Authorization: Bearer tpt_…` to `GET /api/v1/partner/export`
and gets only what the token allows: its team, its profile (never `internal`), within
its filters, until it expires or is revoked (at once: every request looks the token up).
Issue, every use and revocation are audit events. Only the token's sha256 is stored.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.api.errors import ApiError
from app.db_types import utcnow
from app.extensions import db
from app.models import PartnerToken, User
from app.security import principal as principals
from app.security.principal import Principal, token_hash
from app.services.audit import audit

__all__ = [
    "TOKEN_PREFIX",
    "TOKEN_PROFILES",
    "issue",
    "load_partner_principal",
    "revoke",
    "token_view",
    "visible_tokens",
]

TOKEN_PREFIX = "tpt_"  # noqa: S105  (a marker telling token kinds apart, not a secret)
TOKEN_PROFILES = ("partner", "public", "tracing")
FILTER_KEYS = ("kinds", "place", "verification", "date_from", "date_to")
MAX_DAYS = 366


def _may_manage(principal: Principal, team_id: str) -> bool:
    return principal.role_in(team_id) == "coordinator" or principal.is_admin


def issue(
    actor: User | None,
    team_id: str,
    recipient: str,
    profile: str,
    filters: dict[str, Any] | None = None,
    expires_at: datetime | None = None,
    *,
    principal: Principal | None = None,
) -> tuple[PartnerToken, str]:
    """Issue a token (shown once). `principal` None means the hub's CLI."""
    if principal is not None and principal.role_in(team_id) != "coordinator":
        raise ApiError(403, "Only a coordinator of this team may issue its tokens.", "forbidden")
    if profile not in TOKEN_PROFILES:
        raise ApiError(
            422,
            "A partner token has one profile: partner, public or tracing (never internal).",
            fields={"profile": ["Not allowed."]},
        )
    recipient = recipient.strip()
    if not recipient:
        raise ApiError(422, "Name the recipient.", fields={"recipient": ["Required."]})
    now = utcnow()
    if expires_at is not None and (expires_at <= now or expires_at > now + timedelta(MAX_DAYS)):
        raise ApiError(
            422,
            f"The expiry must be in the future and within {MAX_DAYS} days.",
            fields={"expires_at": ["Out of range."]},
        )
    clean = {k: v for k, v in (filters or {}).items() if k in FILTER_KEYS and v not in (None, [])}
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = PartnerToken(
        team_id=team_id,
        recipient=recipient,
        profile=profile,
        filters=clean,
        token_hash=token_hash(token),
        created_by=actor.id if actor else None,
        created_at=now,
        expires_at=expires_at,
    )
    db.session.add(row)
    db.session.flush()
    audit(
        "partner_token_issued",
        actor,
        actor_name=None if actor else "cli",
        target_type="partner_token",
        target_id=row.id,
        team_id=team_id,
        recipient=recipient,
        profile=profile,
        filters=clean,
        expires_at=expires_at.isoformat() if expires_at else None,
    )
    db.session.commit()
    return row, token


def visible_tokens(principal: Principal | None) -> list[PartnerToken]:
    """Tokens of the teams the caller coordinates (all for an admin or the CLI)."""
    stmt = sa.select(PartnerToken).order_by(PartnerToken.created_at.desc())
    if principal is not None and not principal.is_admin:
        stmt = stmt.where(PartnerToken.team_id.in_(sorted(principal.team_ids("coordinator"))))
    return list(db.session.scalars(stmt))


def get_manageable(principal: Principal | None, token_id: str) -> PartnerToken:
    """A token the caller may revoke (coordinator of its team, or admin), or 404."""
    row = db.session.get(PartnerToken, token_id)
    if row is None or (principal is not None and not _may_manage(principal, row.team_id)):
        raise ApiError(404, "No such partner token.")
    return row


def revoke(actor: User | None, row: PartnerToken, reason: str = "") -> PartnerToken:
    """Revoke now: the next request with it is refused."""
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        row.revoked_by = actor.id if actor else None
        audit(
            "partner_token_revoked",
            actor,
            actor_name=None if actor else "cli",
            target_type="partner_token",
            target_id=row.id,
            team_id=row.team_id,
            recipient=row.recipient,
            reason=reason,
        )
    db.session.commit()
    return row


def load_partner_principal(token: str) -> Principal | None:
    """The principal of a partner token; a refused one is marked, never a user."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = db.session.scalar(
        sa.select(PartnerToken).where(PartnerToken.token_hash == token_hash(token))
    )
    if row is None:
        return None
    if row.revoked_at is not None:
        return Principal(user=None, via="token", scopes={"partner_refused": "revoked"})
    if row.expires_at is not None and row.expires_at <= utcnow():
        return Principal(user=None, via="token", scopes={"partner_refused": "expired"})
    return Principal(user=None, via="token", scopes={"partner": row})


def token_view(row: PartnerToken) -> dict[str, Any]:
    """The API view of a token (never the token itself)."""
    return {
        "id": row.id,
        "team_id": row.team_id,
        "recipient": row.recipient,
        "profile": row.profile,
        "filters": row.filters or {},
        "created_at": row.created_at,
        "expires_at": row.expires_at,
        "revoked": row.revoked_at is not None,
        "revoked_at": row.revoked_at,
        "last_used_at": row.last_used_at,
    }


def init() -> None:
    """Register the token loader (idempotent)."""
    if load_partner_principal not in principals.TOKEN_LOADERS:
        principals.TOKEN_LOADERS.append(load_partner_principal)
