"""Fixed regression cases: each shrunk counterexample found by the property tests or the
state machine is kept here as it was shrunk, with what it caught.

The first cases pin subtle paths the properties exercise (a late dep that re-links
writes; a purge copy arriving before its purge) so that a refactor breaking them fails by
name; the last one was found by the hub simulation (tests/app/test_sync_simulation.py).
"""

from __future__ import annotations

from typing import Any

from sync import RecordState, apply_change, materialise


def fold(changes: list[Any]) -> dict[str, RecordState]:
    states: dict[str, RecordState] = {}
    for c in changes:
        states[c.record_id] = apply_change(states.get(c.record_id), c)
    return states


def test_late_middle_link_supersedes_old_write(make_change: Any) -> None:
    """c1 -> c2 -> c3 where c2 (writing nothing to full_name) arrives last: c3 must end
    up superseding c1's full_name, though the two looked concurrent before c2 came."""
    c1 = make_change("c1", "create", {"full_name": "أ"})
    c2 = make_change("c2", "patch", {"sex": "male"}, ["c1"], seq=2)
    c3 = make_change("c3", "patch", {"full_name": "ب"}, ["c2"], seq=3)
    partial = fold([c3, c1])
    assert "full_name" in partial["r1"].conflicts
    done = fold([c3, c1, c2])
    assert done == materialise([c1, c2, c3])
    assert done["r1"].values["full_name"] == "ب" and not done["r1"].conflicts


def test_blanked_copy_before_purge(make_change: Any) -> None:
    """A blanked copy arriving first marks the record purged; the original is ignored."""
    from sync import blank_for_purge

    a = make_change("a", "create", {"full_name": "سر"})
    p = make_change("p", "purge", {"reason": "erasure"}, ["a"], seq=2)
    order = [blank_for_purge(a, "p"), a, p]
    assert fold(order) == materialise(order) == materialise([a, p])
    assert fold(order)["r1"].values == {}


def test_forget_recounts_the_have_vector(make_change: Any) -> None:
    """Found by the hub simulation (tests/app/test_sync_simulation.py): after `forget` the
    reference client's have-vector still claimed the forgotten changes, so `missing`
    would not send them again when access came back."""
    from sync import Replica

    r = Replica("me", "u1", clock=lambda: 0, new_id=lambda: "x")
    a = make_change("a", "create", {"full_name": "أ"}, origin="o1", seq=1, record="r1")
    b = make_change("b", "create", {"full_name": "ب"}, origin="o1", seq=2, record="r2")
    r.receive([a, b])
    assert r.have_vector() == {"o1": 2}
    r.forget(["r1"])
    assert r.have_vector() == {"o1": 0}
    r.receive([a])
    assert r.have_vector() == {"o1": 2}
