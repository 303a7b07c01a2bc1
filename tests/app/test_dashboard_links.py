"""The casualty charts stay equal to a recount while incidents and their links change.

The charts read copies (app/services/incident_links.py): each casualty carries its
incident's date, place and verification status, each incident the people of its linked
casualties. These tests edit what the copies come from after the casualties are linked
(an incident's date, place, verification; a relink; a delete and undelete; a casualty
pushed before its incident; concurrent edits left in conflict), each through the change
path a device push takes, and after every step compare the charts with the independent
recount from the raw changes (tests/support/dashboard_recount.py) and the copies with a
rebuild of the whole cache from the change log.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import defaultdict
from typing import Any

import pytest
import sqlalchemy as sa
from support import dashboard_recount as rc
from support.devices import device, pull_all, push
from support.gazetteer import import_sample

from app.extensions import db
from app.models import Place, Record
from app.services import changelog, incident_links
from app.services.rebuild import rebuild_records

BREAKDOWNS = {
    "casualties_by_verification": ("verification_status",),
    "casualties_by_cause": ("cause",),
    "casualties_by_civilian_status": ("civilian_status",),
}
MEASURES = ("killed", "killed_from_incidents", "injured", "injured_from_incidents")
COPIES = (
    "event_start",
    "event_end",
    "event_place_path",
    "event_verification_status",
    "linked_killed",
    "linked_injured",
)


def _get(api: Any, name: str, params: dict[str, Any]) -> dict[str, Any]:
    query = "&".join(
        f"{k}={item}" for k, v in params.items() for item in (v if isinstance(v, list) else [v])
    )
    r = api.get(f"/api/v1/dashboard/{name}?{query}")
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _rows(table: dict[str, Any], key: tuple[str, ...]) -> dict[tuple[Any, ...], dict[str, Any]]:
    out = {}
    for row in table["rows"]:
        cells = dict(zip(table["columns"], row, strict=True))
        out[tuple(cells[k] for k in key)] = cells
    return out


def _assert_charts_equal_recount(api: Any, team_id: str, places: dict[str, Place]) -> None:
    """Every casualty breakdown, the day chart and the place chart, under four filter
    sets, equal the recount."""
    recs = rc.load()
    governorate = places["gov"]
    filter_sets: list[tuple[dict[str, Any], dict[str, Any]]] = [
        ({}, {}),
        ({"date_from": "2026-03-01", "date_to": "2026-03-31"},) * 2,
        ({"verification": ["confirmed", "corroborated"]},) * 2,
        ({"place": governorate.id}, {"place_path": governorate.path}),
    ]
    for params, filters in filter_sets:
        units = rc.casualty_units(recs, {team_id}, filters)
        for name, dims in BREAKDOWNS.items():
            want: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: defaultdict(int))
            for u in units:
                cell = want[tuple(u[d] for d in dims)]
                cell[u["measure"]] += u["n"]
                if u["part"] == "incident":
                    cell[u["measure"] + "_from_incidents"] += u["n"]
            got = _rows(_get(api, name, params), dims)
            assert set(got) == {k for k, v in want.items() if any(v.values())}, (name, params)
            for key, cells in got.items():
                assert {m: cells[m] for m in MEASURES} == {
                    m: want[key].get(m, 0) for m in MEASURES
                }, (name, params, key)
        by_day: dict[tuple[str, str], int] = defaultdict(int)
        for u in units:
            by_day[(rc.day(u["start"], u["end"]), u["measure"])] += u["n"]
        got_day = _rows(_get(api, "casualties_by_day", params), ("day", "measure"))
        assert {k: c["total"] for k, c in got_day.items()} == {
            k: n for k, n in by_day.items() if n
        }, params
        # By place, one level under the governorate: where the edited places lie.
        total = sum(
            u["n"]
            for u in units
            if u["measure"] == "killed" and (u["path"] or "").startswith(governorate.path)
        )
        table = _get(api, "casualties_by_place", {**params, "parent": governorate.id})
        col = table["columns"].index("killed")
        assert sum(r[col] for r in table["rows"]) == total, params


def _copies() -> dict[str, tuple[Any, ...]]:
    return {
        row[0]: tuple(row[1:])
        for row in db.session.execute(
            sa.select(Record.id, *(Record.__table__.c[c] for c in COPIES)).order_by(Record.id)
        )
    }


def _assert_copies_equal_rebuild() -> None:
    """The copies the change path kept equal those of a cache rebuilt from the log."""
    kept = _copies()
    rebuild_records()
    assert _copies() == kept


@pytest.fixture
def scene(app: Any, make_team: Any, login_as: Any) -> dict[str, Any]:
    """A team, its coordinator, two devices, and places in two governorates."""
    import_sample()
    rows = db.session.scalars(sa.select(Place).order_by(Place.path)).all()
    depth = {p.id: p.path.strip("/").count("/") for p in rows}
    govs = [p for p in rows if depth[p.id] == 0]
    inside = [p for p in rows if depth[p.id] >= 1 and p.path.startswith(govs[0].path)]
    outside = [p for p in rows if depth[p.id] >= 1 and not p.path.startswith(govs[0].path)]
    assert len(inside) >= 2 and outside
    team = make_team("Khaldiyeh council")
    coord = login_as("coordinator", team)
    user_id = coord.user["id"]
    return {
        "team": team,
        "api": coord,
        "a": device(user_id),
        "b": device(user_id),
        "places": {"gov": govs[0], "in1": inside[0], "in2": inside[1], "out": outside[0]},
    }


def _casualty(replica: Any, incident_id: str | None, **values: Any) -> str:
    rid = str(uuid.uuid4())
    body = {
        "outcome": "killed",
        "count": 2,
        "sex": "female",
        "civilian_status": "civilian",
        "cause": "air_strike",
        "occurred_date": "2026-04-02",
        "verification_status": "reported",
        "sensitivity": "confidential",
        **values,
    }
    if incident_id is not None:
        body["incident_id"] = incident_id
    replica.write(rid, "casualty", "create", body)
    return rid


def _incident(replica: Any, place: Place, **values: Any) -> str:
    rid = str(uuid.uuid4())
    body = {
        "event_type": "air_drone_strike",
        "occurred_date": "2026-03-10",
        "place_id": place.id,
        "verification_status": "confirmed",
        "killed_min": 5,
        "killed_max": 9,
        "injured_min": 3,
        "injured_max": 4,
        "sensitivity": "confidential",
        **values,
    }
    replica.write(rid, "incident", "create", body)
    return rid


def test_edits_to_linked_incidents_move_their_casualties(scene: dict[str, Any]) -> None:
    """An incident's date, place and verification edited after casualties were linked,
    a casualty relinked, an incident deleted and restored: the charts follow, equal to
    the recount, after each step."""
    a, team, api, places = scene["a"], scene["team"].id, scene["api"], scene["places"]
    first = _incident(a, places["in1"])
    second = _incident(a, places["out"], occurred_date="2026-04", verification_status="reported")
    linked = [_casualty(a, first, outcome=o) for o in ("killed", "injured", "died_of_wounds")]
    moving = _casualty(a, first, count=3, civilian_status="non_civilian")
    _casualty(a, second)
    _casualty(a, None, place_id=places["in2"].id)
    push(a, team)
    _assert_charts_equal_recount(api, team, places)

    # The incident's date, place and verification change: its casualties move with it.
    a.write(
        first,
        "incident",
        "patch",
        {
            "occurred_date": "2026-04-20",
            "place_id": places["out"].id,
            "verification_status": "corroborated",
        },
    )
    push(a, team)
    _assert_charts_equal_recount(api, team, places)
    # Discounted, the incident no longer counts: its casualties stand alone.
    a.write(first, "incident", "patch", {"verification_status": "discounted"})
    push(a, team)
    _assert_charts_equal_recount(api, team, places)
    a.write(first, "incident", "patch", {"verification_status": "confirmed"})
    push(a, team)

    # Relinked to another incident: both incidents' unnamed parts change.
    a.write(moving, "casualty", "patch", {"incident_id": second})
    push(a, team)
    _assert_charts_equal_recount(api, team, places)
    # Unlinked, then a casualty of the incident deleted.
    a.write(linked[0], "casualty", "patch", {"incident_id": None})
    a.write(linked[1], "casualty", "delete", {})
    push(a, team)
    _assert_charts_equal_recount(api, team, places)

    # The incident deleted: its casualties stand alone; restored: they join it again.
    a.write(second, "incident", "delete", {})
    push(a, team)
    _assert_charts_equal_recount(api, team, places)
    a.write(second, "incident", "undelete", {})
    push(a, team)
    _assert_charts_equal_recount(api, team, places)
    _assert_copies_equal_rebuild()
    _assert_charts_equal_recount(api, team, places)


def test_casualty_pushed_before_its_incident(scene: dict[str, Any]) -> None:
    """A casualty naming an incident the hub does not hold yet stands alone; when the
    incident arrives (in a later push, or later in the same push) it joins it."""
    a, b, team, api, places = (
        scene["a"],
        scene["b"],
        scene["team"].id,
        scene["api"],
        scene["places"],
    )
    incident = _incident(a, places["in2"], occurred_date="2026-03-03")
    early = _casualty(a, incident, place_id=places["out"].id)
    creates = {c.record_id: c for c in (a.log[o] for o in a.outbox)}
    push(a, team, [creates[early]])
    _assert_charts_equal_recount(api, team, places)
    assert _copies()[early][:3] == ("2026-04-02", "2026-04-02", places["out"].path)
    push(a, team, [creates[incident]])
    _assert_charts_equal_recount(api, team, places)
    assert _copies()[early][:3] == ("2026-03-03", "2026-03-03", places["in2"].path)
    assert _copies()[incident][4:] == (2, 0)

    # In one push, the casualty stored before its incident.
    later = _incident(b, places["in1"], occurred_date="2026-03-25", killed_min=1)
    first_in_batch = _casualty(b, later, outcome="injured")
    batch = {c.record_id: c for c in (b.log[o] for o in b.outbox)}
    push(b, team, [batch[first_in_batch], batch[later]])
    _assert_charts_equal_recount(api, team, places)
    assert _copies()[later][4:] == (0, 2)
    _assert_copies_equal_rebuild()


def test_conflicting_edits_count_the_provisional_winner(scene: dict[str, Any]) -> None:
    """Two devices edit an incident's date, place and verification, and a casualty's
    link, concurrently: the figures use the value the merge shows, equal to the
    recount, and follow when a coordinator settles the conflict."""
    a, b, team, api, places = (
        scene["a"],
        scene["b"],
        scene["team"].id,
        scene["api"],
        scene["places"],
    )
    one = _incident(a, places["in1"])
    two = _incident(a, places["in2"], occurred_date="2026-03-28", killed_min=1, killed_max=1)
    casualties = [_casualty(a, one, count=c) for c in (1, 2, 3)]
    push(a, team)
    pull_all(b)
    a.write(one, "incident", "patch", {"occurred_date": "2026-03-15", "place_id": places["out"].id})
    b.write(
        one,
        "incident",
        "patch",
        {"occurred_date": "2026-04-15", "verification_status": "discounted"},
    )
    a.write(casualties[0], "casualty", "patch", {"incident_id": two})
    b.write(casualties[0], "casualty", "patch", {"incident_id": None})
    b.write(two, "incident", "delete", {})
    a.write(two, "incident", "patch", {"killed_min": 4})  # a delete conflict keeps it
    push(b, team)
    push(a, team)
    assert db.session.get(Record, one).has_conflicts
    assert db.session.get(Record, casualties[0]).has_conflicts
    _assert_charts_equal_recount(api, team, places)
    _assert_copies_equal_rebuild()

    # A coordinator settles them: the counts follow the chosen values.
    pull_all(a)
    a.resolve(one, {"occurred_date": "2026-04-15"})
    a.write(one, "incident", "patch", {"verification_status": "confirmed"})
    a.resolve(casualties[0], {"incident_id": two})
    push(a, team)
    assert not db.session.get(Record, casualties[0]).has_conflicts
    _assert_charts_equal_recount(api, team, places)
    _assert_copies_equal_rebuild()


def test_forgotten_records_leave_no_stale_copies(scene: dict[str, Any], make_team: Any) -> None:
    """A peer narrows what this hub may hold: a forgotten casualty leaves its incident's
    sums, a forgotten incident's casualties stand alone (as a rebuild would have them)."""
    from app.services.peer_serve import forget_records

    peer_team = make_team("A peer hub's team")
    peer_team.origin_hub = "hub-elsewhere"
    db.session.commit()
    a, places = scene["a"], scene["places"]
    incident = _incident(a, places["in1"], occurred_date="2026-03-12")
    kept = _casualty(a, incident, count=1)
    dropped = _casualty(a, incident, count=3)
    push(a, peer_team.id)
    assert _copies()[incident][4:] == (4, 0)
    assert forget_records([dropped]) == 1
    assert _copies()[incident][4:] == (1, 0)
    assert forget_records([incident]) == 1
    assert _copies()[kept][:3] == ("2026-04-02", "2026-04-02", None)
    _assert_copies_equal_rebuild()


