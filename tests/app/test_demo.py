"""`tawthiq demo` and `tawthiq db rebuild-records`, run at the hub's keyboard: the Homs
demo data set loads with the expected records, searchable in Arabic, with open conflicts
made by offline devices; it loads once however often it is run; teams stay apart; and the
records cache rebuilds from the change log to equal records."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from support.api import ApiClient

from app.cli import main
from app.extensions import db
from app.models import AuditEvent, ChangeRow, Place, Record, Team, User
from app.schemas.records import validate_record
from app.security.passwords import hash_password
from app.services.demo import TEAMS, USERS, record_id
from app.services.record_codec import rest_values

HOMS = TEAMS["homs"]
HAMA = TEAMS["hama"]
EXPECTED = {
    HOMS: {"incident": 4, "casualty": 15, "missing_person": 5, "supply_need": 12},
    HAMA: {"incident": 1, "casualty": 2, "missing_person": 1, "supply_need": 1},
}
TOTAL = sum(n for kinds in EXPECTED.values() for n in kinds.values())


def run(app: Any, *args: str) -> str:
    result = CliRunner().invoke(main, list(args), obj={"app": app})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def loaded(app: Any) -> str:
    return run(app, "demo")


def fresh() -> None:
    """End this session's transaction: the CLI writes through its own session, and on
    SQLite an open read transaction keeps seeing the database as it was."""
    db.session.commit()
    db.session.expire_all()


def counts() -> dict[str, int]:
    fresh()
    return {
        model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Record, ChangeRow, AuditEvent, Place, User, Team)
    }


def login(app: Any, username: str) -> ApiClient:
    """Log in as a demo user (giving them a known password, as an admin reset would)."""
    fresh()
    user = db.session.scalar(sa.select(User).where(User.username == username))
    user.password_hash = hash_password("correct horse battery")
    user.must_change_password = False
    db.session.commit()
    api = ApiClient(app.test_client())
    response = api.login(username, "correct horse battery")
    assert response.status_code == 200, response.get_json()
    return api


def listed(api: ApiClient, **query: Any) -> dict[str, Any]:
    response = api.get("/api/v1/records", query_string={"per_page": 100, **query})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_demo_loads_the_homs_scenario(app, loaded):
    """After `tawthiq demo` each team holds the expected incidents, casualties, missing
    persons and needs; every record is valid as the API would accept it; the four users
    got one-time passwords on screen, none of them stored."""
    by_team = {t.id: t.name for t in db.session.scalars(sa.select(Team))}
    found: dict[str, Counter[str]] = {name: Counter() for name in by_team.values()}
    for row in db.session.scalars(sa.select(Record).where(Record.visible.is_(True))):
        found[by_team[row.team_id]][row.kind] += 1
        values = rest_values(row.kind, row.state["values"])
        body = {**values, "id": row.id, "kind": row.kind, "team_id": row.team_id}
        validate_record(row.kind, body)  # raises if the API would refuse it
    assert {team: dict(kinds) for team, kinds in found.items()} == EXPECTED
    assert f"{HOMS}: 4 incident, 15 casualty, 5 missing_person, 12 supply_need." in loaded

    khaldiyeh = db.session.get(Record, record_id("incident:khaldiyeh-shelling")).state["values"]
    assert (khaldiyeh["killed_min"], khaldiyeh["killed_max"]) == (105, 105)
    assert (khaldiyeh["missing_min"], khaldiyeh["missing_max"]) == (25, 25)
    linked = db.session.scalars(
        sa.select(Record).where(Record.incident_id == record_id("incident:khaldiyeh-shelling"))
    ).all()
    assert sum(r.count for r in linked) <= khaldiyeh["killed_max"] + khaldiyeh["injured_max"]
    assert any(r.count > 1 for r in linked)
    walid = db.session.get(Record, record_id("missing:walid-homsi-believed-dead")).state["values"]
    assert (walid["fate_status"], walid["family_notified"]) == ("believed_dead", False)
    o_neg = db.session.get(Record, record_id("need:hikma-blood-o-neg"))
    assert (o_neg.priority, o_neg.status, o_neg.state["values"]["blood_group"]) == (
        "critical",
        "partially_fulfilled",
        "O-",
    )

    for spec in USERS:
        line = next(x for x in loaded.splitlines() if x.strip().startswith(spec.username + " "))
        password = line.rsplit(" ", 1)[-1]
        assert "one-time password (shown once)" in line
        user = db.session.scalar(sa.select(User).where(User.username == spec.username))
        assert user.must_change_password and password not in user.password_hash


def test_arabic_names_are_searchable(app, loaded):
    """The Homs coordinator finds people by Arabic name, with or without hamza, and by
    the Latin transliteration, through the records list's `q`."""
    coordinator = login(app, "homs-coordinator")
    for query, wanted in (
        ("الأتاسي", "casualty:khaldiyeh-mohammad-atassi"),
        ("احمد السباعي", "casualty:khaldiyeh-ahmad-sibai"),
        ("Qabbani", "casualty:karm-omar-qabbani"),
        ("سامر الخطيب", "missing:bab-sbaa-samer-khatib"),
    ):
        page = listed(coordinator, q=query)
        assert [r["id"] for r in page["records"]] == [record_id(wanted)], query


