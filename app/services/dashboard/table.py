"""The one shape every chart answers in: a table the page draws, shows and downloads.

A cell's drill-down is `{**table.drill[row], **table.series[column]}`: the parameters
that `GET /api/v1/dashboard/<chart>/records` takes to list the records behind it. A
column whose series is None (labels, upper bounds) does not drill down.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Table:
    """Columns, rows of cells, and how each row and numeric column drills down."""

    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    drill: list[dict[str, str]] = field(default_factory=list)
    series: dict[str, dict[str, str] | None] = field(default_factory=dict)
    in_conflict: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def add(self, cells: list[Any], drill: dict[str, str] | None = None) -> None:
        """Append a row and its drill-down parameters."""
        self.rows.append(cells)
        self.drill.append(drill or {})

    def as_json(self) -> dict[str, Any]:
        """The JSON body part of this table."""
        return {
            "columns": self.columns,
            "rows": self.rows,
            "drill": self.drill,
            "series": {c: self.series.get(c) for c in self.columns},
            "in_conflict": self.in_conflict,
            **self.extra,
        }
