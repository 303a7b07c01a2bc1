"""Fixtures and Hypothesis strategies shared by the sync tests.

Strategies are handed out by session fixtures (drawn with ``st.data()``) so no test
module imports another; ``HYPOTHESIS_PROFILE=soak`` runs many more examples.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from sync import Change, format_hlc, new_change

settings.register_profile(
    "default_sync",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "soak",
    max_examples=2000,
    stateful_step_count=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default_sync"))

MakeChange = Callable[..., Change]


@pytest.fixture(scope="session")
def make_change() -> MakeChange:
    """Factory for valid changes with readable defaults (origin o1, casualty r1)."""

    def make(
        op_id: str,
        action: str = "patch",
        patch: dict[str, Any] | None = None,
        deps: Iterable[str] = (),
        *,
        origin: str = "o1",
        seq: int = 1,
        t: int = 1_000,
        counter: int = 0,
        kind: str = "casualty",
        record: str = "r1",
        author: str = "u1",
    ) -> Change:
        return new_change(
            op_id=op_id,
            record_id=record,
            kind=kind,
            origin_id=origin,
            origin_seq=seq,
            action=action,
            patch=patch if patch is not None else {},
            hlc=format_hlc(t, counter, origin),
            device_time=t,
            author=author,
            deps=deps,
        )

    return make


# Values meant to collide: equal values written concurrently must not be a conflict,
# different ones must; Arabic text and decimals-as-strings ride along.
VALUES = st.sampled_from(
    ["أحمد", "Ahmad", "محمد علي", "12.50", "0.1", None, 7, True, {"a": [1, "ب"]}, ""]
)
RECORDS = {"r1": "casualty", "r2": "supply_need", "r3": "missing_person"}


@st.composite
def _history(draw: st.DrawFn) -> list[Change]:
    """A causally plausible history: writers that see random subsets of each other."""
    origins = ["o1", "o2", "o3"][: draw(st.integers(1, 3))]
    known: dict[str, list[Change]] = {o: [] for o in origins}
    seq = dict.fromkeys(origins, 0)
    all_changes: list[Change] = []
    eids = ["e1", "e2", "e3"]
    steps = draw(st.integers(1, 14))
    for step in range(steps):
        origin = draw(st.sampled_from(origins))
        if all_changes and draw(st.booleans()):
            # learn some changes from elsewhere, not necessarily with their deps
            learned = draw(st.lists(st.sampled_from(all_changes), max_size=6))
            have = {c.op_id for c in known[origin]}
            known[origin].extend(c for c in learned if c.op_id not in have)
        record = draw(st.sampled_from(sorted(RECORDS)))
        kind = RECORDS[record]
        mine = [c for c in known[origin] if c.record_id == record]
        named = {d for c in mine for d in c.deps}
        heads = sorted({c.op_id for c in mine} - named)
        if draw(st.integers(0, 4)) == 0 and heads:
            heads = draw(st.lists(st.sampled_from(heads), unique=True))
        action = draw(
            st.sampled_from(
                ["create", "patch", "patch", "patch", "delete", "undelete", "resolve", "merge_into"]
            )
            if draw(st.integers(0, 80))
            else st.just("purge")
        )
        patch: dict[str, Any] = {}
        if action in ("create", "patch", "resolve"):
            for name in draw(
                st.lists(
                    st.sampled_from(
                        [
                            "full_name",
                            "location_detail",
                            "quantity_delivered",
                            "alternate_names",
                            "notes",
                            "future_field",
                        ]
                    ),
                    min_size=1,
                    max_size=3,
                    unique=True,
                )
            ):
                if name == "quantity_delivered" and kind == "supply_need":
                    patch[name] = {"delta": draw(st.integers(-5, 100))}
                elif name == "alternate_names" and kind != "supply_need":
                    adds = draw(st.lists(st.sampled_from(eids), max_size=2, unique=True))
                    removes = [
                        e
                        for e in draw(st.lists(st.sampled_from(eids), max_size=2, unique=True))
                        if e not in adds
                    ]
                    if not adds and not removes:
                        adds = ["e1"]
                    patch[name] = {
                        "add": [{"eid": e, "value": draw(VALUES)} for e in adds],
                        "remove": removes,
                    }
                elif name == "notes" and kind == "missing_person":
                    patch[name] = {"add": [{"eid": draw(st.sampled_from(eids)), "text": "ن"}]}
                elif name not in ("quantity_delivered", "alternate_names", "notes"):
                    patch[name] = draw(VALUES)
            if action == "patch" and not patch:
                patch = {"location_detail": draw(VALUES)}
            if action == "resolve" and not heads:
                action = "patch" if patch else "create"
        elif action == "merge_into":
            patch = {"target": draw(st.sampled_from([r for r in RECORDS if r != record]))}
        elif action == "purge":
            patch = {"reason": "court order"}
        seq[origin] += 1
        t = 1_000 + step * draw(st.sampled_from([1, 0, -1])) + draw(st.integers(0, 2))
        change = new_change(
            op_id=f"{origin}-{seq[origin]}",
            record_id=record,
            kind=kind,
            origin_id=origin,
            origin_seq=seq[origin],
            action=action,
            patch=patch,
            hlc=format_hlc(t, step, origin),
            device_time=t,
            author=f"u-{origin}",
            deps=heads,
        )
        known[origin].append(change)
        all_changes.append(change)
    return all_changes


@st.composite
def _delivery(draw: st.DrawFn, changes: list[Change]) -> list[Change]:
    """Any permutation of the set, with any repeats."""
    order = draw(st.permutations(changes))
    repeats = draw(st.lists(st.sampled_from(changes), max_size=5)) if changes else []
    out = list(order)
    for c in repeats:
        out.insert(draw(st.integers(0, len(out))), c)
    return out


@pytest.fixture(scope="session")
def histories() -> st.SearchStrategy[list[Change]]:
    """Strategy of generated histories (several records, writers and actions)."""
    return _history()


@pytest.fixture(scope="session")
def deliveries() -> Callable[[list[Change]], st.SearchStrategy[list[Change]]]:
    """Strategy factory: a delivery order of a history, with duplicates."""
    return _delivery