def test_open_conflicts_come_from_offline_devices(app, loaded):
    """The coordinator's conflict list shows the two spellings of a casualty's name, two
    quantities for the A+ blood line, and a line deleted on one phone while edited on
    another; all three arrived from devices, not through the REST API."""
    coordinator = login(app, "homs-coordinator")
    page = listed(coordinator, has_conflicts="true")
    by_id = {r["id"]: r for r in page["records"]}
    assert page["total"] == 3

    name = by_id[record_id("casualty:khaldiyeh-mustafa-shami")]
    spellings = sorted(c["value"] for c in name["conflicts"]["full_name"])
    assert spellings == ["مصطفى حسن الشامي", "مصطفى حسين الشامي"]
    assert name["needs_review"] is True

    need = by_id[record_id("need:hikma-blood-a-pos")]
    assert sorted(c["value"] for c in need["conflicts"]["quantity_needed"]) == [100, 120]

    duplicate = by_id[record_id("need:field-hospital-generator-diesel-duplicate")]
    assert duplicate["delete_conflict"] is True and duplicate["deleted"] is True
    assert duplicate["values"]["priority"] == "critical"

    vias = db.session.scalars(
        sa.select(ChangeRow.via).where(ChangeRow.record_id.in_(list(by_id)))
    ).all()
    assert sum(v.startswith("device:") for v in vias) == 6


def test_running_demo_twice_changes_nothing(app, loaded):
    """Running `tawthiq demo` again adds no record, change, place, user, team or audit
    event, shows no password, and reports what is already there."""
    before = counts()
    again = run(app, "demo")
    assert counts() == before
    assert before["records"] == TOTAL
    assert f"already there: {TOTAL}" in again
    assert "Conflicts made" not in again
    assert "shown once" not in again


def test_hama_sees_none_of_homs(app, loaded):
    """The Hama coordinator sees only Hama's records, finds no Homs name, and cannot open
    a Homs record by its id; a Homs reporter sees the team's needs but only the person
    records they created or were assigned."""
    hama = login(app, "hama-coordinator")
    page = listed(hama)
    assert page["total"] == sum(EXPECTED[HAMA].values())
    hama_id = db.session.scalar(sa.select(Team.id).where(Team.name == HAMA))
    assert {r["team_id"] for r in page["records"]} == {hama_id}
    assert listed(hama, q="الأتاسي")["total"] == 0
    opened = hama.get(f"/api/v1/records/{record_id('incident:khaldiyeh-shelling')}")
    assert opened.status_code == 404

    reporter = login(app, "homs-reporter-1")
    persons = listed(reporter, kind="missing_person")["records"]
    assert {r["id"] for r in persons} == {
        record_id("missing:inshaat-layla-child"),
        record_id("missing:khaldiyeh-nour-zahrawi"),  # assigned to her
    }
    assert listed(reporter, kind="supply_need")["total"] == EXPECTED[HOMS]["supply_need"]


def test_rebuild_records_keeps_records_equal(app, loaded):
    """`tawthiq db rebuild-records` (in order, and shuffled) rebuilds every record from the
    change log, conflicts and name search included, and prints how many."""

    def snapshot() -> dict[str, Any]:
        fresh()
        return {
            r.id: (r.state, r.etag, r.visible, r.team_id, r.created_by, r.has_conflicts)
            for r in db.session.scalars(sa.select(Record))
        }

    before = snapshot()
    changes = counts()["changes"]
    for args in ([], ["--shuffle-seed", "11"]):
        output = run(app, "db", "rebuild-records", *args)
        assert f"Rebuilt {TOTAL} records" in output
        assert snapshot() == before
        assert counts()["changes"] == changes
    coordinator = login(app, "homs-coordinator")
    assert listed(coordinator, q="الدروبي")["total"] == 1
