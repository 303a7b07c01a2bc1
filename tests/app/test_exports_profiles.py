"""What leaves in each profile and format: canaries in every field, and format checks.

Every field of every kind is filled with a distinct canary (a text no other field holds;
for enumerations a valid code, for numbers an unusual value). For each profile and
format the export's bytes must contain exactly the canaries of the fields that profile
allows, and its keys (headers, JSON keys, hashtags) must be within the allow-list
written here, apart from the code, as the specification.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
import sqlalchemy as sa
from support.gazetteer import import_sample

from app.extensions import db
from app.models import Place

ADM = [f"adm{n}_{p}" for n in (1, 2, 3) for p in ("code", "name", "name_ar")]
COMMON_PARTNER = [
    "id",
    "kind",
    "occurred_date",
    "occurred_date_precision",
    "reported_date",
    *ADM,
    "geo_precision",
    "source_type",
    "source_count",
    "verification_status",
]
# The specification of the partner profile (standards.md §7.2, §7.5, §9).
PARTNER_ALLOWED = {
    "incident": {
        *COMMON_PARTNER,
        "lat",
        "lon",
        "event_type",
        "killed_min",
        "killed_max",
        "injured_min",
        "injured_max",
        "missing_min",
        "missing_max",
    },
    "casualty": {
        *COMMON_PARTNER,
        "lat",
        "lon",
        "incident_ref",
        "outcome",
        "count",
        "sex",
        "age_group",
        "civilian_status",
        "cause",
        "injury_severity",
        "documentation",
    },
    "missing_person": {
        *COMMON_PARTNER,
        "sex",
        "age_group",
        "disappearance_type",
        "last_seen_date",
        "fate_status",
        "case_status",
    },
    "supply_need": {
        *COMMON_PARTNER,
        "request_ref",
        "requesting_site_type",
        "sector",
        "item_category",
        "item_name",
        "unit",
        "quantity_needed",
        "quantity_committed",
        "quantity_delivered",
        "people_in_need",
        "priority",
        "timeframe",
        "needed_by",
        "status",
        "blood_component",
        "blood_group",
    },
}
# Text canaries a tracing agency receives in PFIF (standards.md §8).
TRACING_TEXT = {"full_name", "full_name_latin", "given_name", "family_name", "alternate_names"}
TRACING_TEXT |= {"description", "notes"}
PUBLIC_KEYS = {
    "row_type",
    *ADM[:6],
    "date_start",
    "date_end",
    "killed",
    "injured",
    "missing",
    "incidents",
    "need_lines",
    "suppressed",
}
RECORD_FORMATS = ["csv", "csv_bom", "hxl", "json", "jsonl", "hxl_json"]


def canary(kind: str, field: str) -> str:
    return f"Cnry{kind[:3]}{field.replace('_', '')}Zq"


def _common(kind: str, place: Place) -> dict[str, Any]:
    return {
        "kind": kind,
        "place_id": place.id,
        "location_detail": canary(kind, "location_detail"),
        "lat": "34.723456",
        "lon": "36.712345",
        "geo_precision": "exact",
        "occurred_date": "2026-01-15",
        "reported_at": "2026-01-16T10:11:12Z",
        "source_type": "eyewitness",
        "source_count": 7,
        "verification_status": "corroborated",
        "internal_notes": canary(kind, "internal_notes"),
        "sensitivity": "confidential",
    }


# Numbers that exist nowhere else in an export (checked as text, like the canaries).
NUMBERS = {
    ("incident", "killed_min"): 731101,
    ("incident", "killed_max"): 731102,
    ("incident", "injured_min"): 731103,
    ("incident", "injured_max"): 731104,
    ("incident", "missing_min"): 731105,
    ("incident", "missing_max"): 731106,
    ("supply_need", "quantity_needed"): 731107,
    ("supply_need", "people_in_need"): 731108,
    ("supply_need", "stock_on_hand"): 731109,
}


def _text_fields(kind: str) -> list[str]:
    return {
        "incident": ["location_detail", "internal_notes", "description"],
        "casualty": [
            "location_detail",
            "internal_notes",
            "full_name",
            "full_name_latin",
            "given_name",
            "father_name",
            "family_name",
            "mother_name",
            "alternate_names",
        ],
        "missing_person": [
            "location_detail",
            "internal_notes",
            "full_name",
            "full_name_latin",
            "given_name",
            "father_name",
            "family_name",
            "mother_name",
            "alternate_names",
            "description",
            "last_seen_location_detail",
            "circumstances",
            "enquirer_name",
            "enquirer_contact",
            "notes",
            "noteauthor",
        ],
        "supply_need": ["location_detail", "internal_notes", "requesting_org", "item_name", "unit"],
    }[kind]


@pytest.fixture
def world(app, make_team, login_as):
    """One record of each kind with every field filled, made by a coordinator's API calls."""
    import_sample()
    place = db.session.scalars(sa.select(Place).order_by(Place.path.desc())).first()
    home = db.session.scalars(sa.select(Place).where(Place.level == "subdistrict")).first()
    team = make_team("Khaldiyeh council")
    coordinator = login_as("coordinator", team)
    uid = coordinator.user["id"]

    def post(body: dict[str, Any]) -> dict[str, Any]:
        r = coordinator.post("/api/v1/records", json=body)
        assert r.status_code == 201, r.get_json()
        return r.get_json()

    incident = post(
        _common("incident", place)
        | {
            "event_type": "shelling_artillery_missile",
            "perpetrator_type": "state_forces",
            "description": canary("incident", "description"),
            "assigned_to": uid,
            **{f: v for (k, f), v in NUMBERS.items() if k == "incident"},
        }
    )
    names = {
        f: canary(kind, f)
        for kind in ("casualty",)
        for f in ("full_name", "full_name_latin", "given_name", "father_name", "family_name")
    }
    casualty = post(
        _common("casualty", place)
        | names
        | {
            "mother_name": canary("casualty", "mother_name"),
            "alternate_names": [canary("casualty", "alternate_names")],
            "outcome": "injured",
            "count": 1,
            "sex": "female",
            "date_of_birth": "1991-03-04",
            "age_years": 34,
            "civilian_status": "civilian",
            "cause": "shelling_artillery",
            "perpetrator_type": "state_forces",
            "injury_severity": "serious",
            "facility_type": "field_hospital",
            "documentation": ["photo", "medical_report"],
            "incident_id": incident["id"],
        }
    )
    person = {f: canary("missing_person", f) for f in _text_fields("missing_person")[2:9]}
    person.pop("alternate_names")
    missing = post(
        _common("missing_person", place)
        | person
        | {
            "alternate_names": [canary("missing_person", "alternate_names")],
            "description": canary("missing_person", "description"),
            "last_seen_location_detail": canary("missing_person", "last_seen_location_detail"),
            "circumstances": canary("missing_person", "circumstances"),
            "enquirer_name": canary("missing_person", "enquirer_name"),
            "enquirer_contact": canary("missing_person", "enquirer_contact"),
            "sex": "male",
            "date_of_birth": "1990",
            "age": "30-35",
            "home_place_id": home.id,
            "disappearance_type": "arrested_detained",
            "last_seen_date": "2026-01-15",
            "last_seen_place_id": place.id,
            "holding_party_type": "state_forces",
            "whereabouts_status": "unknown",
            "fate_status": "detained_held",
            "fate_status_date": "2026-01-20",
            "case_status": "open",
            "enquirer_relationship": "sibling",
            "consent_to_disclose_whereabouts": "yes",
            "consent_scope": ["internal", "partners", "tracing_agency"],
            "family_notified": False,
            "notes": [
                {
                    "note_id": "0b7f3f4e-8d2a-4c8e-9d1a-2f6b5c4d3e21",
                    "status": "believed_missing",
                    "text": canary("missing_person", "notes"),
                    "author_made_contact": False,
                    "date": "2026-01-21",
                    "author_name": canary("missing_person", "noteauthor"),
                }
            ],
        }
    )
    need = post(
        _common("supply_need", place)
        | {
            "request_id": "5a0c1f9e-3b7d-4e2a-8c6f-1d2e3f4a5b6c",
            "requesting_site_type": "field_hospital",
            "requesting_org": canary("supply_need", "requesting_org"),
            "sector": "health",
            "item_category": "blood_product",
            "item_name": canary("supply_need", "item_name"),
            "unit": canary("supply_need", "unit"),
            "quantity_committed": 40,
            "quantity_delivered": 20,
            "priority": "critical",
            "timeframe": "0_12h",
            "needed_by": "2026-01-17",
            "status": "partially_fulfilled",
            "blood_component": "whole_blood",
            "blood_group": "O-",
            **{f: v for (k, f), v in NUMBERS.items() if k == "supply_need"},
        }
    )
    secret_ids = [
        incident["id"],
        casualty["id"],
        missing["id"],
        need["id"],
        team.id,
        uid,
        place.id,
        home.id,
        "5a0c1f9e-3b7d-4e2a-8c6f-1d2e3f4a5b6c",
        "0b7f3f4e-8d2a-4c8e-9d1a-2f6b5c4d3e21",
    ]
    return {"client": coordinator, "team": team, "secret_ids": secret_ids}