# --- Concurrent writes on PostgreSQL -------------------------------------------------
# Two writes in flight at once, each in its own thread and session (PostgreSQL, READ
# COMMITTED; SQLite has one writer, so nothing there can interleave). The first is held
# at a point of its transaction while the second is sent; once the second has finished
# or waits on a lock, the first goes on. Held at "build": it has locked its record rows
# and not yet written anything; at "commit": everything is written, not yet committed.


def _write_in_thread(
    app: Any,
    team_id: str,
    batch: list[Any],
    hold_at: str | None,
    release: threading.Event,
    hinted: bool,
) -> tuple[threading.Thread, threading.Event, list[BaseException]]:
    """Write `batch` through the change path in a thread of its own session; with
    `hold_at` ("build" or "commit"), stop there until `release` is set. `hinted`: the
    incidents the changes name are passed up front, as a device push does (else they
    are found after the build, as on a REST edit)."""
    reached, errors = threading.Event(), []

    def hold(point: str) -> None:
        if hold_at == point:
            reached.set()
            release.wait(30)

    def build(_states: Any) -> list[Any]:
        hold("build")
        return batch

    def run() -> None:
        with app.app_context():
            try:
                changelog.write(
                    [c.record_id for c in batch],
                    build,
                    via="device:race",
                    team_of=lambda _c, _s: team_id,
                    commit=False,
                    links=[c.patch.get("incident_id") for c in batch] if hinted else (),
                )
                hold("commit")
                db.session.commit()
            except BaseException as exc:  # reported by the test, not lost in the thread
                errors.append(exc)
                db.session.rollback()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, reached, errors


