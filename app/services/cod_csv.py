"""Reading a gazetteer in the OCHA COD tabular layout: pure parsing and validation.

No database here: `read_cod_csv()` turns a text stream into the list of places it
describes, or raises `CodFileError` with every problem found and its line number. The
gazetteer service compares that list with the database and writes it in one transaction.

The layout (one row per lowest-level unit, each row repeating its parents):

    ADM1_PCODE, ADM1_EN, ADM1_AR, ADM2_PCODE, ADM2_EN, ADM2_AR, ... ADM5_...

- ADM1–ADM4 are governorate, district, sub-district and community (Syria's COD stops at
  ADM4, communities coded C####); ADM5 is accepted for neighbourhoods (our extension).
- Column names are matched without regard to case or surrounding spaces; other columns
  (ADM1_REF, ADM1ALT1_EN, validOn, Shape_Area…) are ignored; a UTF-8 BOM is tolerated.
- A row may stop at any level (a district row leaves ADM3+ empty) but may not skip one.
- Each level needs a P-code and at least one name. An empty name means "not given".
- Commas are expected; a header line with no comma but semicolons or tabs (as some
  spreadsheet programs save in Arabic locales) switches to that delimiter.
"""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TextIO

from app.models.places import LEVELS

MAX_LEVEL = 5  # ADM1..ADM5
MAX_NAME = 200
MAX_ERRORS = 100  # enough to fix a file; the rest would only repeat
PCODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9.-]{0,39}$")  # no "_" or "%": safe in LIKE


@dataclass(frozen=True)
class CodPlace:
    """One place described by the file: its first line, and its parent's P-code."""

    pcode: str
    level: str
    parent_pcode: str | None
    name_en: str
    name_ar: str
    line: int


class CodFileError(Exception):
    """The file cannot be imported; `errors` lists (line, message), line 1 = header."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        super().__init__(f"{len(errors)} problem(s) in the gazetteer file")
        self.errors = errors


def _clean(value: str) -> str:
    # Spreadsheets leave non-breaking and doubled spaces in names.
    return " ".join(value.split())


def _columns(header: list[str]) -> tuple[list[dict[str, int]], list[tuple[int, str]]]:
    """Per level, the positions of its PCODE/EN/AR columns; or header errors."""
    names = {cell.replace("\ufeff", "").strip().upper(): i for i, cell in enumerate(header)}
    levels: list[dict[str, int]] = []
    errors: list[tuple[int, str]] = []
    for n in range(1, MAX_LEVEL + 1):
        found = {k: names[f"ADM{n}_{k}"] for k in ("PCODE", "EN", "AR") if f"ADM{n}_{k}" in names}
        if "PCODE" not in found:
            if n == 1:
                errors.append((1, "Column ADM1_PCODE is missing."))
            elif found:
                errors.append((1, f"Column ADM{n}_PCODE is missing."))
            break
        if "EN" not in found and "AR" not in found:
            errors.append((1, f"Column ADM{n}_EN or ADM{n}_AR is missing."))
            break
        levels.append(found)
    return levels, errors


def _rows(stream: TextIO) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) for each row; the line is the row's last physical line."""
    first = stream.readline()
    delimiter = ","
    if "," not in first:
        delimiter = max(";\t", key=first.count) if (";" in first or "\t" in first) else ","
    reader = csv.reader(itertools.chain([first], stream), delimiter=delimiter)
    for cells in reader:
        yield reader.line_num, cells


class _Collector:
    """Accumulates places and errors while the rows stream past."""

    def __init__(self) -> None:
        self.places: dict[str, CodPlace] = {}
        self.errors: list[tuple[int, str]] = []

    def error(self, line: int, message: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append((line, message))

    def row(self, line: int, cells: list[str], levels: list[dict[str, int]]) -> None:
        def cell(n: int, key: str) -> str:
            i = levels[n].get(key)
            return _clean(cells[i]) if i is not None and i < len(cells) else ""

        parent: str | None = None
        ended_at: int | None = None
        for n in range(len(levels)):
            adm = f"ADM{n + 1}"
            code, en, ar = cell(n, "PCODE").upper(), cell(n, "EN"), cell(n, "AR")
            if not (code or en or ar):
                ended_at = ended_at if ended_at is not None else n
                continue
            if ended_at is not None:
                self.error(line, f"ADM{ended_at + 1} is empty but {adm} is filled.")
                return
            if not code:
                self.error(line, f"{adm}_PCODE is empty.")
                return
            if not PCODE_RE.match(code):
                self.error(line, f"{adm}_PCODE {code!r} is not a P-code (letters, digits, -).")
                return
            if not (en or ar):
                self.error(line, f"{adm}_EN and {adm}_AR are both empty.")
                return
            if max(len(en), len(ar)) > MAX_NAME:
                self.error(line, f"A name of {adm} is longer than {MAX_NAME} characters.")
                return
            place = CodPlace(code, LEVELS[n], parent, en, ar, line)
            if not self._consistent(place):
                return
            parent = code

    def _consistent(self, place: CodPlace) -> bool:
        seen = self.places.get(place.pcode)
        if seen is None:
            self.places[place.pcode] = place
            return True
        where = f"on line {seen.line}"
        if seen.level != place.level:
            self.error(place.line, f"P-code {place.pcode} is a {seen.level} {where}.")
        elif seen.parent_pcode != place.parent_pcode:
            self.error(
                place.line,
                f"P-code {place.pcode} is under {seen.parent_pcode} {where} "
                f"but under {place.parent_pcode} here.",
            )
        elif (place.name_en and place.name_en != seen.name_en) or (
            place.name_ar and place.name_ar != seen.name_ar
        ):
            self.error(place.line, f"P-code {place.pcode} has other names {where}.")
        else:
            return True
        return False


def read_cod_csv(stream: TextIO) -> list[CodPlace]:
    """Every place the file describes, parents before children; or `CodFileError`.

    `stream` is text; open files with `encoding="utf-8-sig", newline=""`.
    """
    collector = _Collector()
    rows = _rows(stream)
    line = 0
    try:
        first = next(rows, None)
        if first is None:
            raise CodFileError([(1, "The file is empty.")])
        levels, header_errors = _columns(first[1])
        if header_errors:
            raise CodFileError(header_errors)
        for line, cells in rows:
            if any(c.strip() for c in cells):
                collector.row(line, cells, levels)
    except UnicodeDecodeError as exc:
        collector.error(line + 1, f"The file is not UTF-8 text ({exc.reason}).")
    except csv.Error as exc:
        collector.error(line + 1, f"The file is not valid CSV ({exc}).")
    if collector.errors:
        raise CodFileError(collector.errors)
    if not collector.places:
        raise CodFileError([(1, "The file has a header but no places.")])
    return list(collector.places.values())
