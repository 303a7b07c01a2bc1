"""The one CSV writer: formula-safe text, numbers as numbers, exact round trips."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.exports.csv_safe import BOM, csv_chunks, format_cell, safe_cell, unescape_cell

DANGEROUS = [
    "=1+1",
    "+1",
    "-1",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "\n=1",
    "\x00x",
    '=HYPERLINK("http://evil","x")',
    "＝1+1",  # full-width equals: NFKC folds it to "="
    "﹢1",  # small plus sign
    "－1",  # full-width hyphen-minus
    "＠x",
    "  =1",  # leading spaces do not hide a formula
    "'already quoted",
]


def _read(text: str) -> list[list[str]]:
    csv.field_size_limit(10_000_000)
    return list(csv.reader(io.StringIO(text.removeprefix(BOM), newline="")))


@pytest.mark.parametrize("value", DANGEROUS)
def test_formula_cells_get_an_apostrophe(value):
    """Every cell a spreadsheet could run starts with an apostrophe, and unescapes exactly."""
    cell = safe_cell(value)
    assert cell.startswith("'")
    assert unescape_cell(cell) == value


@pytest.mark.parametrize("value", ["محمد", "Khaldiyeh", "2026-01-05", "O-", "a=b", "1-2"])
def test_ordinary_text_is_untouched(value):
    """Text that cannot start a formula is written as it is (Arabic, dates, codes)."""
    assert safe_cell(value) == value


def test_numbers_stay_numbers_and_dates_are_iso():
    """Typed values are never escaped: a negative longitude stays a number."""
    assert format_cell(-3.5) == "-3.5"
    assert format_cell(Decimal("-36.71")) == "-36.71"
    assert format_cell(-4) == "-4"
    assert format_cell(True) == "true"
    assert format_cell(None) == ""
    assert format_cell(date(2026, 1, 5)) == "2026-01-05"
    assert format_cell(datetime(2026, 1, 5, 3, 4, 5, tzinfo=UTC)) == "2026-01-05T03:04:05+00:00"
    assert format_cell("-4") == "'-4"  # a string is text, whatever it looks like
    assert format_cell(["=a", "b"]) == "'=a; b"


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.text(), min_size=1, max_size=5), min_size=1, max_size=20))
def test_any_text_round_trips(rows):
    """Whatever the text (quotes, newlines, commas, formulas), reading gives it back."""
    text = "".join(csv_chunks(rows, bom=True, lines_per_chunk=3))
    assert text.startswith(BOM)
    back = [[unescape_cell(c) for c in row] for row in _read(text)]
    assert back == rows


def test_arabic_names_round_trip_through_the_bom_variant():
    """Arabic names with diacritics and tatweel come back byte for byte from UTF-8-BOM."""
    names = ["مُحَمَّد خالِد الأتاسي", "عبد الرحمـــن", "سامر نبيل الخطيب\nSamer"]
    data = "".join(csv_chunks([["name"], *[[n] for n in names]], bom=True)).encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert [r[0] for r in rows[1:]] == names


def test_huge_text_quotes_and_newlines_round_trip():
    """A 1 MB cell with quotes, CRLF and commas survives, and no line is split wrongly."""
    huge = ('=cmd|" /C calc"!A0,\r\n"quoted"' * 40_000)[:1_000_000]
    text = "".join(csv_chunks([["a", "b"], [huge, 'x"y']]))
    rows = _read(text)
    assert len(rows) == 2
    assert unescape_cell(rows[1][0]) == huge
    assert rows[1][0].startswith("'=")
    assert rows[1][1] == 'x"y'
