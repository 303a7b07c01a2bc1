"""The one CSV writer of Tawthiq: RFC 4180, UTF-8, and safe to open in a spreadsheet.

Every text cell that a spreadsheet could read as a formula (one beginning with ``=``,
``+``, ``-``, ``@``, TAB, CR, LF or NUL once NFKC-normalised, so that full-width look-alikes
such as ``＝`` count too, and after any leading spaces) gets a leading apostrophe (OWASP
ASVS 1.2.10, CWE-1236). A text cell that already begins with an apostrophe gets one more,
so the escape is reversible: :func:`unescape_cell` gives back exactly the text stored.

Types decide, never the look of a value: ``int``, ``float`` and ``Decimal`` are written as
bare numbers (``-3.5`` stays ``-3.5``), ``bool`` as ``true``/``false``, dates and
datetimes in ISO 8601, ``None`` as an empty cell, lists joined with ``"; "`` (as text),
objects as JSON text. A string is always text, even ``"-3"``.

The API is small on purpose (the dashboard reuses it)::

    for chunk in csv_chunks(rows, bom=True):   # rows: iterables of cells
        out.write(chunk)                        # str chunks of whole lines
    write_csv(fileobj, rows)                   # the same into a text file
    safe_cell("=1+1") == "'=1+1"

This module never decides *which* fields leave; the export profiles do.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TextIO

__all__ = ["BOM", "csv_chunks", "format_cell", "safe_cell", "unescape_cell", "write_csv"]

BOM = "\ufeff"
# Characters that make a spreadsheet read a cell as a formula or a command.
TRIGGERS = frozenset("=+-@\t\r\n\x00")
ESCAPE = "'"
LIST_SEPARATOR = "; "
# Printable ASCII that cannot start a formula: the fast path of a text cell.
_SAFE_FIRST = frozenset(chr(c) for c in range(0x21, 0x7F)) - TRIGGERS - {ESCAPE}


def _needs_escape(text: str) -> bool:
    first = text[0]
    if first < "\x80":
        if first in TRIGGERS or first == ESCAPE:
            return True
        if first != " ":
            return False
    # Leading spaces, or a non-ASCII first character that NFKC may fold into a trigger
    # (full-width ＝ ＋ － ＠, small form ﹦…). A short prefix is enough to decide.
    head = unicodedata.normalize("NFKC", text[:16]).lstrip(" \u00a0\u3000")
    return bool(head) and (head[0] in TRIGGERS or head[0] == ESCAPE)


def safe_cell(text: str) -> str:
    """``text`` as a spreadsheet will show it literally (an apostrophe before any formula)."""
    if text and _needs_escape(text):
        return ESCAPE + text
    return text


def unescape_cell(cell: str) -> str:
    """The text a cell of :func:`safe_cell` stands for (drops one leading apostrophe)."""
    return cell[1:] if cell.startswith(ESCAPE) else cell


def format_cell(value: Any) -> str:
    """One cell of any supported type as text, formula-safe when it is text."""
    if value.__class__ is str:
        return value if not value or value[0] in _SAFE_FIRST else safe_cell(value)
    if value is None:
        return ""
    if isinstance(value, str):
        return safe_cell(value) if value else value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict) or (
        isinstance(value, list | tuple) and any(isinstance(v, dict | list) for v in value)
    ):
        return safe_cell(json.dumps(value, ensure_ascii=False, sort_keys=True))
    if isinstance(value, list | tuple):
        return safe_cell(LIST_SEPARATOR.join(str(v) for v in value))
    return safe_cell(str(value))


def _cell(value: Any) -> Any:
    """`format_cell`, except that ints and None go to the csv module as they are (it
    writes them exactly as `format_cell` would, faster)."""
    cls = value.__class__
    if cls is str:
        return value if not value or value[0] in _SAFE_FIRST else safe_cell(value)
    if cls is int or value is None:
        return value
    return format_cell(value)


def csv_chunks(
    rows: Iterable[Iterable[Any]], *, bom: bool = False, lines_per_chunk: int = 500
) -> Iterator[str]:
    """Whole CSV lines, ``lines_per_chunk`` at a time, ready to encode as UTF-8.

    With ``bom`` the first chunk starts with a byte-order mark, which Excel needs to read
    Arabic as UTF-8. Lines end with CRLF (RFC 4180); quoting is minimal (RFC 4180 §2.6-2.7).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if bom:
        buffer.write(BOM)
    pending = 0
    safe_first = _SAFE_FIRST
    for row in rows:
        # `_cell` inlined for the common cells (safe text, int, None): a call per cell
        # was a tenth of an export's time.
        writer.writerow(
            [
                v
                if v is None
                or (cls := v.__class__) is int
                or (cls is str and (not v or v[0] in safe_first))
                else _cell(v)
                for v in row
            ]
        )
        pending += 1
        if pending >= lines_per_chunk:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    tail = buffer.getvalue()
    if tail:
        yield tail


def write_csv(stream: TextIO, rows: Iterable[Iterable[Any]], *, bom: bool = False) -> int:
    """Write ``rows`` to a text stream opened with ``newline=""``; returns the row count."""
    count = 0

    def counted() -> Iterator[Iterable[Any]]:
        nonlocal count
        for row in rows:
            count += 1
            yield row

    for chunk in csv_chunks(counted(), bom=bom):
        stream.write(chunk)
    return count
