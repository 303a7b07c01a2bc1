"""Dashboard figures equal an independent recount from the raw changes.

A generated data set (two teams; linked and unlinked casualties; incidents whose ranges
overlap their named records; links to deleted, discounted and other teams' incidents;
deletes; concurrent edits left in conflict; missing persons whose death the family has
or has not been told; supply needs) is written through the real change path (the REST
API and device pushes). The test then materialises every record from the stored
changes with the sync core and counts in plain Python (tests/support/dashboard_recount.py),
and compares every chart's figures and drill-downs with what the API answers.
"""

from __future__ import annotations

import csv
import io
import random
import uuid
from collections import defaultdict
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from support import dashboard_recount as rc
from support.devices import device, pull_all, push
from support.gazetteer import import_sample

from app.extensions import db
from app.models import AuditEvent, Device, Place

CHARTS_WITH_FILTERS = [
    {},
    {"date_from": "2026-03-05", "date_to": "2026-03-20"},
    {"verification": ["confirmed", "corroborated"]},
]
STATUSES = ("civilian", "non_civilian", "unknown")


def _when(rng: random.Random) -> str:
    d = date(2026, 3, 1) + timedelta(days=rng.randrange(40))
    r = rng.random()
    return d.isoformat() if r < 0.75 else d.isoformat()[:7] if r < 0.95 else d.isoformat()[:4]


