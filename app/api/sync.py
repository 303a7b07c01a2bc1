"""The sync protocol (docs/sync.md): handshake, push, pull, missing; conflicts, parked
changes and the monitor."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from app import faults
from app.api.bodies import json_bytes_response, json_response, read_json_body
from app.api.errors import ApiError
from app.schemas.sync_api import HandshakeSchema, MissingSchema, PullArgs
from app.security.permissions import permission, require_principal
from app.services import peer_serve, sync_monitor, sync_push, sync_serve

blp = Blueprint("sync", __name__, url_prefix="/api/v1", description="Sync")

CHANGES_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"changes": {"type": "array", "items": {"type": "object"}}},
                "required": ["changes"],
            }
        }
    },
}


def _device() -> Any:
    return require_principal().scopes.get("device")


def _is_peer() -> bool:
    """Another hub holding one of our replication tokens (docs/hubs.md)."""
    return "peer" in require_principal().scopes


@blp.route("/sync/handshake")
class HandshakeView(MethodView):
    @permission("device")
    @blp.arguments(HandshakeSchema)
    def post(self, hello: dict[str, Any]) -> Response:
        """Introduce the device; learn the hub's watermark, clock and limits."""
        limits = {"body_bytes": current_app.config["MAX_CONTENT_LENGTH"]}
        if _is_peer():
            return json_response(peer_serve.handshake(require_principal(), hello, limits))
        return json_response(sync_serve.handshake(require_principal(), _device(), hello, limits))


@blp.route("/sync/push")
class PushView(MethodView):
    @permission("device")
    @blp.doc(requestBody=CHANGES_BODY)
    def post(self) -> Response:
        """Send changes (gzip accepted); one status per change, in order."""
        body = read_json_body()
        if not isinstance(body, dict) or not isinstance(body.get("changes"), list):
            raise ApiError(422, 'Send {"changes": [...]}.', fields={"changes": ["Required list."]})
        if set(body) - {"changes"}:
            extra = sorted(set(body) - {"changes"})
            raise ApiError(422, "Unknown fields.", fields={k: ["Unknown field."] for k in extra})
        changes = body["changes"]
        if len(changes) > sync_push.MAX_PUSH_CHANGES:
            raise ApiError(
                413,
                f"At most {sync_push.MAX_PUSH_CHANGES} changes per push.",
                "too_many_changes",
            )
        principal = require_principal()
        if _is_peer():
            return json_response({"results": peer_serve.push(principal, changes)})
        device = _device()
        results = sync_push.push(principal.user, device, changes, via=f"device:{device.id}")
        faults.point("push.after_commit")
        return json_response({"results": results})


@blp.route("/sync/pull")
class PullView(MethodView):
    @permission("device")
    @blp.arguments(PullArgs, location="query")
    def get(self, args: dict[str, Any]) -> Response:
        """Changes after `since` you may hold, up to the safe watermark; `forget` lists
        records you may no longer hold. `ack` (optional, at most `since`) is what you have
        stored: the hub records it as your progress instead of `since`."""
        since, ack = args["since"], args.get("ack")
        page = sync_serve.pull_raw(require_principal(), _device(), since, args["limit"], ack)
        if _is_peer():
            peer_serve.note_pull(require_principal(), since, ack, page["more"])
        # The stored change bodies are compact JSON already: serve their bytes as they are.
        changes = page.pop("changes")
        rest = json.dumps(page, ensure_ascii=False, separators=(",", ":")).encode()
        return json_bytes_response(b'{"changes":[' + b",".join(changes) + b"]," + rest[1:])


@blp.route("/sync/missing")
class MissingView(MethodView):
    @permission("device")
    @blp.arguments(MissingSchema)
    def post(self, data: dict[str, Any]) -> Response:
        """The repair path: what your have-vector lacks (nothing when digests agree)."""
        return json_response(
            sync_serve.missing(require_principal(), data["have"], data["digest"], data["limit"])
        )


@blp.route("/conflicts")
class ConflictsView(MethodView):
    @permission("coordinator")
    def get(self) -> Response:
        """Records of your teams with open conflicts, with every candidate."""
        return json_response({"records": sync_monitor.conflicts(require_principal())})


@blp.route("/sync/parked")
class ParkedView(MethodView):
    @permission("authenticated")
    def get(self) -> Response:
        """Parked changes: admins see who/when/why; a team's coordinators the content too."""
        return json_response({"parked": sync_monitor.parked(require_principal())})


@blp.route("/sync/peers")
class PeersView(MethodView):
    @permission("authenticated")
    def get(self) -> Response:
        """The "nothing lost" monitor: per device, what it reports against what we hold;
        for admins also per peer hub (last exchange, lag in changes) and its bundles."""
        principal = require_principal()
        return json_response(
            {
                "devices": sync_monitor.devices(principal),
                "peers": sync_monitor.peers(principal),
            }
        )
