"""marshmallow schemas of the four record kinds, and ``validate_record``.

Each schema cleans one REST body of its kind: unknown fields are refused by name,
required fields are those of DATA-MODEL.md, and the cross-field rules of
``app/schemas/record_rules.py`` run after the fields (the same checker the browser runs).
A schema made with ``partial=True`` (PATCH) makes every field optional and leaves the
cross-field rules to the caller, who alone knows the merged record: ``validate_record``
does that. Nothing here touches the database or the clock except through ``today``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from marshmallow import RAISE, Schema, ValidationError, post_load

from app.schemas.record_rules import Violation, apply_rules
from app.schemas.records.common import (
    LONG_TEXT,
    SHORT_TEXT,
    Age,
    Bool,
    Code,
    CodedMessage,
    CodeSet,
    Const,
    DecimalString,
    FullDate,
    Int,
    NameList,
    ObjectList,
    PartialDate,
    Text,
    Timestamp,
    Uuid,
    coded,
)
from app.vocabularies import DEFAULT_SENSITIVITY

__all__ = [
    "RECORD_KINDS",
    "SCHEMA_VERSION",
    "CasualtySchema",
    "IncidentSchema",
    "MissingPersonSchema",
    "NoteSchema",
    "RecordSchema",
    "SupplyNeedSchema",
    "error_codes",
    "flatten_messages",
    "schema_for",
    "validate_record",
]

RECORD_KINDS = ("incident", "casualty", "missing_person", "supply_need")
SCHEMA_VERSION = 1  # the same number the sync core writes in every change

# Sanity ceilings: far above any real figure, low enough for a 32-bit column and to catch
# a finger resting on a key.
MAX_PEOPLE = 1_000_000
MAX_QUANTITY = 1_000_000_000

LAT_PATTERN = r"^-?(?:90(?:\.0{1,6})?|[1-8]?[0-9](?:\.[0-9]{1,6})?)$"
LON_PATTERN = r"^-?(?:180(?:\.0{1,6})?|(?:1[0-7][0-9]|[1-9]?[0-9])(?:\.[0-9]{1,6})?)$"

# marshmallow's own messages, for errors raised where our coded messages do not reach.
_BUILTIN_CODES = {
    "Unknown field.": "unknown_field",
    "Invalid input type.": "invalid_type",
    "Missing data for required field.": "required",
    "Field may not be null.": "null",
}


def utc_today() -> date:
    """Today in UTC: what ``today`` means when the caller passes none."""
    return datetime.now(UTC).date()


class _CodedSchema(Schema):
    """A schema that refuses unknown fields and whose own errors carry codes."""

    error_messages: ClassVar[dict[str, Any]] = {  # type: ignore[misc]
        "unknown": coded("unknown_field"),
        "type": coded("invalid_type", "Must be a JSON object."),
    }

    class Meta:
        unknown = RAISE


class NoteSchema(_CodedSchema):
    """One PFIF-shaped note on a missing person; ``note_id`` is its element id in sync."""

    note_id = Uuid(required=True)
    status = Code("note_status")
    text = Text(LONG_TEXT, multiline=True, required=True)
    author_made_contact = Bool(load_default=False)
    date = PartialDate()
    author_name = Text(SHORT_TEXT)


def _nest(violations: list[Violation]) -> dict[str, Any]:
    """Turn ``notes.0.status`` paths into marshmallow's nested message shape."""
    tree: dict[Any, Any] = {}
    for violation in violations:
        *path, leaf = violation.field.split(".")
        node = tree
        for part in path:
            node = node.setdefault(int(part) if part.isdigit() else part, {})
        node[leaf] = [coded(violation.code, violation.message["en"])]
    return tree


