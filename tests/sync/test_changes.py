"""Changes validate their shape and hash; clocks never refuse skew; the hub's statuses."""

from __future__ import annotations

from typing import Any

import pytest

from sync import (
    Change,
    ChangeError,
    InMemoryHub,
    Replica,
    blank_for_purge,
    materialise,
    parse_hlc,
    recv,
    tick,
)


def test_round_trip_and_hash_check(make_change: Any) -> None:
    """to_dict/from_dict round-trips; altering content without rehashing is refused."""
    c = make_change("a", "create", {"full_name": "أحمد", "sex": "male"})
    assert Change.from_dict(c.to_dict()) == c
    d = c.to_dict()
    d["patch"] = {"full_name": "Ahmad", "sex": "male"}
    with pytest.raises(ChangeError) as info:
        Change.from_dict(d)
    assert info.value.field == "content_hash"


@pytest.mark.parametrize(
    ("action", "patch", "deps", "field"),
    [
        ("patch", {}, (), "patch"),
        ("resolve", {"full_name": "x"}, (), "deps"),
        ("delete", {"full_name": "x"}, (), "patch"),
        ("merge_into", {}, (), "patch"),
        ("merge_into", {"target": "r1"}, (), "patch.target"),
        ("purge", {}, (), "patch"),
        ("patch", {"alternate_names": {"add": [{"value": "x"}]}}, (), "patch.alternate_names"),
        (
            "patch",
            {"alternate_names": {"add": [{"eid": "e"}], "remove": ["e"]}},
            (),
            "patch.alternate_names",
        ),
        ("patch", {"Bad-Name": 1}, (), "patch"),
        ("patch", {"x": 1.5}, (), "patch"),
    ],
)
def test_shape_is_validated(
    make_change: Any, action: str, patch: dict[str, Any], deps: tuple[str, ...], field: str
) -> None:
    """Malformed changes are refused with the part that is wrong."""
    with pytest.raises(ChangeError) as info:
        make_change("a", action, patch, deps)
    assert info.value.field == field


def test_blanked_change_keeps_identity_and_skips_hash(make_change: Any) -> None:
    """A purge-blanked copy keeps id, deps and hash, and still validates."""
    c = make_change("a", "patch", {"full_name": "أحمد"}, ["z"])
    b = blank_for_purge(c, "p1")
    assert (b.op_id, b.deps, b.content_hash, b.patch, b.purged_by) == (
        "a",
        ("z",),
        c.content_hash,
        {},
        "p1",
    )
    assert Change.from_dict(b.to_dict()) == b


def test_hlc_orders_and_never_refuses_skew() -> None:
    """tick/recv always move forward, whatever the remote clock says."""
    a = tick(None, 1_000, "dev-a")
    b = tick(a, 1_000, "dev-a")
    assert a < b and parse_hlc(b).counter == 1
    far = tick(None, 10**13, "dev-far")
    after = recv(b, far, 1_001, "dev-a")
    assert after > far and after > b
    assert tick(after, 5, "dev-a") > after  # a clock set back does not go back
    assert tick(None, -5, "x").startswith("000000000000000-")


def test_hub_statuses(make_change: Any) -> None:
    """accepted, duplicate, id_collision and parked, never a silent dedupe."""
    hub = InMemoryHub()
    a = make_change("a", "create", {"full_name": "x"})
    other = make_change("a", "create", {"full_name": "y"})
    wrong_kind = make_change("b", "patch", {"item_name": "z"}, kind="supply_need")
    results = hub.push([a, a, other, wrong_kind])
    assert [r.status for r in results] == ["accepted", "duplicate", "id_collision", "parked"]
    assert hub.hub_seq == 1 and "b" in hub.parked
    assert hub.have.vector() == {"o1": 1}


def test_hub_purge_blanks_stored_and_later_changes(make_change: Any) -> None:
    """A purge on the hub blanks what it holds and what arrives after it."""
    hub = InMemoryHub()
    a = make_change("a", "create", {"full_name": "سر"})
    p = make_change("p", "purge", {"reason": "erasure"}, ["a"], seq=2)
    late = make_change("b", "patch", {"full_name": "سر"}, ["a"], origin="o2")
    hub.push([a, p, late])
    assert all(c.patch == {} for c in hub.changes() if c.action != "purge")
    assert hub.records()["r1"].purged and hub.records()["r1"].values == {}


def test_replica_restore_needs_new_origin() -> None:
    """A restored install never reuses its old origin id."""
    r = Replica("dev-1", "u", clock=lambda: 0, new_id=lambda: "op-1")
    with pytest.raises(ValueError, match="new origin"):
        Replica.restore(r.snapshot(), origin_id="dev-1", clock=lambda: 0, new_id=lambda: "x")


def test_replica_keeps_outbox_until_acknowledged() -> None:
    """A parked change stays in the outbox; accepted ones leave it."""
    ids = iter(["a", "b"])
    r = Replica("dev-1", "u", clock=lambda: 5, new_id=lambda: next(ids))
    r.write("r1", "casualty", "create", {"full_name": "x"})
    r.write("r1", "casualty", "patch", {"sex": "female"})
    hub = InMemoryHub(park=lambda c: "not allowed" if c.op_id == "b" else None)
    report = r.push(hub)
    assert report.pushed == 1 and r.outbox == ["b"] and r.problems["b"].status == "parked"
    assert materialise(r.log.values()) == r.records()
