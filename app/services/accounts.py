"""Teams and users: creating, changing roles, disabling, resetting passwords.

Every operation takes the acting user first (None for the hub's own CLI), writes its
audit event, and commits once.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.api.errors import ApiError
from app.database import begin_write
from app.extensions import db
from app.models import Membership, Team, User
from app.security.passwords import generate_password, hash_password
from app.services.audit import audit
from app.services.auth import end_all_sessions, normalise_username

FIRST_ADMIN = "admin"


def find_team(name_or_id: str) -> Team:
    """A team by id or exact name, or a 404."""
    team = db.session.get(Team, name_or_id) or db.session.scalar(
        sa.select(Team).where(Team.name == name_or_id)
    )
    if team is None:
        raise ApiError(404, f"No team {name_or_id!r}.")
    return team


def find_user(username_or_id: str) -> User:
    """A user by id or username, or a 404."""
    user = db.session.get(User, username_or_id) or db.session.scalar(
        sa.select(User).where(User.username == normalise_username(username_or_id))
    )
    if user is None:
        raise ApiError(404, f"No user {username_or_id!r}.")
    return user


def create_team(actor: User | None, name: str) -> Team:
    """Create a team with a unique name."""
    begin_write()
    name = name.strip()
    if not name:
        raise ApiError(422, "A team needs a name.", fields={"name": ["Required."]})
    if db.session.scalar(sa.select(Team.id).where(Team.name == name)):
        raise ApiError(409, "A team with this name exists.", "exists", {"name": ["Taken."]})
    team = Team(name=name)
    db.session.add(team)
    db.session.flush()
    audit("team_created", actor, target_type="team", target_id=team.id, team_id=team.id, name=name)
    db.session.commit()
    return team


def rename_team(actor: User | None, team: Team, name: str) -> Team:
    """Give a team a new unique name."""
    begin_write()
    name = name.strip()
    if not name:
        raise ApiError(422, "A team needs a name.", fields={"name": ["Required."]})
    if name == team.name:
        return team
    if db.session.scalar(sa.select(Team.id).where(Team.name == name)):
        raise ApiError(409, "A team with this name exists.", "exists", {"name": ["Taken."]})
    before, team.name = team.name, name
    audit(
        "team_renamed",
        actor,
        target_type="team",
        target_id=team.id,
        team_id=team.id,
        before=before,
        after=name,
    )
    db.session.commit()
    return team


# --- what a caller may see ----------------------------------------------------------------
# Admins see every team; anyone else only the teams they belong to. A team the caller
# may not see answers exactly like a team that does not exist (404), so ids cannot be
# probed.


def visible_teams(actor: User) -> list[Team]:
    """The teams the caller may see, by name."""
    query = sa.select(Team).order_by(Team.name)
    if not actor.is_admin:
        query = query.join(Membership).where(Membership.user_id == actor.id)
    return list(db.session.scalars(query))


def visible_team(actor: User, team_id: str) -> Team:
    """One team the caller may see, or a 404 that does not say whether it exists."""
    team = db.session.get(Team, team_id)
    if team is None or not (actor.is_admin or actor.role_in(team.id)):
        raise ApiError(404, "No such team.")
    return team


def team_members(actor: User, team_id: str) -> list[Membership]:
    """A team's members with their roles: for admins and that team's coordinators."""
    team = visible_team(actor, team_id)
    if not actor.is_admin and actor.role_in(team.id) != "coordinator":
        raise ApiError(403, "Only the team's coordinators see its members.", "forbidden")
    return list(
        db.session.scalars(
            sa.select(Membership)
            .join(User)
            .where(Membership.team_id == team.id)
            .order_by(User.username)
        )
    )


def all_users() -> list[User]:
    """Every account, by username (admin only; the view checks)."""
    return list(db.session.scalars(sa.select(User).order_by(User.username)))


def user_by_id(user_id: str) -> User:
    """A user by id, or a 404."""
    user = db.session.get(User, user_id)
    if user is None:
        raise ApiError(404, "No such user.")
    return user


def _check_memberships(memberships: list[dict[str, Any]]) -> None:
    seen = set()
    for i, m in enumerate(memberships):
        if db.session.get(Team, m["team_id"]) is None:
            raise ApiError(
                422, "Unknown team.", fields={"memberships": {str(i): {"team_id": ["Unknown."]}}}
            )
        if m["team_id"] in seen:
            raise ApiError(
                422, "A team appears twice.", fields={"memberships": {str(i): ["Duplicate."]}}
            )
        seen.add(m["team_id"])


def create_user(
    actor: User | None,
    username: str,
    display_name: str = "",
    is_admin: bool = False,
    memberships: list[dict[str, Any]] | None = None,
) -> tuple[User, str]:
    """Create a user with a one-time password; returns the user and that password."""
    begin_write()
    username = normalise_username(username)
    memberships = memberships or []
    if db.session.scalar(sa.select(User.id).where(User.username == username)):
        raise ApiError(409, "This username is taken.", "exists", {"username": ["Taken."]})
    _check_memberships(memberships)
    password = generate_password()
    user = User(
        username=username,
        display_name=display_name,
        password_hash=hash_password(password),
        is_admin=is_admin,
        must_change_password=True,
    )
    user.memberships = [Membership(team_id=m["team_id"], role=m["role"]) for m in memberships]
    db.session.add(user)
    db.session.flush()
    audit(
        "user_created",
        actor,
        target_type="user",
        target_id=user.id,
        username=username,
        is_admin=is_admin,
        memberships=[{"team_id": m["team_id"], "role": m["role"]} for m in memberships],
    )
    db.session.commit()
    return user, password


def update_user(actor: User | None, user: User, changes: dict[str, Any]) -> User:
    """Change a user's display name, admin flag or team roles (each audited).

    Everything is checked before anything changes, so a refused request writes nothing.
    """
    begin_write()
    if (
        "is_admin" in changes
        and actor is not None
        and actor.id == user.id
        and not changes["is_admin"]
        and user.is_admin
    ):
        raise ApiError(
            422, "You cannot remove your own admin rights.", fields={"is_admin": ["Own."]}
        )
    if "memberships" in changes:
        _check_memberships(changes["memberships"])
    if "display_name" in changes:
        user.display_name = changes["display_name"]
    if "is_admin" in changes and changes["is_admin"] != user.is_admin:
        user.is_admin = changes["is_admin"]
        audit("admin_changed", actor, target_type="user", target_id=user.id, is_admin=user.is_admin)
    if "memberships" in changes:
        _replace_memberships(actor, user, changes["memberships"])
    db.session.commit()
    return user


def _replace_memberships(actor: User | None, user: User, wanted: list[dict[str, Any]]) -> None:
    before = {m.team_id: m.role for m in user.memberships}
    after = {m["team_id"]: m["role"] for m in wanted}
    for m in list(user.memberships):
        if m.team_id not in after:
            user.memberships.remove(m)
        else:
            m.role = after[m.team_id]
    for team_id, role in after.items():
        if team_id not in before:
            user.memberships.append(Membership(team_id=team_id, role=role))
    for team_id in sorted(set(before) | set(after)):
        if before.get(team_id) != after.get(team_id):
            audit(
                "role_changed",
                actor,
                target_type="user",
                target_id=user.id,
                team_id=team_id,
                before=before.get(team_id),
                after=after.get(team_id),
            )


def reset_password(actor: User | None, user: User) -> str:
    """Give a user a new one-time password; their sessions end."""
    begin_write()
    password = generate_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    end_all_sessions(user)
    audit("password_reset", actor, target_type="user", target_id=user.id)
    db.session.commit()
    return password


def set_disabled(actor: User | None, user: User, disabled: bool) -> User:
    """Disable (ending every session at once) or re-enable a user."""
    begin_write()
    if actor is not None and actor.id == user.id and disabled:
        raise ApiError(422, "You cannot disable yourself.", fields={"disabled": ["Own."]})
    user.disabled = disabled
    if disabled:
        end_all_sessions(user)
        for hook in DISABLE_HOOKS:
            hook(user)
    audit(
        "user_disabled" if disabled else "user_enabled",
        actor,
        target_type="user",
        target_id=user.id,
    )
    db.session.commit()
    return user


# Later areas (device tokens) register what else disabling a user must revoke.
DISABLE_HOOKS: list[Any] = []


def ensure_first_admin() -> tuple[str, str] | None:
    """Create the first admin when no admin exists; returns (username, password) once."""
    if db.session.scalar(sa.select(User.id).where(User.is_admin.is_(True)).limit(1)):
        return None
    username = FIRST_ADMIN
    if db.session.scalar(sa.select(User.id).where(User.username == username)):
        username = f"{FIRST_ADMIN}-{generate_password()[:5]}"
    user, password = create_user(None, username, display_name="Administrator", is_admin=True)
    return user.username, password
