"""Tawthiq: the Flask application factory."""

from __future__ import annotations

from typing import Any

from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: load settings, bind extensions, register every blueprint."""
    from app import database, web
    from app.api import audit as audit_api
    from app.api import bundles as bundles_api
    from app.api import dashboard as dashboard_api
    from app.api import devices as devices_api
    from app.api import errors, health, teams, users
    from app.api import exports as exports_api
    from app.api import places as places_api
    from app.api import records as records_api
    from app.api import session as session_api
    from app.api import sync as sync_api
    from app.config import load_config
    from app.security import guards, passwords
    from app.security.permissions import permission
    from app.services import devices as device_tokens
    from app.services import partner_tokens, peer_rules

    app = Flask(__name__, static_folder=None)
    app.config.update(load_config(config))
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Arabic as text, not \u escapes

    passwords.configure(app.config.get("ARGON2"))
    device_tokens.init()
    partner_tokens.init()
    peer_rules.init()
    database.init_app(app)
    api = errors.TawthiqApi(app)
    app.extensions["tawthiq_api"] = api
    errors.init_app(app)
    guards.init_app(app)

    app.register_blueprint(health.bp)
    app.register_blueprint(web.bp)
    for blueprint in (
        session_api.blp,
        teams.blp,
        users.blp,
        audit_api.blp,
        places_api.blp,
        records_api.blp,
        devices_api.blp,
        sync_api.blp,
        exports_api.blp,
        bundles_api.blp,
        dashboard_api.blp,
    ):
        api.register_blueprint(blueprint)
    # The OpenAPI document is public: it describes the API, it holds no data.
    spec_endpoint = "api-docs.openapi_json"
    app.view_functions[spec_endpoint] = permission("public")(app.view_functions[spec_endpoint])
    return app
