"""Record validation: vocabularies, schemas per kind, cross-field rules, JSON Schema.

Pure tests: no database and no app. Most payloads come from the shared vectors
(tests/cases/validation_cases.json), which the browser tests read too.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from marshmallow import ValidationError

from app.schemas.record_rules import (
    CROSS_FIELD_RULES,
    RULE_TYPES,
    apply_rules,
    partial_date_bounds,
    rules_for,
)
from app.schemas.records import (
    RECORD_KINDS,
    all_json_schemas,
    error_codes,
    json_schema_for,
    schema_for,
    validate_record,
)
from app.schemas.records.kinds import NoteSchema
from app.vocabularies import (
    DEFAULT_SENSITIVITY,
    ERROR_MESSAGES,
    FIELD_LABELS,
    VOCABULARIES,
    vocabulary_payload,
)

VECTORS = json.loads(
    (Path(__file__).parents[1] / "cases" / "validation_cases.json").read_text("utf-8")
)
TODAY = date.fromisoformat(VECTORS["today"])
CASES = VECTORS["cases"]
ARABIC_LETTER = re.compile("[\u0621-\u064a]")

# The sync core's field table (sync/fields.py): these names must exist in the schemas.
SYNC_FIELDS = {
    "casualty": {
        "alternate_names",
        "documentation",
        "full_name",
        "full_name_latin",
        "given_name",
        "father_name",
        "family_name",
        "mother_name",
        "sex",
        "date_of_birth",
        "outcome",
        "date_of_death",
    },
    "missing_person": {
        "alternate_names",
        "notes",
        "full_name",
        "full_name_latin",
        "given_name",
        "father_name",
        "family_name",
        "mother_name",
        "sex",
        "date_of_birth",
        "fate_status",
        "fate_status_date",
        "last_seen_date",
        "last_seen_place_id",
        "last_seen_location_detail",
    },
    "supply_need": {"quantity_committed", "quantity_delivered"},
}


def full(kind: str) -> dict[str, Any]:
    """A deep copy of the full valid record of ``kind`` from the vectors."""
    case = next(c for c in CASES if c["name"] == f"{kind}: full valid record")
    return copy.deepcopy(case["payload"])


def codes_of(kind: str, data: Any, **kwargs: Any) -> dict[str, str]:
    """The error codes ``validate_record`` answers with ({} when it accepts)."""
    try:
        validate_record(kind, data, **kwargs)
    except ValidationError as err:
        return error_codes(err)
    return {}


# --- vocabularies -----------------------------------------------------------------------


def test_vocabulary_codes_are_snake_case_with_both_labels() -> None:
    """Every code is lowercase snake_case (blood groups as on the bag) with en and ar labels."""
    for name, values in VOCABULARIES.items():
        assert values, name
        for code, label in values.items():
            if name == "blood_group":
                assert re.fullmatch(r"(?:O|A|B|AB)[+-]|any", code)
            else:
                assert re.fullmatch(r"[a-z0-9]+(?:_[a-z0-9]+)*", code), (name, code)
            assert set(label) == {"en", "ar"}, (name, code)
            assert label["en"].strip() and ARABIC_LETTER.search(label["ar"]), (name, code)


def test_field_labels_cover_every_field_and_nothing_else() -> None:
    """Each field of every kind (and of a note) has an Arabic and English label; no stale ones."""
    used = set(NoteSchema().fields)
    for kind in RECORD_KINDS:
        used |= set(schema_for(kind).fields)
    assert used == set(FIELD_LABELS)
    for name, label in FIELD_LABELS.items():
        assert label["en"] and ARABIC_LETTER.search(label["ar"]), name


def test_field_names_match_the_sync_core() -> None:
    """Counters, collections and identity fields the sync core names exist under those names."""
    for kind, names in SYNC_FIELDS.items():
        assert names <= set(schema_for(kind).fields), names - set(schema_for(kind).fields)


def test_labels_in_the_payload_keep_display_order() -> None:
    """The UI payload lists codes in display order with labels, field labels and error texts."""
    payload = json.loads(json.dumps(vocabulary_payload(), ensure_ascii=False))
    assert [v["code"] for v in payload["vocabularies"]["priority"]] == [
        "low",
        "medium",
        "high",
        "critical",
    ]
    assert payload["vocabularies"]["outcome"][0] == {"code": "killed", "en": "Killed", "ar": "قتيل"}
    assert payload["fields"]["full_name"]["ar"] == "الاسم الكامل"
    assert payload["errors"]["in_future"]["en"] == "This date is in the future."
    assert payload["default_sensitivity"] == DEFAULT_SENSITIVITY


def test_every_error_code_has_arabic_and_english_text() -> None:
    """Every code a rule or a vector uses can be shown to the user in both languages."""
    used = {rule["code"] for rule in CROSS_FIELD_RULES}
    for case in CASES:
        used |= set(case["errors"].values())
    assert used <= set(ERROR_MESSAGES), used - set(ERROR_MESSAGES)
    for code, text in ERROR_MESSAGES.items():
        assert text["en"] and ARABIC_LETTER.search(text["ar"]), code


# --- the shared vectors -----------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_validation_vector(case: dict[str, Any]) -> None:
    """The server accepts or refuses each shared case exactly as the vectors declare."""
    try:
        cleaned = validate_record(case["kind"], case["payload"], today=TODAY)
    except ValidationError as err:
        assert not case["valid"], err.messages
        assert error_codes(err) == case["errors"]
        # Messages stay readable English sentences, one list per field.
        for messages in err.messages.values():  # type: ignore[union-attr]
            assert messages and all(m.endswith((".", ")")) for m in messages)
        return
    assert case["valid"], f"accepted, expected {case['errors']}"
    for name, value in case.get("output", {}).items():
        assert cleaned[name] == value, name


def test_vectors_cover_every_rule_and_kind() -> None:
    """Each kind has valid and invalid vectors and every cross-field rule is broken by one."""
    for kind in RECORD_KINDS:
        assert any(c["valid"] for c in CASES if c["kind"] == kind)
        assert any(not c["valid"] for c in CASES if c["kind"] == kind)
    broken = {(c["kind"], code) for c in CASES for code in c["errors"].values()}
    for rule in CROSS_FIELD_RULES:
        assert any((kind, rule["code"]) in broken for kind in rule["kinds"]), rule["id"]


@pytest.mark.parametrize("kind", RECORD_KINDS)
def test_client_schema_catches_what_the_server_refuses(kind: str) -> None:
    """Every refused vector is caught on the device too: by JSON Schema or by the rules."""
    schema = json_schema_for(kind)
    validator = jsonschema.Draft202012Validator(schema)
    for case in CASES:
        if case["kind"] != kind or case["valid"]:
            continue
        schema_errors = list(validator.iter_errors(case["payload"]))
        rule_errors = []
        if isinstance(case["payload"], dict):
            rule_errors = apply_rules(kind, case["payload"], today=TODAY)[1]
        assert schema_errors or rule_errors, case["name"]


@pytest.mark.parametrize("kind", RECORD_KINDS)
def test_server_output_conforms_to_the_client_schema(kind: str) -> None:
    """What the server stores from any accepted vector validates against the JSON Schema."""
    validator = jsonschema.Draft202012Validator(json_schema_for(kind))
    for case in CASES:
        if case["kind"] == kind and case["valid"]:
            cleaned = validate_record(kind, case["payload"], today=TODAY)
            assert not list(validator.iter_errors(cleaned)), case["name"]


# --- schemas ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", RECORD_KINDS)
def test_minimal_record_gets_the_kinds_default_sensitivity(kind: str) -> None:
    """A record sent without sensitivity starts at its kind's documented default."""
    case = next(c for c in CASES if c["name"] == f"{kind}: minimal valid record gets defaults")
    assert (
        validate_record(kind, case["payload"], today=TODAY)["sensitivity"]
        == (DEFAULT_SENSITIVITY[kind])
    )
    assert DEFAULT_SENSITIVITY == {
        "incident": "restricted",
        "casualty": "confidential",
        "missing_person": "confidential",
        "supply_need": "restricted",
    }