def _blocked_or_done(thread: threading.Thread) -> None:
    """Wait until the thread finished or another session waits on a lock."""
    deadline = time.monotonic() + 20
    while thread.is_alive():
        waiting = db.session.scalar(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock'"
            )
        )
        db.session.rollback()
        if waiting:
            return
        assert time.monotonic() < deadline, "the second write neither finished nor waited"
        time.sleep(0.02)


def _race(
    app: Any, team_id: str, first: list[Any], second: list[Any], point: str, hinted: bool = True
) -> None:
    """Send `first`, hold it at `point`, send `second` meanwhile, then let both end: both
    commit (no deadlock, no error)."""
    release = threading.Event()
    one, reached, errors_one = _write_in_thread(app, team_id, first, point, release, hinted)
    assert reached.wait(20), "the first write never reached its hold"
    two, _, errors_two = _write_in_thread(app, team_id, second, None, release, hinted)
    _blocked_or_done(two)
    release.set()
    one.join(60)
    two.join(60)
    assert not one.is_alive() and not two.is_alive()
    assert errors_one == [] and errors_two == [], (errors_one, errors_two)


def _postgres_only() -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: no two writes are ever in flight at once")


@pytest.mark.parametrize("hinted", [True, False], ids=["links-known", "links-late"])
@pytest.mark.parametrize("point", ["build", "commit"])
@pytest.mark.parametrize("first", ["incident", "casualty"])
def test_incident_and_casualty_created_at_once(
    app: Any, scene: dict[str, Any], first: str, point: str, hinted: bool
) -> None:
    """A new incident and a new casualty naming it, pushed by two devices at the same
    instant, in either order: the casualty counts inside the incident (its date and
    place), the incident's linked sums hold it, and no person is counted twice."""
    _postgres_only()
    a, b, team, api, places = (
        scene["a"],
        scene["b"],
        scene["team"].id,
        scene["api"],
        scene["places"],
    )
    incident = _incident(a, places["in1"], occurred_date="2026-03-07", killed_min=1)
    casualty = _casualty(b, incident, place_id=places["out"].id, count=3)
    batches = {"incident": list(a.log.values()), "casualty": list(b.log.values())}
    other = "casualty" if first == "incident" else "incident"
    _race(app, team, batches[first], batches[other], point, hinted)
    copies = _copies()
    assert copies[casualty][:3] == ("2026-03-07", "2026-03-07", places["in1"].path)
    assert copies[incident][4:] == (3, 0)
    _assert_charts_equal_recount(api, team, places)
    _assert_copies_equal_rebuild()


