"""Exports through the API and CLI: who may export, partner tokens, the rules that
protect people, incremental exports with withdrawals, and the log of every export."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from app.cli import main
from app.db_types import utcnow
from app.extensions import db
from app.models import AuditEvent, ExportLog, PartnerToken

CASUALTY = {
    "kind": "casualty",
    "outcome": "killed",
    "sex": "male",
    "civilian_status": "civilian",
    "cause": "shelling_artillery",
    "occurred_date": "2026-01-15",
    "full_name": "محمد خالد الأتاسي",
    "verification_status": "corroborated",
}
MISSING = {
    "kind": "missing_person",
    "full_name": "سامر نبيل الخطيب",
    "sex": "male",
    "disappearance_type": "arrested_detained",
    "last_seen_date": "2026-01-10",
    "fate_status": "missing",
    "consent_scope": ["internal", "partners", "tracing_agency"],
    "verification_status": "corroborated",
}


@pytest.fixture
def team(make_team):
    return make_team("Khaldiyeh council")


@pytest.fixture
def coordinator(login_as, team):
    return login_as("coordinator", team)


def _post(client: Any, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post("/api/v1/records", json=body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _export(client: Any, **query: Any) -> Any:
    r = client.get("/api/v1/exports", query_string=query)
    assert r.status_code == 200, r.get_data(as_text=True)[:400]
    return r


def _token(coordinator: Any, **body: Any) -> tuple[str, str]:
    r = coordinator.post("/api/v1/partner-tokens", json={"recipient": "OCHA", **body})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["partner_token"]["id"], r.get_json()["token"]


def _pull(client: Any, token: str, **query: Any) -> Any:
    return client.get(
        "/api/v1/partner/export",
        query_string=query,
        headers={"Authorization": f"Bearer {token}"},
    )


def _actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


def test_partner_token_pulls_then_is_revoked_at_once(coordinator, new_client):
    """A coordinator issues a token; a script pulls with it (and nothing else); revoking
    refuses the very next pull; issue, use, export and revocation are audited."""
    _post(coordinator, CASUALTY)
    token_id, token = _token(coordinator, profile="partner", kinds=["casualty"])
    script = new_client()
    r = _pull(script, token, format="csv")
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True))))
    assert len(rows) == 2 and "full_name" not in rows[0]
    assert r.headers["X-Export-Next-Since"].isdigit()
    # The token opens nothing but the partner export.
    for url in ("/api/v1/records", "/api/v1/exports", "/api/v1/partner-tokens", "/api/v1/teams"):
        refused = script.get(url, headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 403, url
    assert coordinator.post(f"/api/v1/partner-tokens/{token_id}/revoke").status_code == 200
    gone = _pull(script, token, format="csv")
    assert gone.status_code == 401
    assert gone.get_json()["error"]["code"] == "partner_token_revoked"
    actions = _actions()
    for action in ("partner_token_issued", "partner_token_used", "export", "partner_token_revoked"):
        assert action in actions
    log = db.session.scalars(sa.select(ExportLog)).one()
    assert (log.via, log.profile, log.record_count, log.status) == (
        "token",
        "partner",
        1,
        "completed",
    )


def test_tokens_never_carry_internal_and_expire(coordinator, new_client):
    """`internal` is no partner profile; an expired token is refused."""
    r = coordinator.post(
        "/api/v1/partner-tokens", json={"recipient": "OCHA", "profile": "internal"}
    )
    assert r.status_code == 422
    token_id, token = _token(coordinator, profile="public")
    row = db.session.get(PartnerToken, token_id)
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    r = _pull(new_client(), token, format="json")
    assert r.status_code == 401
    assert r.get_json()["error"]["code"] == "partner_token_expired"


def test_a_token_cannot_be_widened_by_its_request(coordinator, new_client):
    """A request may narrow a token's filters, never widen them."""
    _, token = _token(
        coordinator, profile="partner", kinds=["casualty"], verification=["confirmed"]
    )
    script = new_client()
    assert _pull(script, token, format="csv", kind="incident").status_code == 403
    assert _pull(script, token, format="csv", verification="reported").status_code == 403
    assert _pull(script, token, format="csv", kind="casualty").status_code == 200


def test_only_the_teams_coordinators_export(team, login_as, make_team, coordinator):
    """Reporters cannot export; a coordinator of another team cannot export this one."""
    reporter = login_as("reporter", team)
    assert reporter.get("/api/v1/exports").status_code == 403
    other = login_as("coordinator", make_team("Hama council"))
    r = other.get("/api/v1/exports", query_string={"team_id": team.id})
    assert r.status_code == 403
    assert coordinator.get("/api/v1/exports", query_string={"kind": "casualty"}).status_code == 200


