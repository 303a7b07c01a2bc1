"""Importing a gazetteer in the OCHA COD layout: idempotent, all or nothing, audited."""

import sqlalchemy as sa
from click.testing import CliRunner
from support.gazetteer import HEADER, by_pcode, place_count, post_csv, sample_bytes

from app.cli import main
from app.extensions import db
from app.models import AuditEvent, Place
from app.services.gazetteer import place_id_for_pcode


def test_admin_imports_the_sample(login_as):
    """An admin uploads the shipped files (BOM, extra columns) and every place appears."""
    admin = login_as(admin=True)
    first = post_csv(admin, sample_bytes("homs_gazetteer.csv"))
    assert first.status_code == 200, first.get_json()
    assert first.get_json() == {"places": 16, "created": 16, "updated": 0, "unchanged": 0}
    second = post_csv(admin, sample_bytes("homs_neighbourhoods.csv"))
    assert second.get_json() == {"places": 13, "created": 9, "updated": 0, "unchanged": 4}
    assert place_count() == 25
    khaldiyeh = by_pcode("C4082-01")
    assert (khaldiyeh.name_ar, khaldiyeh.level) == ("الخالدية", "neighbourhood")
    assert by_pcode("SY04").parent_id is None
    assert by_pcode("SY040401").level == "subdistrict"
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "gazetteer_imported")
    ).first()
    assert event.actor_id == admin.user_obj.id
    assert event.details["created"] == 16


def test_reimport_changes_nothing(login_as):
    """Importing the same file again leaves every place exactly as it was."""
    admin = login_as(admin=True)
    post_csv(admin, sample_bytes("homs_gazetteer.csv"))
    before = {p.id: (p.name_ar, p.name_en, p.path, p.updated_at) for p in Place.query.all()}
    again = post_csv(admin, sample_bytes("homs_gazetteer.csv")).get_json()
    assert again == {"places": 16, "created": 0, "updated": 0, "unchanged": 16}
    db.session.expire_all()
    after = {p.id: (p.name_ar, p.name_en, p.path, p.updated_at) for p in Place.query.all()}
    assert after == before


def test_changed_name_updates_the_place(login_as):
    """A corrected name in a newer file renames the place, keeping its id."""
    admin = login_as(admin=True)
    post_csv(admin, HEADER + "SY04,Homs,حمص,SY0401,Homs,حمص,SY040100,Homs,حمص\n")
    old_id = by_pcode("SY040100").id
    result = post_csv(admin, HEADER + "SY04,Homs,حمص,SY0401,Homs,حمص,SY040100,Homs,مركز حمص\n")
    assert result.get_json()["updated"] == 1
    db.session.expire_all()
    assert (by_pcode("SY040100").id, by_pcode("SY040100").name_ar) == (old_id, "مركز حمص")
    found = admin.get("/api/v1/places?q=مركز").get_json()["places"]
    assert [p["pcode"] for p in found] == ["SY040100"]


def test_every_hub_gives_a_pcode_the_same_id(login_as):
    """Two hubs importing the same COD file agree on place ids without talking."""
    admin = login_as(admin=True)
    post_csv(admin, sample_bytes("homs_gazetteer.csv"))
    assert by_pcode("SY04").id == place_id_for_pcode("SY04") == place_id_for_pcode(" sy04 ")
    assert by_pcode("C4082").path == (
        f"/{place_id_for_pcode('SY04')}/{place_id_for_pcode('SY0401')}/"
        f"{place_id_for_pcode('SY040100')}/{place_id_for_pcode('C4082')}/"
    )


def _errors(response):
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "invalid_file"
    return {(e["line"], e["message"]) for e in error["errors"]}


def test_missing_column_is_refused(login_as):
    """A file without ADM1_PCODE is refused, pointing at the header line."""
    admin = login_as(admin=True)
    errors = _errors(post_csv(admin, "ADM1_EN,ADM1_AR\nHoms,حمص\n"))
    assert errors == {(1, "Column ADM1_PCODE is missing.")}
    assert place_count() == 0


def test_empty_name_is_refused_and_nothing_written(login_as):
    """A place with no name on line 3 stops the whole file; line 2 is not written either."""
    admin = login_as(admin=True)
    body = HEADER + "SY04,Homs,حمص,SY0401,Homs,حمص\nSY05,Hama,حماة,SY0501,,\n"
    response = post_csv(admin, body)
    assert _errors(response) == {(3, "ADM2_EN and ADM2_AR are both empty.")}
    assert response.get_json()["error"]["fields"] == {
        "line 3": ["ADM2_EN and ADM2_AR are both empty."]
    }
    assert place_count() == 0