@pytest.mark.parametrize("many", [False, True], ids=["few-locks", "lock-all"])
@pytest.mark.parametrize("point", ["build", "commit"])
@pytest.mark.parametrize("first", ["incident", "casualty"])
def test_incident_and_its_casualty_edited_at_once(
    app: Any, scene: dict[str, Any], first: str, point: str, many: bool, monkeypatch: Any
) -> None:
    """An incident's date and place edited on one device while another edits a casualty
    linked to it (its count): both pushes are stored (neither fails on a deadlock), and
    the casualty counts under the new date and place with its new count. With `many`,
    the casualty's write involves more incidents than a write locks one by one (the
    limit lowered to 1), so it takes the lock that excludes every other write."""
    _postgres_only()
    if many:
        monkeypatch.setattr(incident_links, "MAX_LINK_LOCKS", 1)
    a, team, api, places = scene["a"], scene["team"].id, scene["api"], scene["places"]
    incident = _incident(a, places["in1"])
    casualty = _casualty(a, incident, count=1)
    push(a, team)
    b = scene["b"]
    pull_all(b)
    edits = {
        "incident": [
            a.write(
                incident,
                "incident",
                "patch",
                {"occurred_date": "2026-03-21", "place_id": places["in2"].id},
            )
        ],
        "casualty": [b.write(casualty, "casualty", "patch", {"count": 4})],
    }
    other = "casualty" if first == "incident" else "incident"
    _race(app, team, edits[first], edits[other], point)
    copies = _copies()
    assert copies[casualty][:3] == ("2026-03-21", "2026-03-21", places["in2"].path)
    assert copies[incident][4:] == (4, 0)
    _assert_charts_equal_recount(api, team, places)
    _assert_copies_equal_rebuild()


