"""The Python reference client: a replica with its change log, outbox and checkpoints.

A :class:`Replica` writes changes, applies changes it receives (in any order, any number
of times) and syncs with a hub through a :class:`Transport`. Ids and time come from
injected callables; the replica never does IO itself (the HTTP transport lives in the
app). It never deletes a change from its own log, and marks a change sent only when the
hub answered accepted or duplicate.
"""

from __future__ import annotations

import copy
import gc
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

from .changes import SCHEMA_VERSION, Change, ChangeError, blank_for_purge, new_change
from .hlc import recv, tick
from .materialise import RecordState, apply_change, link_merges
from .protocol import HaveVector, Hello, HubInfo, PullPage, PushResult

__all__ = ["FetchedPage", "PullAhead", "Replica", "SyncReport", "Transport", "pull_pipelined"]


class Transport(Protocol):
    """How a replica talks to a hub (in memory, HTTP, or a USB bundle)."""

    def handshake(self, hello: Hello) -> HubInfo:
        """Introduce the replica; learn the hub's id, position and clock."""
        ...

    def push(self, changes: Sequence[Change]) -> list[PushResult]:
        """Send changes; one status per change."""
        ...

    def pull(self, since: int, limit: int) -> PullPage:
        """Fetch changes after the cursor ``since``."""
        ...

    def missing(self, have_vector: Mapping[str, int]) -> list[Change]:
        """Fetch the changes a replica with ``have_vector`` may lack."""
        ...


@dataclass(frozen=True)
class FetchedPage:
    """A pull page as it arrived, not yet checked: its cursor, and how to rebuild and
    check its changes. The cursor is enough to ask for the next page, so the check of
    this one (the client's largest cost) overlaps the hub's work on the next."""

    hub_seq: int
    more: bool
    check: Callable[[], PullPage]


@runtime_checkable
class PullAhead(Protocol):
    """A transport that can fetch a pull page while the replica stores the previous one.

    ``pull_ahead`` starts the request at once (in a thread of the transport: the replica
    does no IO) and returns a callable that waits for the page as it arrived, raising
    what the request raised. ``ack`` is the highest hub_seq the replica has stored
    (None: the hub takes ``since``, as for :meth:`Transport.pull`).
    """

    def pull_ahead(self, since: int, limit: int, ack: int | None) -> Callable[[], FetchedPage]:
        """Start fetching the page after ``since``; the returned callable waits for it."""
        ...


@dataclass
class SyncReport:
    """What one sync did."""

    pushed: int = 0
    pulled: int = 0
    repaired: int = 0
    problems: list[PushResult] = field(default_factory=list)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one batch of changes.

    Checking and applying a page makes thousands of objects that all stay alive (the
    log, the states); each time the collector runs it walks them again, and that was
    half of what receiving a page cost. Nothing here makes reference cycles, and what
    others made meanwhile is collected once the collector is back on. It is left off
    if it was off (nesting, or a caller that turned it off itself).
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