def test_duplicate_pcode_with_other_parent_is_refused(login_as):
    """One P-code under two parents is reported with both lines; nothing is written."""
    admin = login_as(admin=True)
    body = HEADER + "SY04,Homs,حمص,SY0401,Homs,حمص\nSY05,Hama,حماة,SY0401,Homs,حمص\n"
    assert _errors(post_csv(admin, body)) == {
        (3, "P-code SY0401 is under SY04 on line 2 but under SY05 here.")
    }
    assert place_count() == 0


def test_several_problems_reported_together(login_as):
    """Skipped levels, bad codes and missing codes are all listed with their lines."""
    admin = login_as(admin=True)
    body = (
        HEADER
        + "SY04,Homs,حمص,,,,SY040100,Homs,حمص\n"
        + "SY 04,Homs,حمص\n"
        + ",Homs,حمص\n"
        + "\n"
        + "SY05,Hama,حماة\n"
    )
    assert _errors(post_csv(admin, body)) == {
        (2, "ADM2 is empty but ADM3 is filled."),
        (3, "ADM1_PCODE 'SY 04' is not a P-code (letters, digits, -)."),
        (4, "ADM1_PCODE is empty."),
    }
    assert place_count() == 0


def test_moving_a_place_is_refused(login_as):
    """A later file cannot silently move a place under another parent."""
    admin = login_as(admin=True)
    post_csv(admin, HEADER + "SY04,Homs,حمص,SY0401,Homs,حمص\nSY05,Hama,حماة\n")
    errors = _errors(post_csv(admin, HEADER + "SY05,Hama,حماة,SY0401,Homs,حمص\n"))
    (line, message), *_ = errors
    assert line == 2
    assert "under SY04 in the gazetteer, not SY05; moving places is not supported" in message


def test_semicolons_crlf_and_bom_are_tolerated(login_as):
    """A spreadsheet export with a BOM, semicolons and CRLF imports like a plain file."""
    admin = login_as(admin=True)
    body = "\ufeffadm1_pcode;ADM1_EN ; adm1_ar;Shape_Area\r\nsy04;Homs;حمص;42\r\n"
    assert post_csv(admin, body).get_json()["created"] == 1
    assert by_pcode("SY04").name_en == "Homs"


def test_non_utf8_file_is_refused(login_as):
    """A file saved as Windows-1256 is refused with a clear message, not garbled."""
    admin = login_as(admin=True)
    body = (HEADER.split(",ADM2")[0] + "\nSY04,Homs,حمص\n").encode("cp1256")
    errors = _errors(post_csv(admin, body))
    assert any("not UTF-8" in message for _line, message in errors)
    assert place_count() == 0


def test_import_takes_csv_only(login_as):
    """The import endpoint accepts text/csv; other body types are refused with 415."""
    admin = login_as(admin=True)
    response = admin.post("/api/v1/places/import", data=b"x", content_type="text/plain")
    assert response.status_code == 415
    other = admin.post("/api/v1/places", data=b"a,b", content_type="text/csv")
    assert other.status_code == 415  # only the import view declared CSV


def test_import_is_for_admins(login_as, client, make_team):
    """A reporter cannot replace the gazetteer (403); an anonymous caller must log in (401)."""
    reporter = login_as(role="reporter", team=make_team())
    assert post_csv(reporter, sample_bytes("homs_gazetteer.csv")).status_code == 403
    assert post_csv(client, sample_bytes("homs_gazetteer.csv")).status_code == 401
    assert place_count() == 0


def test_cli_import_and_add(app, tmp_path):
    """At the hub: `tawthiq places import --sample`, then `places add` a neighbourhood."""
    runner = CliRunner()
    result = runner.invoke(main, ["places", "import", "--sample"], obj={"app": app})
    assert result.exit_code == 0, result.output
    assert "homs_neighbourhoods.csv: 13 places, 9 created" in result.output
    added = runner.invoke(
        main,
        ["places", "add", "--parent", "c4082", "--ar", "الوعر", "--en", "Waer"],
        obj={"app": app},
    )
    assert added.exit_code == 0, added.output
    waer = db.session.get(Place, added.output.strip())
    assert (waer.level, waer.parent_id) == ("neighbourhood", by_pcode("C4082").id)
    bad = tmp_path / "bad.csv"
    bad.write_text("ADM1_EN\nHoms\n", encoding="utf-8")
    refused = runner.invoke(main, ["places", "import", str(bad)], obj={"app": app})
    assert refused.exit_code == 1
    assert "line 1: Column ADM1_PCODE is missing." in refused.output
