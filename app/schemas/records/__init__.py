"""Validation of record bodies: marshmallow schemas per kind, JSON Schema for the client.

The public API (the storage, services and REST endpoints build on exactly this):

- ``RECORD_KINDS``: the four kinds.
- ``schema_for(kind, *, partial=False)``: a marshmallow schema instance for a REST body.
- ``validate_record(kind, data, *, partial=False, current=None, today=None)``: the cleaned
  dict, or ``marshmallow.ValidationError`` with ``{field: [message]}``.
- ``error_codes(error)``: ``{field: code}`` of such an error.
- ``json_schema_for(kind)`` and ``all_json_schemas()``: JSON Schema for the offline client.

Cross-field rules live in ``app.schemas.record_rules``; codes and labels in
``app.vocabularies``.
"""

from app.schemas.records.jsonschema import all_json_schemas, json_schema_for
from app.schemas.records.kinds import (
    RECORD_KINDS,
    SCHEMA_VERSION,
    error_codes,
    schema_for,
    validate_record,
)

__all__ = [
    "RECORD_KINDS",
    "SCHEMA_VERSION",
    "all_json_schemas",
    "error_codes",
    "json_schema_for",
    "schema_for",
    "validate_record",
]