def test_shared_profiles_need_a_recipient_and_one_kind_per_table(coordinator):
    """Outside internal the recipient is named (ids are scoped to it); a CSV is one kind."""
    r = coordinator.get("/api/v1/exports", query_string={"profile": "partner", "kind": "casualty"})
    assert r.status_code == 422
    r = coordinator.get("/api/v1/exports", query_string={"profile": "internal", "format": "csv"})
    assert r.status_code == 422
    r = coordinator.get("/api/v1/exports", query_string={"profile": "tracing", "format": "csv"})
    assert r.status_code == 422


def _ids(client: Any, profile: str, kind: str, recipient: str = "OCHA") -> list[str]:
    doc = json.loads(
        _export(client, profile=profile, format="json", kind=kind, recipient=recipient).get_data()
    )
    return [r["id"] for r in doc["records"]]


def test_a_death_waits_for_the_family(coordinator):
    """A missing person believed dead leaves in no export, even the team's own or the
    public counts, until the family is notified."""
    person = _post(coordinator, MISSING | {"fate_status": "believed_dead"})
    assert _ids(coordinator, "internal", "missing_person") == []
    assert _ids(coordinator, "partner", "missing_person") == []
    pfif = _export(coordinator, profile="tracing", format="pfif", recipient="ICRC")
    assert "person_record_id" not in pfif.get_data(as_text=True)
    public = json.loads(_export(coordinator, profile="public", format="json", recipient="x").data)
    assert public["record_count"] == 0
    r = coordinator.patch(f"/api/v1/records/{person['id']}", json={"family_notified": True})
    assert r.status_code == 200, r.get_json()
    assert _ids(coordinator, "internal", "missing_person") == [person["id"]]
    assert len(_ids(coordinator, "partner", "missing_person")) == 1
    pfif = _export(coordinator, profile="tracing", format="pfif", recipient="ICRC")
    assert "<pfif:status>believed_dead</pfif:status>" in pfif.get_data(as_text=True)


def test_consent_decides_partner_and_tracing(coordinator):
    """Without `partners` / `tracing_agency` in consent_scope a person stays internal."""
    _post(coordinator, MISSING | {"consent_scope": ["internal"]})
    assert len(_ids(coordinator, "internal", "missing_person")) == 1
    assert _ids(coordinator, "partner", "missing_person") == []
    pfif = _export(coordinator, profile="tracing", format="pfif", recipient="ICRC")
    assert "person_record_id" not in pfif.get_data(as_text=True)


def test_strictly_confidential_and_discounted_stay_home(coordinator):
    """Never strictly_confidential and never discounted to a partner; both stay internal."""
    _post(coordinator, CASUALTY | {"sensitivity": "strictly_confidential"})
    _post(coordinator, CASUALTY | {"verification_status": "discounted"})
    assert len(_ids(coordinator, "internal", "casualty")) == 2
    assert _ids(coordinator, "partner", "casualty") == []


def test_ids_are_scoped_per_recipient_and_stable(coordinator):
    """The same record has one id per recipient, the same at every export, never the UUID."""
    record = _post(coordinator, CASUALTY)
    ocha = _ids(coordinator, "partner", "casualty", "OCHA")
    assert ocha == _ids(coordinator, "partner", "casualty", "OCHA")
    assert ocha != _ids(coordinator, "partner", "casualty", "WHO")
    assert record["id"] not in ocha


def test_incremental_export_carries_withdrawals(coordinator):
    """A partner pulling `since` the last cursor gets what changed and learns, by scoped id,
    what was withdrawn (deleted, or no longer shareable)."""
    kept = _post(coordinator, CASUALTY)
    dropped = _post(coordinator, CASUALTY | {"full_name": "أحمد"})
    narrowed = _post(coordinator, CASUALTY | {"full_name": "علي"})
    first = json.loads(
        _export(
            coordinator, profile="partner", format="json", kind="casualty", recipient="OCHA"
        ).data
    )
    assert first["record_count"] == 3
    cursor = first["next_since"]
    ids = {r["id"] for r in first["records"]}
    etag = coordinator.get(f"/api/v1/records/{dropped['id']}").headers["ETag"]
    assert (
        coordinator.delete(
            f"/api/v1/records/{dropped['id']}", headers={"If-Match": etag}
        ).status_code
        == 204
    )
    coordinator.patch(
        f"/api/v1/records/{narrowed['id']}", json={"sensitivity": "strictly_confidential"}
    )
    coordinator.patch(f"/api/v1/records/{kept['id']}", json={"count": 2})
    query = {"profile": "partner", "kind": "casualty", "recipient": "OCHA", "since": cursor}
    second = json.loads(_export(coordinator, format="json", **query).data)
    assert [r["count"] for r in second["records"]] == [2]
    assert second["records"][0]["id"] in ids
    assert len(second["withdrawn"]) == 2 and set(second["withdrawn"]) <= ids
    assert second["withdrawn_count"] == 2
    rows = list(
        csv.DictReader(
            io.StringIO(_export(coordinator, format="csv", **query).get_data(as_text=True))
        )
    )
    assert sorted(r["action"] for r in rows) == ["upsert", "withdraw", "withdraw"]
    lines = [
        json.loads(x)
        for x in _export(coordinator, format="jsonl", **query).get_data(as_text=True).splitlines()
    ]
    assert sorted(x["action"] for x in lines) == ["upsert", "withdraw", "withdraw"]
    nothing = json.loads(
        _export(coordinator, format="json", **(query | {"since": second["next_since"]})).data
    )
    assert nothing["records"] == [] and nothing["withdrawn"] == []