def _export(client, **query: Any) -> Any:
    r = client.get("/api/v1/exports", query_string=query)
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    return r


def _keys(fmt: str, data: bytes) -> set[str]:
    """Column names of a tabular export, or every key of the JSON objects."""
    text = data.decode("utf-8-sig")
    if fmt in ("csv", "csv_bom", "hxl"):
        return set(next(csv.reader(io.StringIO(text))))
    if fmt == "jsonl":
        return {k for line in text.splitlines() if line for k in json.loads(line)}
    doc = json.loads(text)
    if fmt == "hxl_json":
        return {k for obj in doc for k in obj}
    return {k for obj in doc["records"] for k in obj}


@pytest.mark.parametrize("fmt", RECORD_FORMATS)
@pytest.mark.parametrize("kind", ["incident", "casualty", "missing_person", "supply_need"])
def test_partner_export_holds_only_allowed_fields(world, kind, fmt):
    """A partner export carries the allowed canaries and not one of the others: no names,
    free text, contacts, internal ids, exact coordinates, stock levels or detention details."""
    data = _export(
        world["client"], profile="partner", format=fmt, kind=kind, recipient="OCHA"
    ).get_data()
    text = data.decode("utf-8-sig")
    allowed = PARTNER_ALLOWED[kind]
    for field in _text_fields(kind):
        present = canary(kind, field) in text
        assert present == (field in allowed), (field, present)
    for (number_kind, field), value in NUMBERS.items():
        if number_kind == kind:
            assert (str(value) in text) == (field in allowed), field
    for secret in world["secret_ids"]:
        assert secret not in text
    assert "34.723456" not in text and "36.712345" not in text
    assert "10:11:12" not in text  # the report's time of day
    keys = _keys(fmt, data)
    if fmt == "hxl_json":
        from app.exports.hxl import HASHTAGS

        keys = {k for k in keys}
        assert keys <= {HASHTAGS[a] for a in allowed}, keys - {HASHTAGS[a] for a in allowed}
    else:
        assert keys <= allowed, keys - allowed
    if kind in ("incident", "casualty"):
        assert "34.72" in text and "36.71" in text