class Replica:
    """A replica: change log, records, outbox, per-peer checkpoints and have-vector."""

    def __init__(
        self,
        origin_id: str,
        author: str,
        *,
        clock: Callable[[], int],
        new_id: Callable[[], str],
    ) -> None:
        self.origin_id = origin_id
        self.author = author
        self._clock = clock
        self._new_id = new_id
        self.log: dict[str, Change] = {}
        self.outbox: list[str] = []
        self.checkpoints: dict[str, int] = {}
        self.problems: dict[str, PushResult] = {}
        self.hlc: str | None = None
        self.next_seq = 1
        self._states: dict[str, RecordState] = {}
        self._by_record: dict[str, list[str]] = {}
        self._purge_of: dict[str, str] = {}
        self._have = HaveVector()

    # -- reading ------------------------------------------------------------------------

    def record(self, record_id: str) -> RecordState | None:
        """The current state of one record (``merged_from`` is filled by :meth:`records`)."""
        return self._states.get(record_id)

    def records(self) -> dict[str, RecordState]:
        """Every record held, with merge links filled in."""
        return link_merges(dict(sorted(self._states.items())))

    def have_vector(self) -> dict[str, int]:
        """Per origin, the highest contiguous origin_seq held."""
        return self._have.vector()

    # -- writing ------------------------------------------------------------------------

    def write(
        self,
        record_id: str,
        kind: str,
        action: str,
        patch: Mapping[str, Any],
        deps: Iterable[str] | None = None,
    ) -> Change:
        """Write a change (deps default to the record's current heads) and apply it."""
        now = self._clock()
        self.hlc = tick(self.hlc, now, self.origin_id)
        state = self._states.get(record_id)
        change = new_change(
            op_id=self._new_id(),
            record_id=record_id,
            kind=kind,
            origin_id=self.origin_id,
            origin_seq=self.next_seq,
            action=action,
            patch=patch,
            hlc=self.hlc,
            device_time=now,
            author=self.author,
            deps=(state.heads if state is not None else []) if deps is None else deps,
        )
        self.next_seq += 1
        self._receive_one(change, local=True)
        self.outbox.append(change.op_id)
        return change

    def resolve(
        self, record_id: str, choices: Mapping[str, Any], seen: Iterable[str] | None = None
    ) -> Change:
        """Resolve conflicts: ``choices`` maps field to chosen value; the deps are the
        candidates seen (default: every current candidate of those fields, plus the
        heads when a delete is contested)."""
        state = self._states[record_id]
        if seen is None:
            picked = {c.op_id for f in choices for c in state.conflicts.get(f, [])}
            if state.delete_conflict or not picked:
                picked |= set(state.heads)
            seen = picked
        return self.write(record_id, state.kind, "resolve", choices, deps=seen)

    # -- receiving ----------------------------------------------------------------------

    def _receive_one(self, change: Change, *, local: bool = False) -> None:
        rid = change.record_id
        held = self.log.get(change.op_id)
        if held is not None:
            if held.content_hash != change.content_hash:
                raise ChangeError("op_id", f"id_collision: {change.op_id}")
            if change.purged_by is None or held.purged_by is not None:
                return
            self.log[change.op_id] = change
        else:
            purge = self._purge_of.get(rid)
            if purge is not None and change.purged_by is None and change.action != "purge":
                change = blank_for_purge(change, purge)
            self.log[change.op_id] = change
            self._by_record.setdefault(rid, []).append(change.op_id)
            self._have.add(change.origin_id, change.origin_seq)
            if not local:
                self.hlc = recv(self.hlc, change.hlc, self._clock(), self.origin_id)
        if change.action == "purge" and rid not in self._purge_of:
            # Blank this replica's copies too: erasure must reach every log it lands in.
            self._purge_of[rid] = change.op_id
            for op in self._by_record[rid]:
                c = self.log[op]
                if c.purged_by is None and c.action != "purge":
                    self.log[op] = blank_for_purge(c, change.op_id)
        self._states[rid] = apply_change(self._states.get(rid), change)

    def receive(self, changes: Iterable[Change]) -> None:
        """Store and apply changes from elsewhere, in any order, repeats included."""
        with collector_paused():
            for c in changes:
                self._receive_one(c)

    # -- syncing ------------------------------------------------------------------------

    def hello(self) -> Hello:
        """The handshake message of this replica."""
        return Hello(self.origin_id, SCHEMA_VERSION, self.have_vector(), self._clock())

    def push(self, transport: Transport, batch_size: int = 500) -> SyncReport:
        """Send the outbox in FIFO batches; drop an entry only once the hub holds it."""
        report = SyncReport()
        pending = list(self.outbox)
        for start in range(0, len(pending), batch_size):
            batch = [self.log[op] for op in pending[start : start + batch_size]]
            results = transport.push(batch)
            done = set()
            for r in results:
                if r.status in ("accepted", "duplicate"):
                    done.add(r.op_id)
                    self.problems.pop(r.op_id, None)
                else:
                    self.problems[r.op_id] = r
                    report.problems.append(r)
            self.outbox = [op for op in self.outbox if op not in done]
            report.pushed += len(done)
        return report

    def pull(self, transport: Transport, peer_id: str, page_size: int = 500) -> SyncReport:
        """Pull pages after this peer's checkpoint; each page and its checkpoint are
        taken together, so a crash repeats a page at worst, never skips one.

        With a :class:`PullAhead` transport the next page is asked for while this one is
        stored (see :meth:`_pull_ahead`); otherwise one page at a time.
        """
        if isinstance(transport, PullAhead):
            return self._pull_ahead(transport, peer_id, page_size)
        report = SyncReport()
        while True:
            page = transport.pull(self.checkpoints.get(peer_id, 0), page_size)
            self._store_page(peer_id, page, report)
            if not page.more:
                return report

    def _store_page(self, peer_id: str, page: PullPage, report: SyncReport) -> None:
        self.receive(page.changes)
        self.forget(page.forget)
        self.checkpoints[peer_id] = page.hub_seq
        report.pulled += len(page.changes)

    def _pull_ahead(self, transport: PullAhead, peer_id: str, page_size: int) -> SyncReport:
        report = SyncReport()

        def store(fetched: FetchedPage) -> int:
            with collector_paused():
                page = fetched.check()
                self._store_page(peer_id, page, report)
            return page.hub_seq

        pull_pipelined(
            self.checkpoints.get(peer_id, 0),
            lambda since, ack: transport.pull_ahead(since, page_size, ack),
            store,
            lambda fetched: (fetched.hub_seq, fetched.more),
        )
        return report

    def repair(self, transport: Transport) -> SyncReport:
        """Ask the hub for whatever the have-vector says is missing."""
        found = transport.missing(self.have_vector())
        fresh = [c for c in found if c.op_id not in self.log]
        self.receive(fresh)
        return SyncReport(repaired=len(fresh))

    def sync(self, transport: Transport, peer_id: str, page_size: int = 500) -> SyncReport:
        """Handshake, push the outbox, pull everything new, then repair gaps."""
        info = transport.handshake(self.hello())
        self.hlc = recv(self.hlc, _hlc_at(info.clock_ms), self._clock(), self.origin_id)
        pushed = self.push(transport)
        pulled = self.pull(transport, peer_id, page_size)
        repaired = self.repair(transport)
        return SyncReport(pushed.pushed, pulled.pulled, repaired.repaired, pushed.problems)

    def forget(self, record_ids: Iterable[str]) -> None:
        """Drop records this replica may no longer hold (its unsent changes stay queued).

        The have-vector is recounted over what stays: it claims only changes held, so
        the repair path sends the forgotten ones again if access comes back.
        """
        dropped = False
        for rid in record_ids:
            self._states.pop(rid, None)
            for op in self._by_record.pop(rid, []):
                if op not in self.outbox:
                    dropped = self.log.pop(op, None) is not None or dropped
            self._purge_of.pop(rid, None)
        if dropped:
            self._have = HaveVector()
            for c in self.log.values():
                self._have.add(c.origin_id, c.origin_seq)

    # -- backup and restore -------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready backup of everything this replica holds."""
        return {
            "origin_id": self.origin_id,
            "author": self.author,
            "log": [c.to_dict() for c in self.log.values()],
            "outbox": list(self.outbox),
            "checkpoints": dict(self.checkpoints),
            "hlc": self.hlc,
            "next_seq": self.next_seq,
        }

    @classmethod
    def restore(
        cls,
        snapshot: Mapping[str, Any],
        *,
        origin_id: str,
        clock: Callable[[], int],
        new_id: Callable[[], str],
    ) -> Replica:
        """Rebuild a replica from a backup under a *new* origin id.

        A restored or cloned install must never reuse its old origin's sequence numbers:
        changes it wrote after the backup may already be on a hub.
        """
        if origin_id == snapshot["origin_id"]:
            raise ValueError("a restored replica needs a new origin id")
        replica = cls(origin_id, snapshot["author"], clock=clock, new_id=new_id)
        snap = copy.deepcopy(dict(snapshot))
        replica.receive(Change.from_dict(d) for d in snap["log"])
        replica.outbox = list(snap["outbox"])
        replica.checkpoints = dict(snap["checkpoints"])
        return replica