@pytest.mark.parametrize("kind", RECORD_KINDS)
def test_cleaned_record_dumps_unchanged(kind: str) -> None:
    """Dumping a stored record with its schema gives back the same JSON (decimals as text)."""
    cleaned = validate_record(kind, full(kind), today=TODAY)
    assert schema_for(kind).dump(cleaned) == cleaned
    assert json.loads(json.dumps(cleaned)) == cleaned


def test_decimal_read_from_storage_dumps_as_text() -> None:
    """A coordinate read back as a Decimal or float still leaves the API as canonical text."""
    from decimal import Decimal

    cleaned = validate_record("incident", full("incident"), today=TODAY)
    dumped = schema_for("incident").dump({**cleaned, "lat": Decimal("34.7420"), "lon": 36.5})
    assert (dumped["lat"], dumped["lon"]) == ("34.742", "36.5")


def test_arabic_indic_digits_are_normalised_in_every_numeric_field() -> None:
    """Numbers typed on an Arabic or Persian keyboard are stored with ASCII digits."""
    data = {
        **full("casualty"),
        "age_years": "۳۵",
        "source_count": "٢",
        "occurred_date": "٢٠٢٥-٠٥-٢٨",
        "lat": "٣٤٫٥",
        "reported_at": "٢٠٢٥-٠٥-٢٩T07:00:00Z",
    }
    cleaned = validate_record("casualty", data, today=TODAY)
    assert (cleaned["age_years"], cleaned["source_count"], cleaned["lat"]) == (35, 2, "34.5")
    assert (cleaned["occurred_date"], cleaned["reported_at"]) == (
        "2025-05-28",
        "2025-05-29T07:00:00Z",
    )
    # Digits inside free text are the writer's words: left alone.
    assert validate_record("casualty", {**data, "full_name": "محمد ٣"}, today=TODAY)[
        "full_name"
    ] == ("محمد ٣")


