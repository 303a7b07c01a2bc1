"""The hub's identity for browsers, and the server side of a browser's USB bundle."""

from __future__ import annotations

import io

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from app.api.bodies import json_response
from app.api.errors import ApiError
from app.extensions import db
from app.security.guards import accepts_body
from app.security.permissions import permission, require_principal
from app.services import bundles, hub_keys

blp = Blueprint("hub", __name__, url_prefix="/api/v1", description="Hub identity and bundles")


@blp.route("/hub")
class HubView(MethodView):
    @permission("user_or_device")
    def get(self) -> Response:
        """This hub's id and public keys (a browser encrypts its bundles to `p256`)."""
        keys = hub_keys.current()
        ident = hub_keys.hub_id()
        db.session.commit()
        public = keys.public
        return json_response(
            {
                "hub_id": ident,
                "fingerprint": keys.fingerprint,
                "keys": {
                    "signing": {"alg": "Ed25519", "raw": public["signing"]},
                    "x25519": {"alg": "X25519", "raw": public["x25519"]},
                    "p256": {
                        "alg": "ECDH-P256",
                        "raw": public["p256"],
                        "jwk": hub_keys.p256_jwk(hub_keys.unb64u(public["p256"])),
                    },
                },
                "bundle_format": 1,
            }
        )


@blp.route("/bundles")
class BundlesView(MethodView):
    @permission("device")
    @accepts_body("application/octet-stream")
    @blp.doc(
        requestBody={
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string"}}},
        }
    )
    def post(self) -> Response:
        """Import a bundle this device wrote offline (docs/bundles.md); answers the
        signed receipt. A rejected bundle changes nothing (422 `bundle_rejected`)."""
        principal = require_principal()
        device = principal.scopes.get("device")
        if device is None or principal.user is None:
            raise ApiError(403, "Only a device posts its bundles here.", "forbidden")
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        raw = request.get_data(cache=False)
        if len(raw) > limit:
            raise ApiError(413, f"At most {limit} bytes.", "too_large")
        try:
            result = bundles.import_device_bundle(io.BytesIO(raw), principal.user, device)
        except bundles.BundleRejected as exc:
            raise ApiError(422, str(exc), "bundle_rejected") from exc
        return json_response(
            {
                "bundle_id": result.bundle_id,
                "counts": result.counts,
                "repeated": result.repeated,
                "receipt": result.receipt,
            }
        )