P = TypeVar("P")


def pull_pipelined(
    checkpoint: int,
    ahead: Callable[[int, int | None], Callable[[], P]],
    store: Callable[[P], int],
    cursor: Callable[[P], tuple[int, bool]],
) -> None:
    """A pull with one request in flight ahead of the page being stored.

    ``ahead(since, ack)`` starts a pull request and returns a callable that waits for its
    page as it arrived; ``cursor(page)`` gives the page's ``(hub_seq, more)``;
    ``store(page)`` checks and stores a page with its cursor and returns the new
    checkpoint. Any page type will do, so the replica and a hub pulling from a hub share
    this loop. The next request leaves before ``store`` runs, so the hub prepares page
    N+1 while the client checks and stores page N.

    The request for page N+1 (``since`` = page N's cursor) is sent before page N is
    stored and carries ``ack`` = the checkpoint stored before page N: the hub never
    records progress that is not stored. A pull whose last page came from such a request
    ends with one closing request (``since`` = ``ack`` = the final checkpoint), so the
    hub's record of this client's progress is exact; what that request brings is stored
    like any page (and followed by more if it says ``more``). A one-page pull makes one
    request, as a sequential pull does. A failed request or store raises: pages stored
    so far stay, an unstored prefetched page is never acknowledged, and the next pull
    starts again from the checkpoint.
    """
    stored = checkpoint
    waiting, exact = ahead(stored, None), True
    while True:
        page = waiting()
        next_since, more = cursor(page)
        if more:
            waiting, exact = ahead(next_since, stored), False
        stored = store(page)
        if more:
            continue
        if exact:  # that request told the hub everything stored before it was sent
            return
        waiting, exact = ahead(stored, stored), True


def _hlc_at(clock_ms: int) -> str:
    # The hub's clock only nudges ours forward: a hub far behind changes nothing.
    return tick(None, clock_ms, "hub")
