"""Registering devices for sync, listing and revoking them."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from app.schemas.sync_api import (
    DeviceCreatedSchema,
    DeviceCreateSchema,
    DeviceListSchema,
    DeviceSchema,
)
from app.security.permissions import permission, require_principal
from app.services import devices

blp = Blueprint("devices", __name__, url_prefix="/api/v1/devices", description="Devices")


@blp.route("")
class DevicesView(MethodView):
    @permission("authenticated")
    @blp.response(200, DeviceListSchema)
    def get(self) -> dict[str, Any]:
        """Your devices; a coordinator also sees the team's; an admin sees all."""
        return {
            "devices": [
                devices.device_view(d) for d in devices.visible_devices(require_principal())
            ]
        }

    @permission("team_member")
    @blp.arguments(DeviceCreateSchema)
    @blp.response(201, DeviceCreatedSchema)
    def post(self, data: dict[str, str]) -> dict[str, Any]:
        """Register this install for sync; the token is shown once."""
        device, token = devices.register(
            require_principal(), data["name"], data["origin_id"], data["public_key"]
        )
        return {"device": devices.device_view(device), "token": token}


@blp.route("/<device_id>/revoke")
class RevokeView(MethodView):
    @permission("authenticated")
    @blp.response(200, DeviceSchema)
    def post(self, device_id: str) -> dict[str, Any]:
        """Revoke a device's sync token at once (what it already sent stays)."""
        principal = require_principal()
        device = devices.get_visible(principal, device_id)
        return devices.device_view(devices.revoke(principal, device))