def test_pushes_holding_each_others_incident_and_casualty(app: Any, scene: dict[str, Any]) -> None:
    """Two pushes at once, each editing one incident and moving a casualty of the other's
    incident to its own: both are stored, and each incident's sums hold the casualty
    that moved to it."""
    _postgres_only()
    a, team, api, places = scene["a"], scene["team"].id, scene["api"], scene["places"]
    one = _incident(a, places["in1"])
    two = _incident(a, places["in2"], occurred_date="2026-03-28")
    of_one = _casualty(a, one, count=1)
    of_two = _casualty(a, two, count=2)
    push(a, team)
    b = scene["b"]
    pull_all(b)
    first = [
        a.write(one, "incident", "patch", {"occurred_date": "2026-03-11"}),
        a.write(of_two, "casualty", "patch", {"incident_id": one}),
    ]
    second = [
        b.write(two, "incident", "patch", {"occurred_date": "2026-03-29"}),
        b.write(of_one, "casualty", "patch", {"incident_id": two}),
    ]
    _race(app, team, first, second, "build")
    copies = _copies()
    assert copies[of_two][:2] == ("2026-03-11", "2026-03-11")
    assert copies[of_one][:2] == ("2026-03-29", "2026-03-29")
    assert (copies[one][4:], copies[two][4:]) == ((2, 0), (1, 0))
    _assert_charts_equal_recount(api, team, places)
    _assert_copies_equal_rebuild()
