"""Fast JSON for the hot paths (sync push and pull, the records table's JSON column).

orjson encodes and parses several times faster than the standard library. `dumps`
writes the same compact text as ``json.dumps(value, ensure_ascii=False,
separators=(",", ":"))`` for what changes and record states may hold (strings, integers,
booleans, null, lists, objects with string keys: floats are refused in a change); the
text is only ever read back as JSON, never compared byte for byte. `loads` falls back to
the standard library for what orjson refuses and the standard library accepts (NaN,
integers beyond 64 bits), so no stored or received document reads differently.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from sync.canonical import use_sorted_encoder

_OPTIONS = orjson.OPT_NON_STR_KEYS


def sorted_bytes(value: Any) -> bytes:
    """Compact UTF-8 JSON with keys sorted: what `sync.canonical` hashes, ten times faster
    than the standard library (tests/app/test_jsonfast.py proves the bytes equal)."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


# Content hashes of changes (every push and pull checks one per change) use it.
use_sorted_encoder(sorted_bytes)


def dumps(value: Any) -> str:
    """Compact JSON text of ``value`` (UTF-8 characters kept, no spaces)."""
    try:
        return orjson.dumps(value, option=_OPTIONS).decode()
    except TypeError:  # what orjson cannot encode (an int beyond 64 bits): say it the old way
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def dumps_bytes(value: Any) -> bytes:
    """`dumps` as UTF-8 bytes (an HTTP body)."""
    try:
        return orjson.dumps(value, option=_OPTIONS)
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def loads(text: str | bytes) -> Any:
    """Parse JSON text; raises ``ValueError`` (``json.JSONDecodeError``) when it is not JSON."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
