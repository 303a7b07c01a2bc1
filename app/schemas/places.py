"""Schemas for places: search arguments, the place as shown, additions and renames."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from app.models.places import LEVELS
from app.services.gazetteer import MAX_SEARCH_LIMIT, SEARCH_LIMIT

_NAME = validate.Length(max=200)


class PlaceSearchArgs(Schema):
    q = fields.String(load_default="", validate=validate.Length(max=200))
    level = fields.String(validate=validate.OneOf(LEVELS))
    parent = fields.String(validate=validate.Length(max=36))
    limit = fields.Integer(
        load_default=SEARCH_LIMIT, validate=validate.Range(min=1, max=MAX_SEARCH_LIMIT)
    )


class PlaceExportArgs(Schema):
    after = fields.String(validate=validate.Length(max=400))
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=2000))
    since = fields.AwareDateTime(default_timezone=None)


class AncestorSchema(Schema):
    id = fields.String()
    pcode = fields.String(allow_none=True)
    level = fields.String()
    name_ar = fields.String()
    name_en = fields.String()


class PlaceSchema(AncestorSchema):
    """A place with the names of its ancestors, as a picker or a record shows it."""

    parent_id = fields.String(allow_none=True)
    path = fields.String()
    updated_at = fields.DateTime()
    ancestors = fields.List(fields.Nested(AncestorSchema))
    # "Khaldiyeh, Homs city, Homs": the place, then its ancestors up to the governorate.
    label_en = fields.String()
    label_ar = fields.String()


class PlaceListSchema(Schema):
    places = fields.List(fields.Nested(PlaceSchema))


class ExportedPlaceSchema(AncestorSchema):
    parent_id = fields.String(allow_none=True)
    path = fields.String()
    updated_at = fields.DateTime()


class PlaceExportPageSchema(Schema):
    places = fields.List(fields.Nested(ExportedPlaceSchema))
    # Pass back as `after` for the next page; null on the last page.
    next = fields.String(allow_none=True)


class PlaceCreateSchema(Schema):
    parent_id = fields.String(load_default=None, allow_none=True)
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))
    name_ar = fields.String(load_default="", validate=_NAME)
    name_en = fields.String(load_default="", validate=_NAME)
    pcode = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))


class PlaceUpdateSchema(Schema):
    name_ar = fields.String(validate=_NAME)
    name_en = fields.String(validate=_NAME)


class ImportResultSchema(Schema):
    places = fields.Integer()
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()


def _label(names: list[str], separator: str) -> str:
    # "Homs city, Homs, Homs, Homs" (community, sub-district, district, governorate all
    # named Homs) reads better as "Homs city, Homs".
    kept: list[str] = []
    for name in names:
        if name and (not kept or kept[-1] != name):
            kept.append(name)
    return separator.join(kept)


def place_view(place: Any, ancestors: list[Any]) -> dict[str, Any]:
    """The dict PlaceSchema dumps: the place, its ancestors and display labels."""
    chain = [place, *reversed(ancestors)]
    return {
        "id": place.id,
        "pcode": place.pcode,
        "level": place.level,
        "name_ar": place.name_ar,
        "name_en": place.name_en,
        "parent_id": place.parent_id,
        "path": place.path,
        "updated_at": place.updated_at,
        "ancestors": ancestors,
        "label_en": _label([p.name_en or p.name_ar for p in chain], ", "),
        "label_ar": _label([p.name_ar or p.name_en for p in chain], "، "),
    }
