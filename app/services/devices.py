"""Registering devices, their sync tokens, and revoking them.

A device token is bound to one user and one origin id. It keeps working while the
browser session has expired (days offline), and stops at once when revoked or when its
user is disabled; what the device already sent stays.
"""

from __future__ import annotations

import secrets
from typing import Any

import sqlalchemy as sa

from app.api.errors import ApiError
from app.database import begin_write
from app.db_types import utcnow
from app.extensions import db
from app.models import Device, User
from app.security import principal as principals
from app.security.principal import Principal, token_hash
from app.services import accounts
from app.services.audit import audit

TOKEN_PREFIX = "tdv_"  # noqa: S105  (a marker telling token kinds apart, not a secret)


def register(
    principal: Principal, name: str, origin_id: str, public_key: str
) -> tuple[Device, str]:
    """Register a device for the calling user; returns it and its token (shown once)."""
    begin_write()
    user = principal.user
    assert user is not None
    if db.session.scalar(sa.select(Device.id).where(Device.origin_id == origin_id)):
        raise ApiError(
            409,
            "This origin id is registered; a restored or cloned install makes a new one.",
            "exists",
            {"origin_id": ["Taken."]},
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    device = Device(
        user_id=user.id,
        name=name,
        origin_id=origin_id,
        public_key=public_key,
        token_hash=token_hash(token),
    )
    db.session.add(device)
    db.session.flush()
    audit("device_registered", user, target_type="device", target_id=device.id, name=name)
    db.session.commit()
    return device, token


def visible_devices(principal: Principal) -> list[Device]:
    """Own devices; a coordinator also sees their teams' members' devices; admins all."""
    user = principal.user
    assert user is not None
    stmt = sa.select(Device).order_by(Device.created_at.desc())
    if not principal.is_admin:
        teams = principal.team_ids("coordinator")
        from app.models import Membership

        members = sa.select(Membership.user_id).where(Membership.team_id.in_(sorted(teams)))
        stmt = stmt.where(sa.or_(Device.user_id == user.id, Device.user_id.in_(members)))
    return list(db.session.scalars(stmt))


def get_visible(principal: Principal, device_id: str) -> Device:
    """A device the caller may see, or 404."""
    for device in visible_devices(principal):
        if device.id == device_id:
            return device
    raise ApiError(404, "No such device.")


def revoke(principal: Principal | None, device: Device, reason: str = "") -> Device:
    """Revoke a device's token now."""
    begin_write()
    if device.revoked_at is None:
        device.revoked_at = utcnow()
        audit(
            "device_revoked",
            principal.user if principal else None,
            target_type="device",
            target_id=device.id,
            reason=reason,
        )
    db.session.commit()
    return device


def _revoke_all_of(user: User) -> None:
    db.session.execute(
        sa.update(Device)
        .where(Device.user_id == user.id, Device.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def load_device_principal(token: str) -> Principal | None:
    """The principal of a device token, or None when unknown, revoked or its user disabled."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    device = db.session.scalar(sa.select(Device).where(Device.token_hash == token_hash(token)))
    if device is None:
        return None
    user = db.session.get(User, device.user_id)
    if device.revoked_at is not None or user is None or user.disabled:
        return Principal(user=None, via="token", scopes={"device_revoked": True})
    return Principal(user=user, via="token", scopes={"device": device})


def device_view(device: Device) -> dict[str, Any]:
    """The API view of a device (never its token)."""
    return {
        "id": device.id,
        "user_id": device.user_id,
        "name": device.name,
        "origin_id": device.origin_id,
        "created_at": device.created_at,
        "revoked": device.revoked_at is not None,
        "revoked_at": device.revoked_at,
        "last_seen_at": device.last_seen_at,
        "reported_seq": device.reported_seq,
        "app_version": device.app_version,
    }


def init() -> None:
    """Register the token loader and the disable hook (idempotent)."""
    if load_device_principal not in principals.TOKEN_LOADERS:
        principals.TOKEN_LOADERS.append(load_device_principal)
    if _revoke_all_of not in accounts.DISABLE_HOOKS:
        accounts.DISABLE_HOOKS.append(_revoke_all_of)