@pytest.mark.parametrize("fmt", RECORD_FORMATS)
def test_internal_export_holds_every_field(world, fmt):
    """The team's own export is the full record: every canary is there."""
    for kind in ("incident", "casualty", "missing_person", "supply_need"):
        text = (
            _export(world["client"], profile="internal", format=fmt, kind=kind)
            .get_data()
            .decode("utf-8-sig")
        )
        for field in _text_fields(kind):
            assert canary(kind, field) in text, (kind, field)
        assert "34.723456" in text


@pytest.mark.parametrize("fmt", RECORD_FORMATS)
def test_public_export_holds_no_record_data(world, fmt):
    """Public aggregates hold counts and places only: no canary, no id, no key beyond
    the table's."""
    data = _export(world["client"], profile="public", format=fmt, recipient="web").get_data()
    text = data.decode("utf-8-sig")
    assert "Cnry" not in text
    for secret in world["secret_ids"]:
        assert secret not in text
    for value in NUMBERS.values():
        assert str(value) not in text
    keys = _keys(fmt, data)
    if fmt == "hxl_json":
        from app.exports.hxl import HASHTAGS

        assert keys <= {HASHTAGS[a] for a in PUBLIC_KEYS}
    else:
        assert keys <= PUBLIC_KEYS


def test_tracing_pfif_holds_only_the_pfif_mapping(world):
    """PFIF for the tracing agency: names, description and notes; never the father's or
    mother's name, enquirer, circumstances, last-seen details or internal notes."""
    text = _export(world["client"], profile="tracing", format="pfif", recipient="ICRC").get_data(
        as_text=True
    )
    for field in _text_fields("missing_person"):
        assert (canary("missing_person", field) in text) == (field in TRACING_TEXT), field
    for kind in ("incident", "casualty", "supply_need"):
        assert f"Cnry{kind[:3]}" not in text
    for secret in world["secret_ids"]:
        assert secret not in text
    _check_pfif(text)


PFIF_NS = "{http://zesty.ca/pfif/1.4}"
PERSON_ORDER = [
    "person_record_id",
    "entry_date",
    "expiry_date",
    "author_name",
    "author_email",
    "author_phone",
    "source_name",
    "source_date",
    "source_url",
    "full_name",
    "given_name",
    "family_name",
    "alternate_names",
    "description",
    "sex",
    "date_of_birth",
    "age",
    "home_street",
    "home_neighborhood",
    "home_city",
    "home_state",
    "home_postal_code",
    "home_country",
    "photo_url",
    "profile_urls",
    "note",
]
NOTE_ORDER = [
    "note_record_id",
    "person_record_id",
    "linked_person_record_id",
    "entry_date",
    "author_name",
    "author_email",
    "author_phone",
    "source_date",
    "author_made_contact",
    "status",
    "email_of_found_person",
    "phone_of_found_person",
    "last_known_location",
    "text",
    "photo_url",
]
UTC_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
RECORD_ID = re.compile(r"^[a-z0-9.-]+\.[a-z]+/(person|note)\.[0-9a-f]{32}$")


