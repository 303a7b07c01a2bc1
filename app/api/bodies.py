"""Reading and writing large JSON bodies: gzip both ways, limits on the inflated size."""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

from flask import Response, current_app, request

from app import jsonfast
from app.api.errors import ApiError


def read_json_body() -> Any:
    """The request's JSON, inflating `Content-Encoding: gzip` under the body limit."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    raw = request.get_data(cache=False)
    if request.headers.get("Content-Encoding", "").lower() == "gzip":
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            raw = inflater.decompress(raw, limit + 1)
        except zlib.error as exc:
            raise ApiError(400, "The gzip body is corrupt.", "bad_gzip") from exc
        if len(raw) > limit or inflater.unconsumed_tail:
            raise ApiError(413, f"The inflated body is larger than {limit} bytes.", "too_large")
    try:
        return jsonfast.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(
            400, "The body is not valid JSON.", "malformed_json", {"_body": [str(exc)[:200]]}
        ) from exc


def json_response(payload: Any, status: int = 200) -> Response:
    """A JSON answer, gzipped when the caller accepts it and it is worth it."""
    return json_bytes_response(jsonfast.dumps_bytes(payload), status)


def json_bytes_response(body: bytes, status: int = 200) -> Response:
    """An answer of JSON already encoded (gzipped like `json_response`)."""
    response = Response(body, status=status, mimetype="application/json")
    if len(body) > 1024 and "gzip" in request.headers.get("Accept-Encoding", ""):
        response.set_data(gzip.compress(body, compresslevel=5))
        response.headers["Content-Encoding"] = "gzip"
        response.headers["Vary"] = "Accept-Encoding"
    return response