def _post(api, body):
    r = api.post("/api/v1/records", json=body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


@pytest.fixture
def world(app, make_team, login_as):
    """Two teams' data written through the REST API and device pushes."""
    import_sample()
    places = db.session.scalars(sa.select(Place).order_by(Place.path)).all()
    place_ids = [p.id for p in places]
    rng = random.Random(20261126)
    team_a, team_b = make_team("Khaldiyeh council"), make_team("Bab Amr council")
    coord_a, coord_b = login_as("coordinator", team_a), login_as("coordinator", team_b)
    reporter_a = login_as("reporter", team_a)
    made: dict[str, list[dict]] = defaultdict(list)
    for team, api in ((team_a, coord_a), (team_b, coord_b)):
        for _ in range(12):
            kmin = rng.choice([None, 0, 2, 5, 9])
            imin = rng.choice([None, 1, 4])
            body = {
                "kind": "incident",
                "team_id": team.id,
                "event_type": rng.choice(["shelling_artillery_missile", "air_drone_strike"]),
                "occurred_date": _when(rng),
                "place_id": rng.choice(place_ids),
                "verification_status": rng.choice(
                    ["reported", "corroborated", "confirmed", "discounted", "single_source"]
                ),
            }
            if kmin is not None:
                body["killed_min"] = kmin
                if rng.random() < 0.7:
                    body["killed_max"] = kmin + rng.randrange(6)
            if imin is not None:
                body["injured_min"] = imin
                body["injured_max"] = imin + rng.randrange(4)
            made[team.id + ":incident"].append(_post(api, body))
    incidents_a = made[team_a.id + ":incident"]
    incidents_b = made[team_b.id + ":incident"]
    for team, api, own, other in (
        (team_a, coord_a, incidents_a, incidents_b),
        (team_b, coord_b, incidents_b, incidents_a),
    ):
        for k in range(45):
            outcome = rng.choice(["killed", "killed", "injured", "died_of_wounds"])
            body = {
                "kind": "casualty",
                "team_id": team.id,
                "outcome": outcome,
                "sex": rng.choice(["female", "male", "unknown"]),
                "civilian_status": rng.choice(STATUSES),
                "cause": rng.choice(["shelling_artillery", "air_strike", "unknown"]),
                "occurred_date": _when(rng),
                "place_id": rng.choice(place_ids),
                "verification_status": rng.choice(["reported", "confirmed", "discounted"]),
            }
            if rng.random() < 0.5:
                body["age_years"] = rng.randrange(1, 80)
            if rng.random() < 0.3:
                body["count"] = rng.randrange(1, 4)
            link = rng.random()
            if link < 0.45:
                body["incident_id"] = rng.choice(own)["id"]
            elif link < 0.5:
                body["incident_id"] = rng.choice(other)["id"]  # another team's: stands alone
            elif link < 0.53:
                body["incident_id"] = str(uuid.uuid4())  # unknown here: stands alone
            if k % 9 == 0 and team is team_a:
                body["verification_status"] = "reported"
                made[team.id + ":casualty"].append(_post(reporter_a, body))
            else:
                made[team.id + ":casualty"].append(_post(api, body))
        for _ in range(14):
            fate = rng.choice(
                ["missing", "detained_held", "released", "believed_dead", "confirmed_dead"]
            )
            body = {
                "kind": "missing_person",
                "team_id": team.id,
                "full_name": f"شخص {rng.randrange(1000)}",
                "sex": rng.choice(["female", "male"]),
                "disappearance_type": rng.choice(["arrested_detained", "missing_unknown"]),
                "last_seen_date": _when(rng),
                "fate_status": fate,
                "family_notified": rng.random() < 0.5,
                "place_id": rng.choice(place_ids),
            }
            if rng.random() < 0.6:
                body["fate_status_date"] = "2026-04-1" + str(rng.randrange(10))
            made[team.id + ":missing_person"].append(_post(api, body))
        for _ in range(14):
            body = {
                "kind": "supply_need",
                "team_id": team.id,
                "requesting_site_type": rng.choice(["hospital", "bakery", "shelter"]),
                "sector": "health",
                "item_category": rng.choice(["medicine", "blood_product", "food"]),
                "item_name": rng.choice(['=HYPERLINK("x")', "أكياس دم", "bread"]),
                "unit": rng.choice(["bag_450ml", "box"]),
                "quantity_needed": rng.randrange(1, 500),
                "quantity_committed": rng.randrange(0, 50),
                "quantity_delivered": rng.randrange(0, 20),
                "priority": rng.choice(["critical", "high", "low"]),
                "status": rng.choice(["open", "partially_fulfilled", "fulfilled"]),
                "occurred_date": _when(rng),
            }
            made[team.id + ":supply_need"].append(_post(api, body))
    # Deletes: casualties, and an incident some casualties are linked to.
    for rec in made[team_a.id + ":casualty"][:4] + incidents_a[:1]:
        r = coord_a.delete(f"/api/v1/records/{rec['id']}", headers={"If-Match": rec["etag"]})
        assert r.status_code == 204, r.get_json()
    # Conflicts: two offline devices of the coordinator edit counted fields differently.
    user_id = coord_a.user["id"]
    a, b = device(user_id), device(user_id)
    for replica, name in ((a, "phone A"), (b, "phone B")):
        db.session.add(
            Device(
                user_id=user_id,
                name=name,
                origin_id=replica.origin_id,
                token_hash=uuid.uuid4().hex * 2,
            )
        )
    db.session.commit()
    pull_all(a)
    pull_all(b)
    for rec in made[team_a.id + ":casualty"][6:10]:
        a.write(rec["id"], "casualty", "patch", {"civilian_status": "civilian"})
        b.write(rec["id"], "casualty", "patch", {"civilian_status": "non_civilian"})
    for rec in made[team_a.id + ":missing_person"][:3]:
        a.write(rec["id"], "missing_person", "patch", {"family_notified": True})
        b.write(rec["id"], "missing_person", "patch", {"family_notified": False})
    # A device deletes an incident while the other edits it: a delete conflict keeps it.
    inc = incidents_a[2]
    a.write(inc["id"], "incident", "delete", {})
    b.write(inc["id"], "incident", "patch", {"killed_min": 7, "killed_max": 12})
    # Records created on a device count under that device.
    for _ in range(3):
        a.write(
            str(uuid.uuid4()),
            "casualty",
            "create",
            {
                "outcome": "killed",
                "sex": "female",
                "civilian_status": "civilian",
                "cause": "air_strike",
                "occurred_date": "2026-03-10",
                "incident_id": incidents_a[3]["id"],
                "count": 2,
                "verification_status": "reported",
                "sensitivity": "confidential",
            },
        )
    push(a, team_a.id)
    push(b, team_a.id)
    # A coordinator of both teams, for the team filter.
    both = login_as("coordinator", team_a)
    from app.models import Membership

    db.session.add(Membership(user_id=both.user["id"], team_id=team_b.id, role="coordinator"))
    db.session.commit()
    return {
        "a": team_a,
        "b": team_b,
        "coord_a": coord_a,
        "coord_b": coord_b,
        "both": both,
        "reporter_a": reporter_a,
        "device_origins": {a.origin_id: "phone A", b.origin_id: "phone B"},
    }


def _query(filters: dict) -> str:
    parts = []
    for k, v in filters.items():
        for item in v if isinstance(v, list) else [v]:
            parts.append(f"{k}={item}")
    return "&".join(parts)


def _chart(api, name, filters=None, **extra):
    q = _query({**(filters or {}), **extra})
    r = api.get(f"/api/v1/dashboard/{name}?{q}")
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _cell(table, row, column):
    return {**table["drill"][row], **(table["series"][column] or {})}


def _drill(api, name, filters, params):
    q = _query({**filters, **params, "per_page": 500})
    r = api.get(f"/api/v1/dashboard/{name}/records?{q}")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["total"] == len(body["records"])
    return body


def _expect_over_time(units, period):
    bin_of = rc.day if period == "day" else rc.week
    out: dict = defaultdict(lambda: defaultdict(int))
    for u in units:
        key = (bin_of(u["start"], u["end"]), u["measure"])
        if u["part"] == "named":
            out[key][u["civilian_status"]] += u["n"]
        else:
            out[key]["unknown_from_incidents"] += u["n"]
            out[key]["high"] += u["high"]
    return out


@pytest.mark.parametrize("filters", CHARTS_WITH_FILTERS)
def test_casualties_over_time_equal_recount(world, filters):
    """Killed and injured per day and week, by civilian status, with incident figures
    apart and never double-counted, equal the recount; each number drills down to
    records whose contributions add up to it."""
    api, teams = world["coord_a"], {world["a"].id}
    units = rc.casualty_units(rc.load(), teams, filters)
    assert any(u["part"] == "incident" and u["n"] for u in units)
    for period in ("day", "week"):
        table = _chart(api, f"casualties_by_{period}", filters)
        want = _expect_over_time(units, period)
        got = {}
        for row in table["rows"]:
            cells = dict(zip(table["columns"], row, strict=True))
            got[(cells[period], cells["measure"])] = cells
        assert set(got) == {k for k, v in want.items() if any(v.values())}
        for key, cells in got.items():
            w = want[key]
            for s in STATUSES:
                assert cells[s] == w.get(s, 0), (key, s)
            assert cells["unknown_from_incidents"] == w.get("unknown_from_incidents", 0)
            named = sum(w.get(s, 0) for s in STATUSES)
            assert cells["total"] == named + w.get("unknown_from_incidents", 0)
            assert cells["total_high"] == max(cells["total"], named + w.get("high", 0))
        # Totals over all periods: every person once.
        for measure in ("killed", "injured"):
            total = sum(u["n"] for u in units if u["measure"] == measure)
            assert sum(c["total"] for (p, m), c in got.items() if m == measure) == total
    # Drill-down: the records behind each of the day chart's numbers add up to it.
    table = _chart(api, "casualties_by_day", filters)
    for i, row in enumerate(table["rows"][:8]):
        for column in (*STATUSES, "unknown_from_incidents", "total"):
            value = row[table["columns"].index(column)]
            body = _drill(api, "casualties_by_day", filters, _cell(table, i, column))
            assert sum(x["counted"] for x in body["records"]) == value, (row, column)


@pytest.mark.parametrize("filters", CHARTS_WITH_FILTERS[:2])
def test_breakdowns_equal_recount(world, filters):
    """Cause, sex × age group, civilian status and verification breakdowns equal the
    recount; incident figures not yet named count as unknown in each of a person's."""
    api, teams = world["coord_a"], {world["a"].id}
    units = rc.casualty_units(rc.load(), teams, filters)
    charts = {
        "casualties_by_cause": ("cause",),
        "casualties_by_sex_age": ("sex", "age_group"),
        "casualties_by_civilian_status": ("civilian_status",),
        "casualties_by_verification": ("verification_status",),
    }
    for name, dims in charts.items():
        want: dict = defaultdict(lambda: defaultdict(int))
        for u in units:
            key = tuple(u[d] for d in dims)
            want[key][u["measure"]] += u["n"]
            if u["part"] == "incident":
                want[key][u["measure"] + "_from_incidents"] += u["n"]
        table = _chart(api, name, filters)
        got = {}
        for row in table["rows"]:
            cells = dict(zip(table["columns"], row, strict=True))
            got[tuple(cells[d] for d in dims)] = cells
        assert set(got) == {k for k, v in want.items() if any(v.values())}, name
        for key, cells in got.items():
            for m in ("killed", "injured", "killed_from_incidents", "injured_from_incidents"):
                assert cells[m] == want[key].get(m, 0), (name, key, m)
        for i, row in enumerate(table["rows"][:4]):
            for column in ("killed", "injured_from_incidents"):
                value = row[table["columns"].index(column)]
                body = _drill(api, name, filters, _cell(table, i, column))
                assert sum(x["counted"] for x in body["records"]) == value, (name, row, column)


def test_place_breakdown_drills_from_governorate_down(world):
    """By place: top level are governorates; drilling into one lists its children; each
    level's total is the same people, and each number's records add up to it."""
    api, teams = world["coord_a"], {world["a"].id}
    units = rc.casualty_units(rc.load(), teams, {})
    total = sum(u["n"] for u in units if u["measure"] == "killed")
    top = _chart(api, "casualties_by_place")
    col = top["columns"].index("killed")
    assert sum(r[col] for r in top["rows"]) == total
    paths = {p: path for p, path in db.session.execute(sa.select(Place.id, Place.path))}
    for row in top["rows"]:
        pid = row[0]
        want = sum(
            u["n"]
            for u in units
            if u["measure"] == "killed"
            and ((u["path"] or "").startswith(paths[pid]) if pid != "none" else not u["path"])
        )
        assert row[col] == want
    biggest = max((r for r in top["rows"] if r[0] != "none"), key=lambda r: r[col])
    down = _chart(api, "casualties_by_place", parent=biggest[0])
    assert down["parent"] == biggest[0]
    assert sum(r[col] for r in down["rows"]) == biggest[col]
    for i, row in enumerate(down["rows"]):
        body = _drill(api, "casualties_by_place", {}, _cell(down, i, "killed"))
        assert sum(x["counted"] for x in body["records"]) == row[col]


def test_missing_and_supply_equal_recount(world):
    """Missing persons by type and by fate (a death only once the family is told, never
    while that is in conflict), supply needs by priority, site and quantities."""
    api, teams = world["coord_a"], {world["a"].id}
    recs = [r for r in rc.load() if r.counts(teams)]
    missing = [r for r in recs if r.kind == "missing_person"]
    fate = _chart(api, "missing_fate")
    want: dict = defaultdict(lambda: defaultdict(int))
    for r in missing:
        want[rc.fate_week(r)][rc.fate_counted(r)] += 1
    got = {row[0]: dict(zip(fate["columns"], row, strict=True)) for row in fate["rows"]}
    assert set(got) == set(want)
    for wk, cells in got.items():
        for f in ("missing", "released", "confirmed_dead", "believed_dead", "detained_held"):
            assert cells[f] == want[wk].get(f, 0), (wk, f)
    # The conflicted family notices keep deaths out even where one candidate says True.
    assert fate["in_conflict"] >= 3
    by_type = _chart(api, "missing_by_type")
    assert sum(row[-1] for row in by_type["rows"]) == len(missing)
    for i, row in enumerate(fate["rows"]):
        body = _drill(api, "missing_fate", {}, _cell(fate, i, "missing"))
        assert body["total"] == row[fate["columns"].index("missing")]

    needs = [
        r
        for r in recs
        if r.kind == "supply_need" and r.v["status"] in ("open", "partially_fulfilled")
    ]
    table = _chart(api, "supply_open")
    want_cells: dict = defaultdict(int)
    for r in needs:
        want_cells[(r.v["item_category"], r.v["priority"])] += 1
    for row in table["rows"]:
        cells = dict(zip(table["columns"], row, strict=True))
        for p in ("critical", "high", "medium", "low"):
            assert cells[p] == want_cells.get((cells["item_category"], p), 0)
    qty = _chart(api, "supply_quantities")
    for row in qty["rows"]:
        cells = dict(zip(qty["columns"], row, strict=True))
        mine = [
            r
            for r in needs
            if (r.v["item_category"], r.v["unit"]) == (cells["item_category"], cells["unit"])
        ]
        assert cells["lines"] == len(mine)
        assert cells["needed"] == sum(r.v["quantity_needed"] for r in mine)
        assert cells["committed"] == sum(r.v.get("quantity_committed") or 0 for r in mine)
        assert cells["delivered"] == sum(r.v.get("quantity_delivered") or 0 for r in mine)
    oldest = _chart(api, "supply_oldest_critical")
    critical = [r for r in needs if r.v["priority"] == "critical"]
    assert sorted(row[0] for row in oldest["rows"]) == sorted(r.id for r in critical)
    site = _chart(api, "supply_by_site_type")
    assert sum(row[-1] for row in site["rows"]) == len(needs)


def test_data_health(world):
    """Records per team and device, devices' waiting changes, conflicts and parked."""
    api, teams = world["coord_a"], {world["a"].id}
    recs = [r for r in rc.load() if r.counts(teams)]
    table = _chart(api, "health_records_by_team")
    assert len(table["rows"]) == 1
    assert table["rows"][0][-1] == len(recs)
    devices = _chart(api, "health_records_by_device")
    by_name = {row[1]: row[3] for row in devices["rows"]}
    assert by_name["phone A"] == 3
    assert by_name["phone B"] == 0
    assert sum(by_name.values()) == len(recs)
    waiting = _chart(api, "health_waiting")
    conflicted = [r for r in rc.load() if r.team == world["a"].id and r.conflicted]
    assert waiting["rows"][0][2] == len(conflicted) > 0
    sync = _chart(api, "health_sync")
    assert {row[2] for row in sync["rows"] if row[0] == "device"} == {"phone A", "phone B"}


def test_teams_are_isolated(world):
    """A coordinator never sees another team's numbers: not in the figures, not by
    asking for the team, not in a drill-down; a reporter or a plain admin gets 403."""
    a_units = rc.casualty_units(rc.load(), {world["a"].id}, {})
    b_units = rc.casualty_units(rc.load(), {world["b"].id}, {})
    a_total = sum(u["n"] for u in a_units if u["measure"] == "killed")
    b_total = sum(u["n"] for u in b_units if u["measure"] == "killed")
    assert a_total != b_total

    def killed(api, **extra):
        t = _chart(api, "casualties_by_cause", **extra)
        return sum(r[t["columns"].index("killed")] for r in t["rows"])

    assert killed(world["coord_a"]) == a_total
    assert killed(world["coord_b"]) == b_total
    assert killed(world["both"]) == a_total + b_total
    assert killed(world["both"], team_id=world["b"].id) == b_total
    r = world["coord_a"].get(f"/api/v1/dashboard/casualties_by_cause?team_id={world['b'].id}")
    assert r.status_code == 403
    body = _drill(world["coord_a"], "casualties_by_cause", {}, {"measure": "killed"})
    assert {x["record"]["team_id"] for x in body["records"]} == {world["a"].id}
    assert world["reporter_a"].get("/api/v1/dashboard/casualties_by_day").status_code == 403


def test_admin_sees_only_teams_they_coordinate(world, login_as):
    """An admin without a coordinator role sees no team's figures."""
    admin = login_as(admin=True)
    assert admin.get("/api/v1/dashboard/casualties_by_day").status_code == 403


def test_csv_download_is_formula_safe_with_bom_and_audited(world):
    """The chart's CSV has a BOM, the same figures as its JSON, neutralised formulas,
    and leaves an audit entry naming the chart and the filters."""
    api = world["coord_a"]
    table = _chart(api, "supply_oldest_critical")
    assert any(str(r[2]).startswith("=") for r in table["rows"])
    r = api.get("/api/v1/dashboard/supply_oldest_critical?format=csv&verification=reported")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/csv")
    raw = r.data
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == table["columns"]
    names = [row[2] for row in rows[1:]]
    assert names and all(not n.startswith("=") for n in names)
    assert any(n.startswith("'=HYPERLINK") for n in names)
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "dashboard_csv")
    ).all()
    assert len(events) == 1
    assert events[0].target_id == "supply_oldest_critical"
    assert events[0].details["filters"]["verification"] == ["reported"]
    assert events[0].actor_id == api.user["id"]