def test_every_export_is_logged(coordinator):
    """Who, profile, filters, record count and when: in the export log and the audit log."""
    _post(coordinator, CASUALTY)
    _export(
        coordinator, profile="internal", format="csv", kind="casualty", date_from="2026-01-01"
    ).get_data()
    log = coordinator.get("/api/v1/exports/log").get_json()["exports"]
    assert len(log) == 1
    entry = log[0]
    assert entry["actor_name"] == coordinator.user["username"]
    assert (entry["profile"], entry["record_count"], entry["status"]) == (
        "internal",
        1,
        "completed",
    )
    assert entry["filters"]["date_from"] == "2026-01-01"
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "export")).one()
    assert event.details["record_count"] == 1 and event.actor_name == coordinator.user["username"]


def test_cli_export_and_token(app, coordinator, tmp_path):
    """`tawthiq export` writes the file and logs as "cli"; `partner token create|revoke` too."""
    _post(coordinator, CASUALTY)
    out = tmp_path / "file.csv"
    result = CliRunner().invoke(
        main,
        [
            "export",
            "--kind",
            "casualty",
            "--format",
            "hxl",
            "--profile",
            "partner",
            "--recipient",
            "OCHA",
            "--since",
            "2026-01-01",
            "-o",
            str(out),
        ],
        obj={"app": app},
    )
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[1].startswith("#meta+action,#meta+id")
    assert len(lines) == 3
    result = CliRunner().invoke(
        main,
        ["partner", "token", "create", "--recipient", "ICRC", "--profile", "tracing"],
        obj={"app": app},
    )
    assert result.exit_code == 0, result.output
    token_id = result.output.split()[1]
    result = CliRunner().invoke(main, ["partner", "token", "revoke", token_id], obj={"app": app})
    assert result.exit_code == 0, result.output
    db.session.rollback()  # the CLI wrote in its own app context and session
    assert db.session.get(PartnerToken, token_id).revoked_at is not None
    assert db.session.scalars(sa.select(ExportLog.via)).all() == ["cli"]


def test_pfif_withdrawal_is_an_expired_placeholder(coordinator):
    """A person withdrawn since the last PFIF pull comes back as PFIF's expired
    placeholder: ids and dates, no name."""
    person = _post(coordinator, MISSING)
    query = {"profile": "tracing", "format": "pfif", "recipient": "ICRC"}
    first = _export(coordinator, **query)
    assert "سامر" in first.get_data(as_text=True)
    cursor = first.headers["X-Export-Next-Since"]
    coordinator.patch(f"/api/v1/records/{person['id']}", json={"consent_scope": ["internal"]})
    text = _export(coordinator, since=cursor, **query).get_data(as_text=True)
    assert text.count("<pfif:person>") == 1
    assert "<pfif:expiry_date>" in text and "سامر" not in text and person["id"] not in text


def test_check_answers_what_the_export_would_without_exporting(coordinator, login_as, team):
    """`check=1` is what the screen asks before its download link saves anything: 204 for
    an export that would start, the same 4xx (field and reason) for one that would not,
    and nothing exported, logged or audited either way."""
    _post(coordinator, {"kind": "missing_person", "team_id": team.id, **MISSING})
    before = (_actions(), db.session.scalar(sa.select(sa.func.count()).select_from(ExportLog)))
    ok = coordinator.get("/api/v1/exports", query_string={"kind": "casualty", "check": 1})
    assert ok.status_code == 204 and ok.get_data() == b""
    bad_place = coordinator.get(
        "/api/v1/exports", query_string={"kind": "casualty", "place": "nowhere", "check": 1}
    )
    assert bad_place.status_code == 422
    assert "place" in bad_place.get_json()["error"]["fields"]
    no_recipient = coordinator.get(
        "/api/v1/exports", query_string={"profile": "partner", "kind": "casualty", "check": 1}
    )
    assert no_recipient.status_code == 422
    reporter = login_as("reporter", team)
    refused = reporter.get("/api/v1/exports", query_string={"kind": "casualty", "check": 1})
    assert refused.status_code == 403
    db.session.expire_all()
    after = (_actions(), db.session.scalar(sa.select(sa.func.count()).select_from(ExportLog)))
    assert after[1] == before[1]
    assert [a for a in after[0][len(before[0]) :] if a.startswith("export")] == []
