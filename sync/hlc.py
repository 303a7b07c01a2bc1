"""Hybrid logical clocks as strings that sort lexicographically.

Format: ``"{wall_ms:015d}-{counter:06d}-{origin_id}"``. The clock only orders changes
for display and breaks ties between concurrent writes; causality always comes from
``deps``. So a skewed device clock is never rejected: a clock running days ahead simply
wins ties until a person resolves them. The current time is passed in; this module never
reads a clock.
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["HLC_PATTERN", "Hlc", "format_hlc", "parse_hlc", "recv", "tick"]

HLC_PATTERN = re.compile(r"^(\d{15})-(\d{6})-(.+)$")
_MAX_WALL = 10**15 - 1
_MAX_COUNTER = 10**6 - 1


class Hlc(NamedTuple):
    """The three parts of a hybrid logical clock."""

    wall_ms: int
    counter: int
    origin_id: str


def format_hlc(wall_ms: int, counter: int, origin_id: str) -> str:
    """Return the sortable string form of a clock reading."""
    return f"{wall_ms:015d}-{counter:06d}-{origin_id}"


def parse_hlc(text: str) -> Hlc:
    """Parse a clock string; raise ``ValueError`` when it is not one."""
    m = HLC_PATTERN.match(text)
    if m is None:
        raise ValueError(f"not a hybrid logical clock: {text!r}")
    return Hlc(int(m.group(1)), int(m.group(2)), m.group(3))


def _advance(wall: int, counter: int, origin_id: str) -> str:
    # A counter that would overflow its six digits borrows the next millisecond, so the
    # string keeps its fixed width and its order.
    if counter > _MAX_COUNTER:
        wall, counter = wall + 1, 0
    return format_hlc(min(max(wall, 0), _MAX_WALL), counter, origin_id)


def tick(prev: str | None, now_ms: int, origin_id: str) -> str:
    """Return the clock for a new local change after ``prev`` at device time ``now_ms``."""
    now = max(now_ms, 0)
    if prev is None:
        return _advance(now, 0, origin_id)
    last = parse_hlc(prev)
    if now > last.wall_ms:
        return _advance(now, 0, origin_id)
    return _advance(last.wall_ms, last.counter + 1, origin_id)


def recv(prev: str | None, remote: str, now_ms: int, origin_id: str) -> str:
    """Return the local clock after seeing a remote clock ``remote``.

    The result is later than both ``prev`` and ``remote``; it never fails, however far
    the remote clock is from ``now_ms``.
    """
    now = max(now_ms, 0)
    r = parse_hlc(remote)
    last = parse_hlc(prev) if prev is not None else Hlc(0, 0, origin_id)
    wall = max(now, last.wall_ms, r.wall_ms)
    if wall == last.wall_ms == r.wall_ms:
        counter = max(last.counter, r.counter) + 1
    elif wall == last.wall_ms:
        counter = last.counter + 1
    elif wall == r.wall_ms:
        counter = r.counter + 1
    else:
        counter = 0
    return _advance(wall, counter, origin_id)