def test_future_dates_are_measured_from_utc_today_by_default() -> None:
    """Without an explicit today, a date three days ahead of the real clock is refused."""
    today = datetime.now(UTC).date()
    ahead = full("incident") | {"occurred_date": (today + timedelta(days=3)).isoformat()}
    behind = full("incident") | {"occurred_date": (today - timedelta(days=1)).isoformat()}
    assert codes_of("incident", ahead) == {"occurred_date": "in_future"}
    assert codes_of("incident", behind) == {}


def test_several_errors_are_reported_together() -> None:
    """A form with several bad fields gets every field error at once, not one by one."""
    data = full("supply_need") | {"priority": "urgent", "quantity_needed": -1, "extra": 1}
    assert codes_of("supply_need", data, today=TODAY) == {
        "priority": "not_in_vocabulary",
        "quantity_needed": "out_of_range",
        "extra": "unknown_field",
    }


def test_unknown_kind() -> None:
    """An unknown kind is a programming error for schema_for and a field error for a body."""
    with pytest.raises(ValueError, match="unknown record kind"):
        schema_for("event")
    assert codes_of("event", {}) == {"kind": "not_in_vocabulary"}


def test_schema_loaded_directly_reports_nested_errors_with_codes() -> None:
    """Loading with the bare schema (as flask-smorest would) still gives coded nested errors."""
    data = full("missing_person")
    data["notes"] = [data["notes"][0], dict(data["notes"][0])]
    schema = schema_for("missing_person")
    schema.today = TODAY
    with pytest.raises(ValidationError) as caught:
        schema.load(data)
    assert caught.value.messages == {"notes": {1: {"note_id": ["Two notes have the same id."]}}}
    assert error_codes(caught.value) == {"notes.1.note_id": "duplicate"}


# --- PATCH (partial) --------------------------------------------------------------------


def test_partial_validates_only_the_sent_fields_without_defaults() -> None:
    """A PATCH of one field returns just that field: required fields and defaults stay out."""
    current = validate_record("casualty", full("casualty"), today=TODAY)
    patch = validate_record(
        "casualty", {"cause": "air_strike"}, partial=True, current=current, today=TODAY
    )
    assert patch == {"cause": "air_strike"}


