"""Finding, reading, adding and renaming places through the API."""

import pytest
import sqlalchemy as sa
from support.gazetteer import by_pcode, import_sample

from app.extensions import db
from app.models import AuditEvent
from app.services.gazetteer import place_id_for_pcode

PLACES = "/api/v1/places"


@pytest.fixture
def sample(app):
    """The shipped Homs/Hama gazetteer, imported."""
    import_sample()


@pytest.fixture
def reader(login_as, make_team, sample):
    """A reporter: any logged-in user reads the whole gazetteer."""
    return login_as(role="reporter", team=make_team())


@pytest.fixture
def admin(login_as, sample):
    return login_as(admin=True)


def pcodes(client, query):
    response = client.get(f"{PLACES}?{query}")
    assert response.status_code == 200, response.get_json()
    return [p["pcode"] for p in response.get_json()["places"]]


@pytest.mark.parametrize(
    "typed",
    [
        "الخالدية",  # as written
        "الخالديه",  # ta marbuta typed as ha
        "خالدية",  # without the article
        "خالديه",
        "الخالدىة",  # alef maqsura for ya
        "الْخَالِدِيَّة",  # full tashkeel
        "الخـــالدية",  # tatweel
        "KHALDIYEH",
        "khaldi",  # English prefix
    ],
)
def test_khaldiyeh_is_found_however_typed(reader, typed):
    """A reporter finds Khaldiyeh first whatever spelling variant they type."""
    assert pcodes(reader, f"q={typed}")[0] == "C4082-01"


def test_alef_variants_in_the_query(reader):
    """الإنشاءات is found typed with a bare alef, and حماة typed with ha."""
    assert pcodes(reader, "q=الانشاءات") == ["C4082-04"]
    assert pcodes(reader, "q=حماه")[0] == "SY05"


def test_result_carries_ancestors_for_display(reader):
    """Each result names its ancestors, so a picker can show "Khaldiyeh, Homs city, Homs"."""
    place = reader.get(f"{PLACES}?q=khaldiyeh").get_json()["places"][0]
    assert [a["pcode"] for a in place["ancestors"]] == ["SY04", "SY0401", "SY040100", "C4082"]
    assert place["label_en"] == "Khaldiyeh, Homs city, Homs"
    assert place["label_ar"] == "الخالدية، مدينة حمص، مركز حمص، حمص"


def test_pcode_prefix_search(reader):
    """Typing a P-code prefix (any case) lists that unit and everything coded below it."""
    found = pcodes(reader, "q=sy0404")
    assert found[0] == "SY0404"
    assert set(found) == {"SY0404", "SY040400", "SY040401"}
    assert len(pcodes(reader, "q=C4082-0")) == 9


def test_exact_then_prefix_then_word_then_substring(admin):
    """Best matches come first: exact name, name prefix, word prefix, anywhere."""
    homs_city = by_pcode("C4082").id
    for en, code in [("Old Qusur", "T-3"), ("Alqusur", "T-4"), ("Qusur Gardens", "T-2")]:
        body = {"parent_id": homs_city, "level": "neighbourhood", "name_en": en, "pcode": code}
        assert admin.post(PLACES, json=body).status_code == 201
    assert pcodes(admin, "q=qusur") == ["C4082-05", "T-2", "T-3", "T-4"]


def test_level_and_subtree_filters(reader):
    """`level` and `parent` narrow a search to a kind of place and a part of the tree."""
    homs_city = by_pcode("C4082").id
    under_city = pcodes(reader, f"parent={homs_city}&limit=100")
    assert len(under_city) == 9 and all(c.startswith("C4082-") for c in under_city)
    in_homs = pcodes(reader, f"parent={by_pcode('SY04').id}&level=community&limit=100")
    assert set(in_homs) == {"C4082", "C4169", "C4177", "C4259"}  # Hama city is not in Homs
    assert pcodes(reader, "q=bab&level=neighbourhood") == ["C4082-02", "C4082-03", "C4082-08"]
    assert pcodes(reader, f"q=hama&parent={by_pcode('SY04').id}") == []


def test_search_limit_and_bad_arguments(reader):
    """Results are capped by `limit`; an unknown level or parent is an error, not empty."""
    assert len(pcodes(reader, "limit=3")) == 3
    assert reader.get(f"{PLACES}?level=street").status_code == 422
    assert reader.get(f"{PLACES}?limit=1000").status_code == 422
    assert reader.get(f"{PLACES}?parent=nope").status_code == 404


def test_get_one_place(reader):
    """A place is read by id with its ancestors; an unknown id is a 404."""
    khaldiyeh = by_pcode("C4082-01")
    body = reader.get(f"{PLACES}/{khaldiyeh.id}").get_json()
    assert (body["name_en"], body["level"], body["parent_id"]) == (
        "Khaldiyeh",
        "neighbourhood",
        by_pcode("C4082").id,
    )
    assert reader.get(f"{PLACES}/nope").status_code == 404


