"""Every endpoint states its permission; this module checks it.

`@permission(...)` both records the rule on the view (a test walks the URL map and fails
on any endpoint without one) and enforces it before the view runs. Finer checks (is this
record in one of the caller's teams?) stay in services, which answer 404 for objects of
other teams so that their existence does not leak.

A user holding a one-time password (new account, admin reset) must choose their own
before anything else: until then only views marked `before_password_change=True` (the
session endpoints and the password change itself) answer; every other authenticated
view answers 403 `password_change_required`. Whoever learns the one-time password from
the admin, a screenshot or a note on paper gets no data with it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from app.api.errors import ApiError
from app.models import User
from app.security.principal import Principal, current_principal

F = TypeVar("F", bound=Callable[..., Any])

RULES = (
    "public",
    "authenticated",
    "team_member",
    "coordinator",
    "admin",
    "token",
    "device",
    "user_or_device",
    "partner",
)


def _check(rule: str, principal: Principal | None, before_password_change: bool) -> None:
    if rule == "public":
        return
    if principal is None:
        raise ApiError(401, "Log in first.", "unauthenticated")
    if principal.scopes.get("device_revoked"):
        raise ApiError(
            401, "This device was revoked or its user disabled; log in again.", "device_revoked"
        )
    if principal.scopes.get("token_revoked"):
        raise ApiError(401, "This replication token was revoked or has expired.", "token_revoked")
    refused = principal.scopes.get("partner_refused")
    if refused:
        raise ApiError(401, f"This partner token is {refused}.", f"partner_token_{refused}")
    is_device = "device" in principal.scopes or "peer" in principal.scopes
    is_partner = "partner" in principal.scopes
    if rule == "partner":
        if not is_partner:
            raise ApiError(401, "Send a partner token.", "unauthenticated")
        return
    if is_partner:
        # A partner token pulls exports; it opens nothing else.
        raise ApiError(403, "A partner token can only pull exports.", "forbidden")
    if rule == "user_or_device" and is_device:
        return  # e.g. the hub's public keys: a browser asks with its session or its token
    if rule == "device":
        if not is_device:
            raise ApiError(401, "Sync with a device's or a peer's token.", "unauthenticated")
        return
    if is_device:
        # A device token syncs; it is no key to the rest of the API if a phone is taken.
        raise ApiError(403, "A device token can only sync.", "forbidden")
    user = principal.user
    if user is not None and user.must_change_password and not before_password_change:
        raise ApiError(403, "Choose a new password before going on.", "password_change_required")
    if rule == "token":
        return  # the view checks the token's own scope
    if principal.user is None:
        raise ApiError(403, "This token cannot use this endpoint.", "forbidden")
    if rule in ("authenticated", "user_or_device"):
        return
    if rule == "admin" and not principal.is_admin:
        raise ApiError(403, "Only an administrator may do this.", "forbidden")
    if rule == "team_member" and not (principal.team_ids() or principal.is_admin):
        raise ApiError(403, "You are not a member of any team.", "forbidden")
    if rule == "coordinator" and not principal.team_ids("coordinator"):
        raise ApiError(403, "Only a coordinator may do this.", "forbidden")


def permission(rule: str, *, before_password_change: bool = False) -> Callable[[F], F]:
    """Declare and enforce who may call a view: one of RULES.

    `before_password_change=True` lets a user who still holds a one-time password call
    the view (only the session endpoints and the password change need it).
    """
    if rule not in RULES:
        raise ValueError(f"unknown permission rule {rule!r}")

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            _check(rule, current_principal(), before_password_change)
            return view(*args, **kwargs)

        wrapper.permission = rule  # type: ignore[attr-defined]
        wrapper.before_password_change = before_password_change  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def require_principal() -> Principal:
    """The caller, for views whose permission already guarantees one."""
    principal = current_principal()
    if principal is None:
        raise ApiError(401, "Log in first.", "unauthenticated")
    return principal


def require_user() -> User:
    """The calling user, for views whose rule admits only users (not bare tokens)."""
    user = require_principal().user
    if user is None:
        raise ApiError(403, "This token cannot use this endpoint.", "forbidden")
    return user
