"""Messages of the sync protocol as plain values, and the have-vector.

The transport (in-memory for tests, HTTP in the app) moves these; nothing here does IO.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .changes import Change

__all__ = ["PUSH_STATUSES", "HaveVector", "Hello", "HubInfo", "PullPage", "PushResult"]

#: accepted and duplicate mean the hub holds the change; parked means it is stored but
#: not served (an admin looks at it); id_collision means the op id is held with other
#: content and is never silently deduplicated.
PUSH_STATUSES = frozenset({"accepted", "duplicate", "parked", "id_collision"})


@dataclass(frozen=True)
class Hello:
    """What a replica tells a hub first: who it is, what it has, its clock."""

    origin_id: str
    schema_version: int
    have_vector: dict[str, int]
    clock_ms: int


@dataclass(frozen=True)
class HubInfo:
    """The hub's answer to a hello. A hub never refuses uploads for schema or clock."""

    hub_id: str
    hub_seq: int
    schema_version: int
    clock_ms: int
    update_required: bool = False


@dataclass(frozen=True)
class PushResult:
    """Per-change status of a push."""

    op_id: str
    status: str
    reason: str = ""


@dataclass(frozen=True)
class PullPage:
    """Changes after a cursor; ``hub_seq`` is the next cursor, ``more`` says ask again."""

    changes: list[Change]
    hub_seq: int
    more: bool
    forget: list[str] = field(default_factory=list)


class HaveVector:
    """Per origin, the highest origin_seq held with every lower one held too."""

    def __init__(self) -> None:
        self._contiguous: dict[str, int] = {}
        self._above: dict[str, set[int]] = {}

    def add(self, origin_id: str, seq: int) -> None:
        """Record that the change ``seq`` of ``origin_id`` is held."""
        top = self._contiguous.get(origin_id, 0)
        if seq <= top:
            return
        above = self._above.setdefault(origin_id, set())
        above.add(seq)
        while top + 1 in above:
            top += 1
            above.discard(top)
        self._contiguous[origin_id] = top

    def vector(self) -> dict[str, int]:
        """Return ``{origin_id: highest contiguous seq}`` (origins with a gap at 1 show 0)."""
        return {
            o: self._contiguous.get(o, 0)
            for o in sorted(set(self._contiguous) | set(o for o, s in self._above.items() if s))
        }

    def covers(self, other: Mapping[str, int]) -> bool:
        """Whether everything ``other`` claims contiguously is held here contiguously."""
        return all(self._contiguous.get(o, 0) >= n for o, n in other.items())
