"""RFC 8785 (JCS) canonical JSON for the values a change may hold, and its sha256.

Only what changes carry is accepted: strings, integers in the range every JSON
implementation reads exactly (|n| <= 2**53 - 1), booleans, null, lists and objects with
string keys. Floats are refused: decimals travel as strings, so Python and JavaScript
never disagree about how a number prints. This module must never read the clock, the
network or the disk.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

__all__ = [
    "MAX_SAFE_INTEGER",
    "CanonicalError",
    "canonical_bytes",
    "canonical_json",
    "reference_canonical_json",
    "sha256_hex",
    "use_sorted_encoder",
]

#: Largest integer that a JavaScript number holds exactly (Number.MAX_SAFE_INTEGER).
MAX_SAFE_INTEGER = 2**53 - 1

# ECMAScript JSON.stringify escapes exactly these characters by short form; every other
# character below U+0020 becomes \u00xx with lowercase hex, and nothing else is escaped.
_SHORT_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


class CanonicalError(ValueError):
    """A value that has no canonical form in a change (a float, a lone surrogate...)."""


def _string(s: str) -> str:
    out: list[str] = ['"']
    for ch in s:
        short = _SHORT_ESCAPES.get(ch)
        if short is not None:
            out.append(short)
            continue
        code = ord(ch)
        if code < 0x20:
            out.append(f"\\u{code:04x}")
        elif 0xD800 <= code <= 0xDFFF:
            # A lone surrogate cannot be encoded as UTF-8, so two platforms could not
            # agree on its bytes: refuse it rather than guess.
            raise CanonicalError("lone surrogate in string")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _utf16_key(key: str) -> bytes:
    # RFC 8785 sorts member names by their UTF-16 code units; big-endian UTF-16 bytes
    # compare in the same order (Python's str order is by code point, which differs for
    # characters beyond the BMP).
    return key.encode("utf-16-be", "surrogatepass")


def _emit(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise CanonicalError(f"integer outside the safe range: {value}")
        out.append(str(int(value)))
    elif isinstance(value, float):
        raise CanonicalError("floats are not allowed; send decimals as strings")
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _emit(item, out)
        out.append("]")
    elif isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise CanonicalError(f"object key is not a string: {key!r}")
        out.append("{")
        for i, key in enumerate(sorted(value, key=_utf16_key)):
            if i:
                out.append(",")
            out.append(_string(key))
            out.append(":")
            _emit(value[key], out)
        out.append("}")
    else:
        raise CanonicalError(f"type not allowed in a change: {type(value).__name__}")


def reference_canonical_json(value: Any) -> str:
    """Canonical JSON by the plain character-by-character emitter above.

    It is the reference: :func:`canonical_json` takes a faster path through the standard
    ``json`` encoder where the two are known to agree, and a test checks that they do.
    """
    out: list[str] = []
    _emit(value, out)
    return "".join(out)


_SURROGATE = re.compile("[\ud800-\udfff]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _keys_ok(obj: dict[Any, Any], stack: list[Any]) -> bool:
    """Check an object's keys and push its values on `stack`; False when a key lies
    beyond the BMP. ASCII keys (nearly all) skip the regexes."""
    ok = True
    for k, item in obj.items():
        stack.append(item)
        if type(k) is str and k.isascii():
            continue
        if not isinstance(k, str):
            raise CanonicalError(f"object key is not a string: {k!r}")
        if _SURROGATE.search(k):
            raise CanonicalError("lone surrogate in string")
        if _ASTRAL.search(k):
            ok = False
    return ok


def _fast_path_ok(value: Any) -> bool:
    """Check what a change may hold; False when an object key lies beyond the BMP.

    Python's ``json`` with ``ensure_ascii=False`` escapes exactly as JSON.stringify does
    (short forms, lowercase ``\\u00xx``, nothing else) and ``sort_keys`` orders keys by
    code point, which equals UTF-16 order for keys inside the BMP. Astral keys take the
    reference emitter.
    """
    ok = True
    stack = [value]
    while stack:
        v = stack.pop()
        if v is None or v is True or v is False:
            continue
        kind = type(v)
        # The common cases first, by exact type; ASCII text holds no surrogate, and
        # str.isascii() is far cheaper than a regex search.
        if kind is str:
            if not v.isascii() and _SURROGATE.search(v):
                raise CanonicalError("lone surrogate in string")
        elif kind is dict:
            ok = _keys_ok(v, stack) and ok
        elif kind is list:
            stack.extend(v)
        elif isinstance(v, str):
            if _SURROGATE.search(v):
                raise CanonicalError("lone surrogate in string")
        elif isinstance(v, int):
            if abs(v) > MAX_SAFE_INTEGER:
                raise CanonicalError(f"integer outside the safe range: {v}")
        elif isinstance(v, (list, tuple)):
            stack.extend(v)
        elif isinstance(v, dict):
            ok = _keys_ok(v, stack) and ok
        elif isinstance(v, float):
            raise CanonicalError("floats are not allowed; send decimals as strings")
        else:
            raise CanonicalError(f"type not allowed in a change: {type(v).__name__}")
    return ok


def canonical_json(value: Any) -> str:
    """Return the RFC 8785 canonical JSON text of ``value``.

    Raises :class:`CanonicalError` for anything a change may not hold.
    """
    if _fast_path_ok(value):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return reference_canonical_json(value)


# A faster encoder of compact, key-sorted UTF-8 JSON that an application may register
# (the app registers orjson's): used only inside the fast path, where such output is
# byte for byte the standard library's. The library stays standard-library only.
_sorted_encoder: Callable[[Any], bytes] | None = None


def use_sorted_encoder(encoder: Callable[[Any], bytes] | None) -> None:
    """Register (or, with None, drop) a faster encoder for :func:`canonical_bytes`.

    ``encoder(value)`` must return ``json.dumps(value, ensure_ascii=False,
    separators=(",", ":"), sort_keys=True)`` as UTF-8 for every value of the fast path
    (BMP keys, safe integers, no floats, no lone surrogates); whoever registers one
    proves that with a test against :func:`reference_canonical_json`.
    """
    global _sorted_encoder
    _sorted_encoder = encoder


def canonical_bytes(value: Any) -> bytes:
    """Return the canonical JSON of ``value`` as UTF-8 bytes (what gets hashed)."""
    if _sorted_encoder is not None and _fast_path_ok(value):
        return _sorted_encoder(value)
    return canonical_json(value).encode("utf-8")


def sha256_hex(value: Any) -> str:
    """Return the lowercase hex sha256 of the canonical bytes of ``value``."""
    return hashlib.sha256(canonical_bytes(value)).hexdigest()
