"""Settings with environment overrides.

Nothing here reads the environment at import time: `load_config()` is called by the
factory so that tests and the CLI can build apps with different settings in one process.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from app import jsonfast

DEFAULTS: dict[str, Any] = {
    # JSON columns (a record's state) through orjson: a tenth of a push was json.dumps.
    "SQLALCHEMY_ENGINE_OPTIONS": {
        "pool_pre_ping": True,
        "json_serializer": jsonfast.dumps,
        "json_deserializer": jsonfast.loads,
    },
    "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
    "SESSION_LIFETIME_HOURS": 12,
    "SESSION_IDLE_MINUTES": 120,
    "SESSION_COOKIE_NAME": "tawthiq_session",
    # Set to True when served over HTTPS (the TLS front sets it through the environment).
    "SESSION_COOKIE_SECURE": False,
    "LOGIN_FREE_FAILURES": 5,
    "LOGIN_BASE_DELAY_SECONDS": 1,
    "WIPE_AFTER_FAILED_UNLOCKS": 10,
    "LOGIN_MAX_DELAY_SECONDS": 15 * 60,
    "ADDRESS_FREE_FAILURES": 50,
    "API_TITLE": "Tawthiq",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "API_SPEC_OPTIONS": {
        "info": {
            "description": (
                "Errors share one body: {error: {code, message, fields}}. The message and "
                "the field reasons are in the request's language: Arabic when "
                "Accept-Language prefers ar (the web app sends its UI language), else "
                "English. code and the field names never change with the language. "
                "Sync push results keep their reason in English."
            )
        },
        "components": {
            "parameters": {
                "AcceptLanguage": {
                    "name": "Accept-Language",
                    "in": "header",
                    "required": False,
                    "description": "ar for Arabic error messages; anything else: English.",
                    "schema": {"type": "string", "example": "ar"},
                }
            }
        },
    },
    "TESTING": False,
}


def data_dir_from_env() -> Path:
    """The folder that holds the SQLite database, keys and other local state."""
    return Path(os.environ.get("TAWTHIQ_DATA_DIR", "data")).resolve()


def _secret_key(data_dir: Path) -> str:
    """Read the deployment's secret key, creating it on first start.

    A key kept in the data folder survives restarts, so sessions survive them too, and
    several processes on one data folder agree on it.
    """
    env = os.environ.get("SECRET_KEY")
    if env:
        return env
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _count(name: str, text: str) -> int:
    """A whole number >= 0 from the environment, or a start-up error naming the variable."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise ValueError(f"{name} must be a whole number >= 0 (0 = never), not {text!r}")
    return value


def load_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the settings: defaults, then the environment, then explicit overrides."""
    overrides = dict(overrides or {})
    config = dict(DEFAULTS)
    data_dir = Path(overrides.get("DATA_DIR") or data_dir_from_env())
    config["DATA_DIR"] = data_dir
    url = overrides.get("SQLALCHEMY_DATABASE_URI") or os.environ.get("DATABASE_URL")
    if not url:
        data_dir.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{data_dir / 'tawthiq.db'}"
    if url.startswith("postgresql://"):
        # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    config["SQLALCHEMY_DATABASE_URI"] = url
    if os.environ.get("TAWTHIQ_STATIC_DIR"):
        # Serve the app shell from another folder (a staged release; the update test).
        config["STATIC_DIR"] = Path(os.environ["TAWTHIQ_STATIC_DIR"]).resolve()
    # Wrong passphrases before a device wipes itself: sent to devices in every handshake.
    wipe_after = os.environ.get("TAWTHIQ_WIPE_AFTER_FAILED_UNLOCKS")
    if wipe_after:
        config["WIPE_AFTER_FAILED_UNLOCKS"] = _count(
            "TAWTHIQ_WIPE_AFTER_FAILED_UNLOCKS", wipe_after
        )
    if os.environ.get("TAWTHIQ_SECURE_COOKIES") == "1":
        config["SESSION_COOKIE_SECURE"] = True
    if "SECRET_KEY" not in overrides:
        config["SECRET_KEY"] = _secret_key(data_dir)
    config.update(overrides)
    return config