def test_partial_refuses_clearing_a_required_field_and_unknown_fields() -> None:
    """A PATCH may clear optional fields but not required ones, and names no unknown field."""
    current = validate_record("casualty", full("casualty"), today=TODAY)
    assert codes_of(
        "casualty",
        {"outcome": None, "full_name": None, "tribe": "x"},
        partial=True,
        current=current,
        today=TODAY,
    ) == {"outcome": "null", "tribe": "unknown_field"}


def test_partial_checks_rules_against_the_merged_record() -> None:
    """Changing the outcome to killed while a severity is stored is refused on the severity."""
    current = validate_record("casualty", full("casualty"), today=TODAY)
    assert current["injury_severity"] == "serious"
    kwargs = {"partial": True, "current": current, "today": TODAY}
    assert codes_of("casualty", {"outcome": "killed"}, **kwargs) == {
        "injury_severity": "not_applicable"
    }
    cleared = validate_record("casualty", {"outcome": "killed", "injury_severity": None}, **kwargs)
    assert cleared == {"outcome": "killed", "injury_severity": None}
    assert codes_of(
        "incident",
        {"killed_max": 3},
        partial=True,
        current=validate_record("incident", full("incident"), today=TODAY),
        today=TODAY,
    ) == {"killed_max": "range_reversed"}


def test_partial_derives_from_what_it_changes() -> None:
    """A PATCH of the age brings the right age group; a new date brings its precision."""
    current = validate_record("casualty", full("casualty"), today=TODAY)
    kwargs = {"partial": True, "current": current, "today": TODAY}
    assert validate_record("casualty", {"age_years": 70}, **kwargs) == {
        "age_years": 70,
        "age_group": "elderly",
    }
    assert validate_record("casualty", {"occurred_date": "2025-04"}, **kwargs) == {
        "occurred_date": "2025-04",
        "occurred_date_precision": "month",
    }
    # Sent explicitly, a group that contradicts the stored age is an error on the group.
    assert codes_of("casualty", {"age_group": "child"}, **kwargs) == {
        "age_group": "age_group_mismatch"
    }


def test_partial_kind_must_match() -> None:
    """A PATCH body that names another kind is refused."""
    assert codes_of("incident", {"kind": "casualty"}, partial=True, today=TODAY) == {
        "kind": "wrong_kind"
    }


# --- rules ------------------------------------------------------------------------------


def test_rule_table_is_well_formed() -> None:
    """Each rule has a unique id, a known type, a code with text, messages in both languages."""
    ids = [rule["id"] for rule in CROSS_FIELD_RULES]
    assert len(ids) == len(set(ids))
    for rule in CROSS_FIELD_RULES:
        assert rule["rule"] in RULE_TYPES, rule["id"]
        assert set(rule["kinds"]) <= set(RECORD_KINDS), rule["id"]
        assert rule["code"] in ERROR_MESSAGES, rule["id"]
        assert rule["message"]["en"] and ARABIC_LETTER.search(rule["message"]["ar"])


def _rule_fields(rule: dict[str, Any]) -> set[str]:
    names = set(rule.get("fields", []))
    for key in ("field", "source", "target", "precision_field"):
        if key in rule:
            names.add(rule[key])
    names |= set(rule.get("when", {}))
    return names


@pytest.mark.parametrize("kind", RECORD_KINDS)
def test_rules_name_only_fields_of_their_kind(kind: str) -> None:
    """A typo in a rule's field name would silently disable it: every name must exist."""
    fields = set(schema_for(kind).fields)
    for rule in rules_for(kind):
        names = _rule_fields(rule)
        if "each" in rule:
            assert rule["each"] in fields
            assert names <= set(NoteSchema().fields), (rule["id"], names)
        elif rule["rule"] == "not_future":
            assert names & fields, rule["id"]  # one list of date fields serves every kind
        else:
            assert names <= fields, (rule["id"], names - fields)


def test_apply_rules_never_changes_its_input() -> None:
    """The checker returns a new record; the caller's dict is left as it was."""
    record = {"age_years": 8, "occurred_date": "2025-05", "notes": [{"date": "2025"}]}
    before = copy.deepcopy(record)
    result, violations = apply_rules("casualty", record, today=TODAY)
    assert record == before and not violations
    assert result["age_group"] == "child" and result["occurred_date_precision"] == "month"