def test_admin_adds_a_neighbourhood(admin):
    """An admin adds al-Waer under Homs city; it is found at once, by either name."""
    body = {
        "parent_id": by_pcode("C4082").id,
        "level": "neighbourhood",
        "name_ar": "الوعر",
        "name_en": " Waer ",
    }
    response = admin.post(PLACES, json=body)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["name_en"] == "Waer"
    assert created["label_en"] == "Waer, Homs city, Homs"
    assert created["path"].endswith(f"/{created['id']}/")
    assert [p["id"] for p in admin.get(f"{PLACES}?q=وعر").get_json()["places"]] == [created["id"]]
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "place_created")
    ).one()
    assert event.target_id == created["id"]


def test_added_place_with_pcode_gets_the_shared_id(admin):
    """A place added with a P-code has the same id it would have on any other hub."""
    body = {"parent_id": by_pcode("C4082").id, "level": "neighbourhood", "name_en": "Waer"}
    created = admin.post(PLACES, json={**body, "pcode": "c4082-10"}).get_json()
    assert (created["pcode"], created["id"]) == ("C4082-10", place_id_for_pcode("C4082-10"))
    again = admin.post(PLACES, json={**body, "name_en": "Other", "pcode": "C4082-10"})
    assert again.status_code == 409


def test_adding_checks_the_hierarchy_and_duplicates(admin):
    """Levels go downwards, a place needs a name, and a sibling's name cannot repeat."""
    city = by_pcode("C4082").id
    neighbourhood = by_pcode("C4082-01").id
    cases = [
        ({"parent_id": neighbourhood, "level": "community", "name_en": "X"}, 422),
        ({"parent_id": city, "level": "neighbourhood"}, 422),
        ({"parent_id": None, "level": "district", "name_en": "X"}, 422),
        ({"parent_id": "nope", "level": "neighbourhood", "name_en": "X"}, 404),
        ({"parent_id": city, "level": "neighbourhood", "name_ar": "الخالديه"}, 409),
        ({"parent_id": city, "level": "neighbourhood", "name_en": "x", "extra": 1}, 422),
    ]
    for body, status in cases:
        assert admin.post(PLACES, json=body).status_code == status, body


def test_admin_renames_a_place(admin):
    """An admin corrects a name; search follows the new name and the change is audited."""
    place = by_pcode("C4082-03")
    response = admin.patch(f"{PLACES}/{place.id}", json={"name_en": "Bab al-Sbaa"})
    assert response.status_code == 200
    assert response.get_json()["name_ar"] == "باب السباع"  # untouched
    assert pcodes(admin, "q=bab al sbaa") == ["C4082-03"]
    assert pcodes(admin, "q=bab sbaa") == ["C4082-03"]  # the article is optional
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "place_renamed")
    ).one()
    assert event.details["before"]["name_en"] == "Bab Sbaa"
    assert (
        admin.patch(f"{PLACES}/{place.id}", json={"name_en": "", "name_ar": ""}).status_code == 422
    )
    assert admin.patch(f"{PLACES}/{place.id}", json={"pcode": "X"}).status_code == 422


def test_writes_are_for_admins(reader, client):
    """A reporter reads but cannot add or rename (403); anonymous callers get 401 everywhere."""
    place = by_pcode("C4082-01")
    body = {"parent_id": place.parent_id, "level": "neighbourhood", "name_en": "New"}
    assert reader.post(PLACES, json=body).status_code == 403
    assert reader.patch(f"{PLACES}/{place.id}", json={"name_en": "X"}).status_code == 403
    assert client.get(f"{PLACES}?q=homs").status_code == 401
    assert client.get(f"{PLACES}/{place.id}").status_code == 401
    assert client.get(f"{PLACES}/export").status_code == 401
    assert client.post(PLACES, json=body).status_code == 401


def test_export_pages_through_everything_parents_first(reader):
    """The offline client downloads the whole gazetteer in pages, each place once."""
    seen, after = [], None
    while True:
        query = "limit=4" + (f"&after={after}" if after else "")
        page = reader.get(f"{PLACES}/export?{query}").get_json()
        seen += page["places"]
        after = page["next"]
        if after is None:
            break
    assert len(seen) == len({p["id"] for p in seen}) == 25
    positions = {p["id"]: i for i, p in enumerate(seen)}
    for p in seen:
        assert p["parent_id"] is None or positions[p["parent_id"]] < positions[p["id"]]


def test_every_places_endpoint_declares_a_permission(app):
    """No gazetteer view is reachable without an explicit permission rule."""
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(PLACES):
            view_class = app.view_functions[rule.endpoint].view_class
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert getattr(getattr(view_class, method.lower()), "permission", None), rule


def test_openapi_describes_the_csv_import(client):
    """The API description shows the import takes a CSV body."""
    spec = client.get("/api/v1/openapi.json").get_json()
    body = spec["paths"]["/api/v1/places/import"]["post"]["requestBody"]
    assert "text/csv" in body["content"]
