"""Hypothesis strategy: every JSON value a change may hold (no floats, safe integers),
with the strings canonical JSON must get right (astral, controls, separators, quotes)."""

from __future__ import annotations

from hypothesis import strategies as st

text = st.text(st.characters(exclude_categories=["Cs"])) | st.sampled_from(
    ["\U0001f600", "\uffff", "ع", "\x7f", "\u2028", "\x00", '"\\', "\x1f", "\ud7ff", "é"]
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=5),
    max_leaves=16,
)