def _check_pfif(text: str) -> int:
    """A structural check of PFIF 1.4; returns the number of persons."""
    root = ET.fromstring(text.encode())  # noqa: S314 - our own export, not untrusted
    assert root.tag == f"{PFIF_NS}pfif"
    persons = root.findall(f"{PFIF_NS}person")
    for person in persons:
        tags = [child.tag.removeprefix(PFIF_NS) for child in person]
        assert tags == sorted(tags, key=PERSON_ORDER.index), tags
        fields = {child.tag.removeprefix(PFIF_NS): (child.text or "") for child in person}
        assert RECORD_ID.match(fields["person_record_id"])
        assert UTC_STAMP.match(fields["source_date"]) and UTC_STAMP.match(fields["entry_date"])
        if "expiry_date" in fields:  # an expired placeholder
            assert set(fields) == {"person_record_id", "entry_date", "expiry_date", "source_date"}
            continue
        assert fields["full_name"].strip()
        assert fields.get("sex", "female") in ("female", "male", "other")
        if "date_of_birth" in fields:
            assert re.match(r"^\d{4}(-\d{2}(-\d{2})?)?$", fields["date_of_birth"])
        if "age" in fields:
            assert re.match(r"^\d+(-\d+)?$", fields["age"])
        if "home_state" in fields:
            assert re.match(r"^([A-Z][A-Z]-)?[A-Z0-9]{1,3}$", fields["home_state"])
        for note in person.findall(f"{PFIF_NS}note"):
            ntags = [child.tag.removeprefix(PFIF_NS) for child in note]
            assert ntags == sorted(ntags, key=NOTE_ORDER.index), ntags
            nf = {child.tag.removeprefix(PFIF_NS): (child.text or "") for child in note}
            for required in ("note_record_id", "author_name", "source_date", "text"):
                assert nf.get(required, "").strip(), required
            assert RECORD_ID.match(nf["note_record_id"])
            assert nf["person_record_id"] == fields["person_record_id"]
            assert UTC_STAMP.match(nf["source_date"])
            assert nf.get("author_made_contact", "false") in ("true", "false")
            assert nf.get("status", "believed_missing") in (
                "information_sought",
                "is_note_author",
                "believed_alive",
                "believed_missing",
                "believed_dead",
            )
            if nf.get("status") == "is_note_author":
                assert nf["author_made_contact"] == "true"
    return len(persons)


@pytest.mark.parametrize("profile", ["internal", "partner", "public"])
def test_hxl_exports_parse_with_libhxl(world, profile, tmp_path):
    """libhxl reads every HXL export (CSV and JSON) and finds the expected hashtags."""
    import hxl
    from hxl.input import InputOptions

    from app.exports.hxl import HASHTAGS

    kinds = ["incident", "casualty", "missing_person", "supply_need"]
    for kind in kinds if profile != "public" else [None]:
        for fmt, suffix in (("hxl", "csv"), ("hxl_json", "json")):
            query = {"profile": profile, "format": fmt, "recipient": "OCHA"}
            if kind:
                query["kind"] = kind
            data = _export(world["client"], **query).get_data()
            path = tmp_path / f"{profile}-{kind}.{suffix}"
            path.write_bytes(data)
            with path.open("rb") as stream:
                dataset = hxl.data(stream, InputOptions(allow_local=True)).cache()
                tags = [c.display_tag for c in dataset.columns]
                rows = list(dataset)
            header = (
                next(csv.reader(io.StringIO(data.decode())))
                if fmt == "hxl"
                else list(json.loads(data)[0])
            )
            expected = [HASHTAGS[h] for h in header] if fmt == "hxl" else header
            assert tags == expected
            assert len(rows) >= 1


@pytest.mark.parametrize("profile", ["internal", "partner", "public"])
@pytest.mark.parametrize("fmt", ["csv", "csv_bom", "hxl"])
def test_every_csv_passes_frictionless(world, profile, fmt, tmp_path):
    """frictionless validates every CSV export: one header, same width rows, UTF-8."""
    import frictionless

    kinds = ["incident", "casualty", "missing_person", "supply_need"]
    for kind in kinds if profile != "public" else [None]:
        query = {"profile": profile, "format": fmt, "recipient": "OCHA"}
        if kind:
            query["kind"] = kind
        path = tmp_path / f"{profile}-{fmt}-{kind}.csv"
        path.write_bytes(_export(world["client"], **query).get_data())
        resource = frictionless.Resource(path=path.name, basepath=str(tmp_path))
        report = resource.validate()
        assert report.valid, report.flatten(["rowNumber", "fieldNumber", "type", "note"])
