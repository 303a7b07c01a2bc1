"""Teams: admins create and rename them; members see their own; coordinators see members.

A team the caller does not belong to answers 404, exactly like a team that does not
exist (see `services.accounts.visible_team`).
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from app.models import Membership, Team
from app.schemas.accounts import TeamMemberSchema, TeamSchema
from app.security.permissions import permission, require_user
from app.services import accounts

blp = Blueprint("teams", __name__, url_prefix="/api/v1/teams", description="Teams")


@blp.route("")
class TeamsView(MethodView):
    @permission("authenticated")
    @blp.response(200, TeamSchema(many=True))
    def get(self) -> list[Team]:
        """Teams I may see: every team for an admin, my own teams for anyone else."""
        return accounts.visible_teams(require_user())

    @permission("admin")
    @blp.arguments(TeamSchema)
    @blp.response(201, TeamSchema)
    def post(self, data: dict[str, Any]) -> Team:
        """Create a team (admin)."""
        return accounts.create_team(require_user(), data["name"])


@blp.route("/<string:team_id>")
class TeamView(MethodView):
    @permission("authenticated")
    @blp.response(200, TeamSchema)
    def get(self, team_id: str) -> Team:
        """One team I may see."""
        return accounts.visible_team(require_user(), team_id)

    @permission("admin")
    @blp.arguments(TeamSchema)
    @blp.response(200, TeamSchema)
    def patch(self, data: dict[str, Any], team_id: str) -> Team:
        """Rename a team (admin)."""
        actor = require_user()
        return accounts.rename_team(actor, accounts.visible_team(actor, team_id), data["name"])


@blp.route("/<string:team_id>/members")
class TeamMembersView(MethodView):
    @permission("authenticated")
    @blp.response(200, TeamMemberSchema(many=True))
    def get(self, team_id: str) -> list[Membership]:
        """The team's members and their roles (admin, or a coordinator of this team)."""
        return accounts.team_members(require_user(), team_id)
