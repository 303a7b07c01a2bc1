"""JSON Schema (draft 2020-12) of each record kind, generated from the marshmallow schemas.

The offline client validates a record before it queues it, with the schema served at
``GET /api/v1/schemas``. Each property comes from the field object that validates it on
the server (``RecordField.json_schema()``), so the two cannot drift; what JSON Schema
cannot say (min ≤ max, "only when injured", dates not in the future) is listed under
``x-cross-field-rules`` for the client's copy of the same checker. apispec is not used:
it drops custom validators, and every field here is one.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema
from marshmallow.utils import missing

from app.schemas.record_rules import rules_for
from app.schemas.records.common import (
    Const,
    DecimalString,
    RecordField,
    Text,
)
from app.schemas.records.kinds import RECORD_KINDS, SCHEMA_VERSION, schema_for
from app.vocabularies import FIELD_LABELS, VOCABULARIES

__all__ = ["all_json_schemas", "json_schema_for", "object_schema"]

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _with_null(schema: dict[str, Any]) -> dict[str, Any]:
    schema = dict(schema)
    if "enum" in schema:
        schema["enum"] = [*schema["enum"], None]
    if "type" in schema:
        schema["type"] = [schema["type"], "null"]
    return schema


def _property(field: RecordField) -> dict[str, Any]:
    schema = field.json_schema()
    if field.allow_none:
        schema = _with_null(schema)
    default = field.load_default
    if callable(default):
        default = default()
    if default is not missing and default is not None:
        schema["default"] = default
    return schema


def _field_facts(field: RecordField) -> dict[str, Any]:
    """What the browser's cleaner needs beyond JSON Schema: the field's class and limits.

    The server accepts a little more than the canonical form the JSON Schema states
    (Arabic-Indic digits, numeric strings, spaces around text) and names each refusal with
    a code; the browser mirrors that cleaning per field class, so its verdict and codes
    equal the server's (tests/browser/test_forms_validation.py).
    """
    facts: dict[str, Any] = {"field": type(field).__name__}
    if isinstance(field, Text):
        facts["multiline"] = field.multiline
    elif isinstance(field, DecimalString):
        facts.update(minimum=str(field.minimum), maximum=str(field.maximum), places=field.places)
    elif isinstance(field, Const):
        facts["code"] = field.code
    max_items = getattr(field, "max_items", None)
    if max_items is not None:
        facts["max_items"] = max_items
    return facts


def object_schema(schema: Schema) -> dict[str, Any]:
    """Return the JSON Schema of one marshmallow schema made of ``RecordField`` fields.

    ``x-fields`` names each property's field class (and limits JSON Schema cannot state
    for strings), for the browser's copy of the server's cleaning.
    """
    properties: dict[str, Any] = {}
    required: list[str] = []
    facts: dict[str, Any] = {}
    for name, field in schema.fields.items():
        if not isinstance(field, RecordField):  # pragma: no cover - a schema mistake
            raise TypeError(f"{type(schema).__name__}.{name} is not a RecordField")
        properties[name] = _property(field)
        facts[name] = _field_facts(field)
        if field.required:
            required.append(name)
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
        "x-fields": facts,
    }


def json_schema_for(kind: str) -> dict[str, Any]:
    """Return the JSON Schema of a full REST body of ``kind`` (POST/PUT).

    Besides the standard keywords it carries ``x-cross-field-rules`` (the rules of
    ``app.schemas.record_rules`` for this kind) and ``x-labels`` (Arabic and English labels
    of its fields); enum properties name their vocabulary in ``x-vocabulary``.
    """
    schema = schema_for(kind)
    body = object_schema(schema)
    labels = {name: dict(FIELD_LABELS[name]) for name in schema.fields}
    return {
        "$schema": DIALECT,
        "$id": f"urn:tawthiq:record:{kind}:{SCHEMA_VERSION}",
        "title": VOCABULARIES["kind"][kind]["en"],
        **body,
        "x-cross-field-rules": rules_for(kind),
        "x-labels": labels,
    }


def all_json_schemas() -> dict[str, Any]:
    """Return ``{"schema_version": 1, "kinds": {kind: schema}}`` for ``GET /api/v1/schemas``."""
    return {
        "schema_version": SCHEMA_VERSION,
        "kinds": {kind: json_schema_for(kind) for kind in RECORD_KINDS},
    }