def test_partial_dates_are_periods() -> None:
    """2024-02 runs from the 1st to the 29th (leap year); a timestamp is its day."""
    assert partial_date_bounds("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert partial_date_bounds("2023") == (date(2023, 1, 1), date(2023, 12, 31))
    assert partial_date_bounds("2025-05-29T07:00:00Z") == (date(2025, 5, 29),) * 2
    assert partial_date_bounds("2023-02-29") is None


# --- JSON Schema ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", RECORD_KINDS)
def test_json_schema_is_valid_draft_2020_12_and_states_the_limits(kind: str) -> None:
    """The schema the client fetches is valid and closed, with requireds, enums and rules."""
    schema = json_schema_for(kind)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"] is False
    assert schema["properties"]["kind"] == {"const": kind}
    assert set(schema["required"]) >= {"id", "kind", "team_id"}
    assert schema["x-cross-field-rules"] == rules_for(kind)
    assert schema["x-labels"]["sensitivity"]["ar"] == "درجة الحساسية"
    assert schema["properties"]["sensitivity"]["default"] == DEFAULT_SENSITIVITY[kind]
    assert None in schema["properties"]["geo_precision"]["enum"]


def test_json_schema_states_what_apispec_would_drop() -> None:
    """Custom checks appear in the JSON Schema: calendar dates, decimals, text, age ranges."""
    casualty = json_schema_for("casualty")["properties"]
    date_re = re.compile(casualty["occurred_date"]["pattern"])
    assert date_re.match("2024-02-29") and not date_re.match("2023-02-29")
    assert not date_re.match("2026-02-30") and date_re.match("2026")
    assert not date_re.match("٢٠٢٤")  # the client sends ASCII digits
    lat_re = re.compile(casualty["lat"]["pattern"])
    assert lat_re.match("-90") and lat_re.match("34.123456") and not lat_re.match("90.5")
    assert not lat_re.match("34.1234567")
    assert casualty["full_name"]["maxLength"] == 200
    assert not re.search(casualty["full_name"]["pattern"], "a\x00b")
    assert casualty["age_years"] == {"type": ["integer", "null"], "minimum": 0, "maximum": 130}
    assert casualty["documentation"]["uniqueItems"] is True
    missing = json_schema_for("missing_person")["properties"]
    assert missing["notes"]["items"]["required"] == ["note_id", "text"]
    assert re.match(missing["age"]["pattern"], "26-130") and not re.match(
        missing["age"]["pattern"], "131"
    )


def test_all_json_schemas_for_the_endpoint() -> None:
    """GET /api/v1/schemas serves one schema per kind with the schema version."""
    everything = json.loads(json.dumps(all_json_schemas(), ensure_ascii=False))
    assert everything["schema_version"] == 1
    assert set(everything["kinds"]) == set(RECORD_KINDS)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"description": "a\ud800b"}, {"description": "bad_characters"}),
        ({"lat": float("nan")}, {"lat": "not_a_number"}),
        ({"lat": True}, {"lat": "not_a_number"}),
        ({"lat": 1e-7}, {"lat": "too_many_decimals"}),
        ({"killed_min": 10**30}, {"killed_min": "out_of_range"}),
        ({"reported_at": "2025-02-29T10:00:00Z"}, {"reported_at": "impossible_date"}),
    ],
    ids=["lone surrogate", "NaN", "boolean", "exponent float", "huge int", "29 Feb 2025"],
)
def test_values_json_can_carry_but_the_vectors_cannot(
    changes: dict[str, Any], expected: dict[str, str]
) -> None:
    """Values a Python client or a broken device can send are refused with the right code."""
    assert codes_of("incident", full("incident") | changes, today=TODAY) == expected


def test_rule_checker_tolerates_raw_values() -> None:
    """The checker run on a raw body leaves wrong types to the field checks instead of crashing."""
    record = {"killed_min": "5", "killed_max": 3, "age_years": True, "occurred_date": 7}
    assert apply_rules("incident", record, today=TODAY)[1] == []
    assert apply_rules("casualty", record, today=TODAY)[1] == []
