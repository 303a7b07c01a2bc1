"""The one JSON error format of the API.

Every error, whatever raised it, leaves as
`{"error": {"code": "...", "message": "...", "fields": {...}}}` with its HTTP status.
The message and the field reasons are in the request's language (`app.api.language`);
the code and the field names never change with it.
"""

from __future__ import annotations

import contextlib
from typing import Any

from flask import Flask, Response, jsonify
from flask_smorest import Api
from marshmallow import Schema, fields
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from app.api.language import request_language, translate, translate_fields
from app.extensions import db

# A stable machine-readable code per status, for errors that carry none of their own.
DEFAULT_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    428: "precondition_required",
    429: "too_many_requests",
    500: "server_error",
}


class ErrorBodySchema(Schema):
    code = fields.String(metadata={"description": "stable machine-readable code"})
    message = fields.String(
        metadata={
            "description": "what went wrong, for a person: Arabic when the request's "
            "Accept-Language prefers ar, else English"
        }
    )
    fields_ = fields.Dict(
        data_key="fields",
        metadata={"description": "field -> reasons (field names never translated)"},
    )


class ErrorSchema(Schema):
    """The one error body of the API."""

    error = fields.Nested(ErrorBodySchema)


class TawthiqApi(Api):  # type: ignore[misc]
    """flask-smorest's Api, documenting our error body instead of its default one."""

    ERROR_SCHEMA = ErrorSchema


class ApiError(Exception):
    """An error a view raises to answer with a specific status, code and field details."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        fields: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or DEFAULT_CODES.get(status, "error")
        self.fields = fields or {}
        self.headers = headers or {}
        self.extra = extra or {}


def error_response(
    status: int,
    message: str,
    code: str | None = None,
    fields: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    """Build the JSON error response every API error uses, its text in the request's
    language (English unless ``Accept-Language`` prefers Arabic)."""
    lang = request_language()
    body: dict[str, Any] = {
        "code": code or DEFAULT_CODES.get(status, "error"),
        "message": translate(message, lang),
        "fields": translate_fields(fields or {}, lang),
    }
    body.update(extra or {})
    response = jsonify({"error": body})
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    # The same URL answers in another language for another Accept-Language.
    response.vary.add("Accept-Language")
    return response


def _flatten_webargs(messages: Any) -> dict[str, Any]:
    # webargs nests messages by location ({"json": {...}}); callers only care about fields.
    if isinstance(messages, dict) and set(messages) <= {
        "json",
        "query",
        "form",
        "files",
        "headers",
    }:
        merged: dict[str, Any] = {}
        for part in messages.values():
            if isinstance(part, dict):
                merged.update(part)
            elif isinstance(part, list):
                # A body that is not valid JSON at all: webargs says so as a bare list.
                merged.setdefault("_schema", []).extend(part)
        return merged
    return messages if isinstance(messages, dict) else {"_schema": messages}


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    fields = _flatten_webargs(data.get("messages", {})) if isinstance(data, dict) else {}
    if status == 422:
        return error_response(422, "Some fields are not valid.", fields=fields)
    if status == 400 and fields:
        return error_response(400, "The request body could not be read.", fields=fields)
    message = {
        404: "Not found.",
        405: "Method not allowed.",
        413: "The request body is larger than this server accepts.",
    }.get(status, exc.description or exc.name)
    headers = {}
    if status == 405 and exc.get_response().headers.get("Allow"):
        headers["Allow"] = exc.get_response().headers["Allow"]
    return error_response(status, message, headers=headers)


def _discard_unsaved() -> None:
    # A failed request writes nothing: drop whatever a service changed before it raised.
    # (Operations that must persist despite failing, such as counting a failed login,
    # commit before they raise.) The app context, and so the session, can outlive one
    # request (CLI, tests), so teardown alone would be too late. A database that is gone
    # must not turn the error answer itself into a second failure.
    with contextlib.suppress(SQLAlchemyError):
        db.session.rollback()


def init_app(app: Flask) -> None:
    """Make every error of the app, including Werkzeug's and flask-smorest's, JSON."""

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        _discard_unsaved()
        return error_response(exc.status, exc.message, exc.code, exc.fields, exc.headers, exc.extra)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        _discard_unsaved()
        return _http_error(exc)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        # Never leak a traceback to a client; the log has it.
        app.logger.exception("unhandled error")
        _discard_unsaved()
        return error_response(500, "The server hit an unexpected error; nothing was saved.")