class RecordSchema(_CodedSchema):
    """Fields every record has. Subclasses set ``kind_name``, ``kind`` and ``sensitivity``.

    ``today`` (a date) is what "in the future" is measured from; it is an attribute set by
    the caller because marshmallow 4 has no schema context. None means UTC today.
    """

    kind_name: ClassVar[str] = ""

    id = Uuid(required=True)
    schema_version = Const(SCHEMA_VERSION, "unsupported_version", load_default=SCHEMA_VERSION)
    team_id = Uuid(required=True)
    place_id = Uuid()
    location_detail = Text(LONG_TEXT, multiline=True)
    lat = DecimalString(-90, 90, 6, LAT_PATTERN)
    lon = DecimalString(-180, 180, 6, LON_PATTERN)
    geo_precision = Code("geo_precision")
    occurred_date = PartialDate()
    occurred_date_precision = Code("occurred_date_precision")
    reported_at = Timestamp()
    source_type = Code("source_type")
    source_count = Int(1, 1000, load_default=1)
    verification_status = Code("verification_status", load_default="reported")
    internal_notes = Text(LONG_TEXT, multiline=True)
    assigned_to = Uuid()

    def __init__(self, *args: Any, today: date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    @post_load
    def _cross_field_rules(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        partial = kwargs.get("partial")
        if partial is None:
            partial = self.partial
        if partial:
            return data  # the caller checks the merged record (see validate_record)
        record, violations = apply_rules(self.kind_name, data, today=self.today or utc_today())
        if violations:
            raise ValidationError(_nest(violations))
        return record


class IncidentSchema(RecordSchema):
    """One event in time and place; casualty figures as ranges (ECW)."""

    kind_name = "incident"
    kind = Const("incident", "wrong_kind", required=True)
    sensitivity = Code("sensitivity", load_default=DEFAULT_SENSITIVITY["incident"])
    event_type = Code("event_type", required=True)
    perpetrator_type = Code("perpetrator_type")
    killed_min = Int(0, MAX_PEOPLE)
    killed_max = Int(0, MAX_PEOPLE)
    injured_min = Int(0, MAX_PEOPLE)
    injured_max = Int(0, MAX_PEOPLE)
    missing_min = Int(0, MAX_PEOPLE)
    missing_max = Int(0, MAX_PEOPLE)
    description = Text(LONG_TEXT, multiline=True)


class CasualtySchema(RecordSchema):
    """One killed or injured person, or ``count`` unidentified people."""

    kind_name = "casualty"
    kind = Const("casualty", "wrong_kind", required=True)
    sensitivity = Code("sensitivity", load_default=DEFAULT_SENSITIVITY["casualty"])
    outcome = Code("outcome", required=True)
    count = Int(1, MAX_PEOPLE, load_default=1)
    full_name = Text(SHORT_TEXT)
    full_name_latin = Text(SHORT_TEXT)
    given_name = Text(SHORT_TEXT)
    father_name = Text(SHORT_TEXT)
    family_name = Text(SHORT_TEXT)
    mother_name = Text(SHORT_TEXT)
    alternate_names = NameList()
    sex = Code("sex", required=True)
    # Not in DATA-MODEL's casualty list, but an identity field of the sync core: a birth
    # date is how lists are matched when two people share a name.
    date_of_birth = PartialDate()
    age_years = Int(0, 130)
    age_group = Code("age_group")
    civilian_status = Code("civilian_status", required=True)
    cause = Code("cause", required=True)
    perpetrator_type = Code("perpetrator_type")
    injury_severity = Code("injury_severity")
    date_of_death = PartialDate()
    facility_type = Code("facility_type")
    documentation = CodeSet("documentation")
    incident_id = Uuid()


class MissingPersonSchema(RecordSchema):
    """One missing, detained, captured or abducted person: PFIF core plus protection fields."""

    kind_name = "missing_person"
    kind = Const("missing_person", "wrong_kind", required=True)
    sensitivity = Code("sensitivity", load_default=DEFAULT_SENSITIVITY["missing_person"])
    full_name = Text(SHORT_TEXT, required=True)
    full_name_latin = Text(SHORT_TEXT)
    given_name = Text(SHORT_TEXT)
    father_name = Text(SHORT_TEXT)
    family_name = Text(SHORT_TEXT)
    mother_name = Text(SHORT_TEXT)
    alternate_names = NameList()
    sex = Code("sex", required=True)
    date_of_birth = PartialDate()
    age = Age()
    home_place_id = Uuid()
    description = Text(LONG_TEXT, multiline=True)
    disappearance_type = Code("disappearance_type", required=True)
    last_seen_date = PartialDate(required=True)
    last_seen_place_id = Uuid()
    last_seen_location_detail = Text(LONG_TEXT, multiline=True)
    circumstances = Text(LONG_TEXT, multiline=True)
    holding_party_type = Code("holding_party_type")
    whereabouts_status = Code("whereabouts_status")
    fate_status = Code("fate_status", required=True)
    fate_status_date = PartialDate()
    case_status = Code("case_status", load_default="open")
    enquirer_relationship = Code("enquirer_relationship")
    enquirer_name = Text(SHORT_TEXT)
    enquirer_contact = Text(SHORT_TEXT)
    consent_to_disclose_whereabouts = Code("consent_to_disclose_whereabouts")
    # A plain field (not a sync collection): a concurrent grant must not outlive a
    # withdrawal of consent. Sent as a list, stored sorted.
    consent_scope = CodeSet("consent_scope", load_default=lambda: ["internal"])
    # Gates every export of a missing person believed or confirmed dead; false until set.
    family_notified = Bool(load_default=False)
    notes = ObjectList(NoteSchema)


class SupplyNeedSchema(RecordSchema):
    """One item line of a request; quantities are whole numbers of ``unit``."""

    kind_name = "supply_need"
    kind = Const("supply_need", "wrong_kind", required=True)
    sensitivity = Code("sensitivity", load_default=DEFAULT_SENSITIVITY["supply_need"])
    request_id = Uuid()
    requesting_site_type = Code("requesting_site_type", required=True)
    requesting_org = Text(SHORT_TEXT)
    sector = Code("sector", required=True)
    item_category = Code("item_category", required=True)
    item_name = Text(SHORT_TEXT, required=True)
    unit = Text(SHORT_TEXT, required=True)
    quantity_needed = Int(1, MAX_QUANTITY, required=True)
    # Counters: the REST body carries the total; the service turns it into a delta.
    quantity_committed = Int(0, MAX_QUANTITY, load_default=0)
    quantity_delivered = Int(0, MAX_QUANTITY, load_default=0)
    people_in_need = Int(0, MAX_QUANTITY)
    priority = Code("priority", required=True)
    timeframe = Code("timeframe")
    needed_by = FullDate()
    status = Code("status", required=True)
    blood_component = Code("blood_component")
    blood_group = Code("blood_group")
    stock_on_hand = Int(0, MAX_QUANTITY)


SCHEMAS: dict[str, type[RecordSchema]] = {
    "incident": IncidentSchema,
    "casualty": CasualtySchema,
    "missing_person": MissingPersonSchema,
    "supply_need": SupplyNeedSchema,
}


def schema_for(kind: str, *, partial: bool = False) -> RecordSchema:
    """Return a new schema instance for ``kind``; ``partial=True`` for PATCH bodies.

    A partial schema makes every field optional, applies no defaults and skips the
    cross-field rules (check them on the merged record, as ``validate_record`` does).
    Raises ``ValueError`` for a kind this version does not know.
    """
    try:
        return SCHEMAS[kind](partial=partial)
    except KeyError:
        raise ValueError(f"unknown record kind {kind!r}") from None


_SCHEMA_CACHE = threading.local()


def _thread_schema(kind: str, partial: bool) -> RecordSchema:
    """A schema instance reused within one thread (building one costs ~3 ms; its only
    per-call state, ``today``, is set before each load, and threads never share it)."""
    cache: dict[tuple[str, bool], RecordSchema] | None = getattr(_SCHEMA_CACHE, "map", None)
    if cache is None:
        cache = _SCHEMA_CACHE.map = {}
    schema = cache.get((kind, partial))
    if schema is None:
        schema = cache[(kind, partial)] = schema_for(kind, partial=partial)
    return schema


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[Any]]:
    """Flatten marshmallow's nested messages into ``{"notes.0.text": [message]}``."""
    if isinstance(messages, Mapping):
        flat: dict[str, list[Any]] = {}
        for key, value in messages.items():
            flat.update(flatten_messages(value, f"{prefix}{key}."))
        return flat
    if isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages):
        return {prefix.rstrip(".") or "_schema": list(messages)}
    if isinstance(messages, list):
        flat = {}
        for index, value in enumerate(messages):
            flat.update(flatten_messages(value, f"{prefix}{index}."))
        return flat
    return {prefix.rstrip(".") or "_schema": [messages]}


