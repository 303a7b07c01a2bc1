"""Serialising an export: CSV (with or without BOM), HXL CSV, JSON, JSON Lines, HXL JSON.

Writers take typed rows (lists in column order) and yield text chunks; they never read
the database and never choose fields. Every CSV goes through `csv_safe` (formula-safe
cells, numbers as numbers, ISO dates). JSON keeps values exactly as stored: it is data,
not a spreadsheet.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson

from app.exports.csv_safe import csv_chunks
from app.exports.hxl import hashtag

__all__ = [
    "CONTENT_TYPES",
    "FORMATS",
    "TABULAR",
    "csv_body",
    "hxl_json_body",
    "json_body",
    "jsonl_body",
]

FORMATS = ("csv", "csv_bom", "hxl", "json", "jsonl", "hxl_json", "pfif")
TABULAR = frozenset({"csv", "csv_bom", "hxl", "hxl_json"})  # one kind: one set of columns
CONTENT_TYPES = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "csv_bom": ("text/csv; charset=utf-8", "csv"),
    "hxl": ("text/csv; charset=utf-8", "csv"),
    "json": ("application/json", "json"),
    "jsonl": ("application/x-ndjson", "jsonl"),
    "hxl_json": ("application/json", "json"),
    "pfif": ("application/xml; charset=utf-8", "xml"),
}
LINES_PER_CHUNK = 500


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_default)
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME  # dates through _default, as before


def dumps(value: Any) -> str:
    """Compact JSON, non-ASCII as it is: orjson (several times faster than the standard
    library, which stays for what orjson refuses, such as integers beyond 64 bits)."""
    try:
        return orjson.dumps(value, default=_default, option=_ORJSON_OPTIONS).decode()
    except TypeError:
        return _encoder.encode(value)


def csv_body(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], *, bom: bool, hxl: bool
) -> Iterator[str]:
    """Header row, then (for HXL) the hashtag row, then the data."""

    def all_rows() -> Iterator[Sequence[Any]]:
        yield headers
        if hxl:
            yield [hashtag(h) for h in headers]
        yield from rows

    return csv_chunks(all_rows(), bom=bom, lines_per_chunk=LINES_PER_CHUNK)


def _batched(lines: Iterable[str], size: int = LINES_PER_CHUNK) -> Iterator[str]:
    pending: list[str] = []
    for line in lines:
        pending.append(line)
        if len(pending) >= size:
            yield "".join(pending)
            pending.clear()
    if pending:
        yield "".join(pending)


def jsonl_body(objects: Iterable[dict[str, Any]]) -> Iterator[str]:
    """One JSON object per line."""
    return _batched(dumps(o) + "\n" for o in objects)


def json_body(
    meta: dict[str, Any],
    objects: Iterable[dict[str, Any]],
    withdrawn: Callable[[], Iterable[str]] | None,
    tail: Callable[[], dict[str, Any]],
) -> Iterator[str]:
    """One document: metadata, `records` (streamed), `withdrawn`, then closing metadata.

    `withdrawn` is called only after the records are written (a second pass over the
    rows, so neither list is ever held whole); `tail` gives what is known only at the end
    (the record count).
    """
    head = dumps(meta)
    yield head[:-1] + ',"records":['

    def records() -> Iterator[str]:
        first = True
        for obj in objects:
            yield ("" if first else ",") + dumps(obj)
            first = False

    yield from _batched(records())
    yield "]"
    if withdrawn is not None:
        yield ',"withdrawn":['

        def ids() -> Iterator[str]:
            first = True
            for ref in withdrawn():
                yield ("" if first else ",") + dumps(ref)
                first = False

        yield from _batched(ids())
        yield "]"
    for key, value in tail().items():
        yield f",{dumps(key)}:{dumps(value)}"
    yield "}\n"


def hxl_json_body(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """An array of objects keyed by hashtag (libhxl reads it as it is)."""
    tags = [hashtag(h) for h in headers]

    def objects() -> Iterator[str]:
        first = True
        for row in rows:
            obj = {tag: value for tag, value in zip(tags, row, strict=True) if value is not None}
            yield ("[" if first else ",") + dumps(obj)
            first = False
        if first:
            yield "["
        yield "]\n"

    return _batched(objects())
