"""An in-memory hub: the hub side of the protocol, for tests and simulations.

It follows the hub's rules: insert-if-absent by op id with a content-hash comparison,
a ``hub_seq`` per stored change in commit order, a have-vector per origin, parked
changes kept (never dropped) and purges blanking the record's stored changes. It never
deletes a change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from .changes import SCHEMA_VERSION, Change, blank_for_purge
from .materialise import RecordState, materialise
from .protocol import HaveVector, Hello, HubInfo, PullPage, PushResult

__all__ = ["InMemoryHub"]


class InMemoryHub:
    """A hub that holds its change log in memory.

    ``park`` may return a reason to park a change (a policy the app would enforce);
    a change whose kind differs from its record's kind is always parked.
    """

    def __init__(
        self,
        hub_id: str = "hub",
        *,
        park: Callable[[Change], str | None] | None = None,
        clock: Callable[[], int] = lambda: 0,
    ) -> None:
        self.hub_id = hub_id
        self._park = park
        self._clock = clock
        self._log: list[Change] = []
        self._seq_of: dict[str, int] = {}
        self._kind: dict[str, str] = {}
        self._purge_of: dict[str, str] = {}
        self._by_record: dict[str, list[int]] = {}
        self.parked: dict[str, tuple[Change, str]] = {}
        self.have = HaveVector()

    @property
    def hub_seq(self) -> int:
        """The highest hub_seq handed out (everything up to it is committed)."""
        return len(self._log)

    def changes(self) -> list[Change]:
        """Every stored change in hub_seq order."""
        return list(self._log)

    def records(self) -> dict[str, RecordState]:
        """The records the stored changes describe."""
        return materialise(self._log)

    def handshake(self, hello: Hello) -> HubInfo:
        """Answer a hello; clocks and schema versions are never a reason to refuse."""
        return HubInfo(self.hub_id, self.hub_seq, SCHEMA_VERSION, self._clock())

    def _store(self, change: Change) -> None:
        rid = change.record_id
        purge = self._purge_of.get(rid)
        if purge is not None and change.purged_by is None and change.action != "purge":
            change = blank_for_purge(change, purge)
        self._log.append(change)
        self._seq_of[change.op_id] = len(self._log)
        self._by_record.setdefault(rid, []).append(len(self._log) - 1)
        self._kind.setdefault(rid, change.kind)
        self.have.add(change.origin_id, change.origin_seq)
        if change.action == "purge" and purge is None:
            # Erasure is itself replicated: blank what is stored, keep ids, deps, hashes.
            self._purge_of[rid] = change.op_id
            for i in self._by_record[rid]:
                held = self._log[i]
                if held.purged_by is None and held.action != "purge":
                    self._log[i] = blank_for_purge(held, change.op_id)

    def _push_one(self, change: Change) -> PushResult:
        seq = self._seq_of.get(change.op_id)
        if seq is not None:
            held = self._log[seq - 1]
            if held.content_hash != change.content_hash:
                return PushResult(change.op_id, "id_collision", "op id held with other content")
            return PushResult(change.op_id, "duplicate")
        parked = self.parked.get(change.op_id)
        if parked is not None:
            return PushResult(change.op_id, "parked", parked[1])
        reason = self._park(change) if self._park is not None else None
        kind = self._kind.get(change.record_id)
        if reason is None and kind is not None and kind != change.kind:
            reason = f"kind_mismatch: record is {kind}"
        if reason is not None:
            self.parked[change.op_id] = (change, reason)
            return PushResult(change.op_id, "parked", reason)
        self._store(change)
        return PushResult(change.op_id, "accepted")

    def push(self, changes: Sequence[Change]) -> list[PushResult]:
        """Store each change if absent; answer a status per change, in order."""
        return [self._push_one(c) for c in changes]

    def pull(self, since: int, limit: int) -> PullPage:
        """Changes with hub_seq in ``(since, since + limit]``."""
        since = max(since, 0)
        page = self._log[since : since + max(limit, 1)]
        nxt = since + len(page)
        return PullPage(page, nxt, nxt < len(self._log))

    def missing(self, have_vector: Mapping[str, int]) -> list[Change]:
        """The changes a caller with ``have_vector`` may lack (the repair path)."""
        return [c for c in self._log if c.origin_seq > have_vector.get(c.origin_id, 0)]