def _code_of(message: Any) -> str:
    if isinstance(message, CodedMessage):
        return message.code
    return _BUILTIN_CODES.get(str(message), "invalid")


def error_codes(error: ValidationError) -> dict[str, str]:
    """Return ``{field path: code}`` for a ``ValidationError`` of these schemas.

    Codes are stable (see ``app.vocabularies.ERROR_MESSAGES`` for their Arabic and English
    text); the first message of a field decides its code.
    """
    return {
        field: _code_of(messages[0])
        for field, messages in flatten_messages(error.messages).items()
        if messages
    }


def validate_record(
    kind: str,
    data: dict[str, Any],
    *,
    partial: bool = False,
    current: dict[str, Any] | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """Clean a REST body of ``kind``; return codes, ISO strings and decimals as strings.

    Raises ``marshmallow.ValidationError`` whose ``messages`` are ``{field: [message]}``
    with nested paths flattened (``notes.0.text``); ``error_codes()`` gives their codes.
    With ``partial=True`` (PATCH) only the sent fields are cleaned, and the cross-field
    rules run on ``{**current, **cleaned}``; fields the rules derive (``age_group`` from a
    new ``age_years``, ``occurred_date_precision`` from a new ``occurred_date``) are added
    to the returned patch. Dates more than a day after ``today`` (default: UTC today) are
    refused.
    """
    if kind not in SCHEMAS:
        raise ValidationError(
            {"kind": [coded("not_in_vocabulary", f"Unknown record kind {kind!r}.")]}
        )
    day = today or utc_today()
    schema = _thread_schema(kind, partial)
    schema.today = day
    try:
        cleaned: dict[str, Any] = schema.load(data)  # type: ignore[assignment]
    except ValidationError as err:
        raise ValidationError(flatten_messages(err.messages)) from None
    if not partial:
        return cleaned
    merged = {**(current or {}), **cleaned}
    record, violations = apply_rules(kind, merged, today=day, explicit=cleaned.keys())
    if violations:
        raise ValidationError(
            {v.field: [coded(v.code, v.message["en"])] for v in violations}  # type: ignore[misc]
        )
    for key, value in record.items():
        if key not in cleaned and merged.get(key) != value:
            cleaned[key] = value  # derived from what this patch changed
    return cleaned