def test_bad_input_is_named(world):
    """Unknown charts 404; bad filters and drill parameters are 422 naming the field."""
    api = world["coord_a"]
    assert api.get("/api/v1/dashboard/nope").status_code == 404
    r = api.get("/api/v1/dashboard/casualties_by_day?date_from=yesterday")
    assert r.status_code == 422 and "date_from" in r.get_json()["error"]["fields"]
    r = api.get("/api/v1/dashboard/casualties_by_day?verfication=confirmed")
    assert r.status_code == 422
    r = api.get("/api/v1/dashboard/casualties_by_day?place=nowhere")
    assert r.status_code == 422 and "place" in r.get_json()["error"]["fields"]
    r = api.get("/api/v1/dashboard/casualties_by_day/records?measure=dead")
    assert r.status_code == 422 and "measure" in r.get_json()["error"]["fields"]


def test_openapi_describes_the_dashboard(client):
    """The chart, CSV and drill-down endpoints are in the OpenAPI document."""
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "get" in spec["paths"]["/api/v1/dashboard/{chart}"]
    assert "get" in spec["paths"]["/api/v1/dashboard/{chart}/records"]
    params = {p["name"] for p in spec["paths"]["/api/v1/dashboard/{chart}"]["get"]["parameters"]}
    assert {"date_from", "date_to", "place", "team_id", "verification", "format"} <= params
