"""Small-cell suppression: no published cell of 1-4, no withheld cell recoverable."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from app.exports.aggregate import TOTAL, suppress

K = 5


def _determined(full: dict, hidden: set, rows: list, cols: list) -> set:
    """Withheld cells the published table fixes, by exact linear algebra (independent of
    the graph argument the code uses): a cell is determined iff its unit vector lies in
    the row space of the sum constraints restricted to the withheld cells."""
    unknowns = sorted(hidden, key=repr)
    index = {cell: i for i, cell in enumerate(unknowns)}
    equations = []
    for r in [*rows, TOTAL]:
        eq = [Fraction(0)] * len(unknowns)
        for c in cols:
            if (r, c) in index:
                eq[index[(r, c)]] += 1
        if (r, TOTAL) in index:
            eq[index[(r, TOTAL)]] -= 1
        equations.append(eq)
    for c in [*cols, TOTAL]:
        eq = [Fraction(0)] * len(unknowns)
        for r in rows:
            if (r, c) in index:
                eq[index[(r, c)]] += 1
        if (TOTAL, c) in index:
            eq[index[(TOTAL, c)]] -= 1
        equations.append(eq)

    def rank(matrix: list[list[Fraction]]) -> int:
        m = [row[:] for row in matrix]
        r = 0
        for col in range(len(unknowns)):
            pivot = next((i for i in range(r, len(m)) if m[i][col] != 0), None)
            if pivot is None:
                continue
            m[r], m[pivot] = m[pivot], m[r]
            for i in range(len(m)):
                if i != r and m[i][col] != 0:
                    factor = m[i][col] / m[r][col]
                    m[i] = [a - factor * b for a, b in zip(m[i], m[r], strict=True)]
            r += 1
        return r

    base = rank(equations)
    determined = set()
    for cell, i in index.items():
        unit = [Fraction(0)] * len(unknowns)
        unit[i] = Fraction(1)
        if rank([*equations, unit]) == base:
            determined.add(cell)
    return determined


tables = st.integers(1, 5).flatmap(
    lambda n_rows: st.integers(1, 5).flatmap(
        lambda n_cols: st.lists(
            st.one_of(st.just(0), st.integers(1, 4), st.integers(5, 60)),
            min_size=n_rows * n_cols,
            max_size=n_rows * n_cols,
        ).map(lambda values: (n_rows, n_cols, values))
    )
)


@settings(max_examples=300, deadline=None)
@given(tables)
def test_no_small_cell_shown_and_none_recoverable(table):
    """Whatever the table: shown cells are 0 or ≥ 5, and linear algebra over the shown
    totals pins down no withheld cell."""
    n_rows, n_cols, values = table
    rows = [f"d{i}" for i in range(n_rows)]
    cols = [f"m{j}" for j in range(n_cols)]
    cells = {(r, c): values[i * n_cols + j] for i, r in enumerate(rows) for j, c in enumerate(cols)}
    full, hidden = suppress(cells, rows, cols, K)
    for cell, value in full.items():
        if cell not in hidden:
            assert value == 0 or value >= K, (cell, value)
    assert _determined(full, hidden, rows, cols) == set()


def test_a_lone_small_cell_is_covered_by_a_rectangle():
    """One 3 in a table of large counts takes three more cells with it, not the table."""
    rows, cols = ["a", "b", "c"], ["m1", "m2", "m3"]
    cells = {(r, c): 50 for r in rows for c in cols}
    cells[("a", "m1")] = 3
    full, hidden = suppress(cells, rows, cols, K)
    assert ("a", "m1") in hidden
    assert len(hidden) == 4
    assert _determined(full, hidden, rows, cols) == set()
