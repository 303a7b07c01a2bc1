"""Export profiles: who may receive which fields of which records.

Every profile is an **allow-list** of columns per kind, never a deny-list: a field the
schema adds tomorrow leaves in no export until someone writes it here. The `internal`
list is generated from the record schemas' own declared fields (still an allow-list:
values a newer client stored under unknown names never leave).

| profile  | for                               | shape                                     |
|----------|-----------------------------------|-------------------------------------------|
| internal | the team's own coordinators       | every field of the record                 |
| partner  | UN/NGO partners under an ISP      | incident-level rows, no names or free text |
| public   | anyone                            | aggregates only (see aggregate.py)        |
| tracing  | a mandated tracing agency (PFIF)  | consenting missing persons (see pfif.py)  |

Rules every profile obeys (DATA-MODEL.md, "Rules that protect people"):
- deleted, merged and purged records never leave;
- a missing person believed or confirmed dead stays out until `family_notified` is true
  (any open conflict on either field counts against export);
- outside `internal`: never `strictly_confidential`, never `discounted`, ids are scoped
  to the recipient (HMAC-SHA256 of the record id with the recipient's key), coordinates
  at most 2 decimals;
- `partner` takes a missing person only with `partners` in `consent_scope`, `tracing`
  only with `tracing_agency` (an open conflict on consent means the narrowest candidate).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from app.exports.places import ADM_COLUMNS, PlaceIndex
from app.schemas.records.kinds import RECORD_KINDS, SCHEMAS
from app.services.record_codec import item_of
from sync import field_class

__all__ = [
    "DEAD_FATES",
    "PROFILES",
    "RECORD_PROFILES",
    "ExportContext",
    "admits",
    "columns_for",
    "row_reader",
    "scoped_id",
]

PROFILES = ("internal", "partner", "public", "tracing")
RECORD_PROFILES = ("internal", "partner")  # profiles that export one row per record
DEAD_FATES = frozenset({"believed_dead", "confirmed_dead"})
TWO_PLACES = Decimal("0.01")


def scoped_id(key: bytes, record_id: str) -> str:
    """A recipient-scoped id: stable for one recipient, unlinkable across recipients."""
    return hmac.new(key, record_id.encode(), hashlib.sha256).hexdigest()[:32]


@dataclass
class ExportContext:
    """What a column needs besides the record: the profile, the id key, the gazetteer."""

    profile: str
    places: PlaceIndex
    key: bytes | None = None  # None: internal ids
    _mac: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        # Keyed once: copying a keyed HMAC per id is much cheaper than keying it again.
        if self.key is not None:
            self._mac = hmac.new(self.key, digestmod=hashlib.sha256)

    def ref(self, record_id: str | None) -> str | None:
        """The id the recipient sees for a record (or any id we must not leak)."""
        if not record_id:
            return None
        if self._mac is None:
            return record_id
        mac = self._mac.copy()
        mac.update(record_id.encode())
        return mac.hexdigest()[:32]


Getter = Callable[[ExportContext, Any], Any]


def _value(name: str) -> Getter:
    def get(ctx: ExportContext, row: Any) -> Any:
        return row.values.get(name)

    get.plain = True  # type: ignore[attr-defined]
    return get


def _collection(name: str) -> Getter:
    def get(ctx: ExportContext, row: Any) -> Any:
        items = row.values.get(name)
        if not isinstance(items, list):
            return None
        return [item_of(name, e) for e in items if isinstance(e, dict)] or None

    return get


def _decimal(name: str, places: Decimal | None) -> Getter:
    def get(ctx: ExportContext, row: Any) -> Decimal | None:
        raw = row.values.get(name)
        if raw is None or isinstance(raw, bool):
            return None
        try:
            number = Decimal(str(raw))
        except InvalidOperation:
            return None
        if places is not None:
            number = number.quantize(places, rounding=ROUND_HALF_EVEN)
        return number

    return get


def _adm(index: int) -> Getter:
    def get(ctx: ExportContext, row: Any) -> Any:
        return ctx.places.adm(row.place_id)[index]

    get.adm = index  # type: ignore[attr-defined]
    return get


def _age_group_of_age(ctx: ExportContext, row: Any) -> str | None:
    """A missing person's age (`N` or `N-M`) as a band; a range across bands is unknown."""
    age = row.values.get("age")
    if not isinstance(age, str) or not age:
        return None
    try:
        low, _, high = age.partition("-")
        bands = {_band(int(low)), _band(int(high or low))}
    except ValueError:
        return None
    return bands.pop() if len(bands) == 1 else "unknown"


def _band(years: int) -> str:
    return "child" if years < 18 else "adult" if years < 60 else "elderly"


def _date_part(name: str) -> Getter:
    def get(ctx: ExportContext, row: Any) -> str | None:
        value = row.values.get(name)
        return value[:10] if isinstance(value, str) and value else None

    return get


def _timestamp(attr: str) -> Getter:
    def get(ctx: ExportContext, row: Any) -> str | None:
        value = getattr(row, attr)
        return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None

    return get


# Columns that do not come straight from a value of the same name.
_SPECIAL: dict[str, Getter] = {
    "id": lambda ctx, row: ctx.ref(row.id),
    "kind": lambda ctx, row: row.kind,
    "team_id": lambda ctx, row: row.team_id,
    "created_at": _timestamp("created_at"),
    "updated_at": _timestamp("updated_at"),
    "updated_seq": lambda ctx, row: row.updated_seq,
    "created_by": lambda ctx, row: row.created_by or None,
    "place_name": lambda ctx, row: ctx.places.name(row.place_id)[0],
    "place_name_ar": lambda ctx, row: ctx.places.name(row.place_id)[1],
    "reported_date": _date_part("reported_at"),
    "incident_ref": lambda ctx, row: ctx.ref(row.values.get("incident_id")),
    "request_ref": lambda ctx, row: ctx.ref(row.values.get("request_id")),
    "age_band": _age_group_of_age,
    **{name: _adm(i) for i, name in enumerate(ADM_COLUMNS)},
}


def _getter(kind: str, name: str, profile: str) -> Getter:
    if name in ("lat", "lon"):
        return _decimal(name, None if profile == "internal" else TWO_PLACES)
    if name in _SPECIAL:
        return _SPECIAL[name]
    if field_class(kind, name) == "collection":
        return _collection(name)
    return _value(name)


# --- the allow-lists -------------------------------------------------------------------

_INTERNAL_META = ("id", "kind", "team_id", "created_at", "updated_at", "updated_seq", "created_by")
_SCHEMA_CARRIED = ("id", "kind", "team_id", "schema_version")


def _internal(kind: str) -> tuple[str, ...]:
    fields = [f for f in SCHEMAS[kind]().fields if f not in _SCHEMA_CARRIED]
    place = ("place_name", "place_name_ar", *ADM_COLUMNS)
    return (*_INTERNAL_META, *place, *fields)


_PARTNER_COMMON = (
    "id",
    "kind",
    "occurred_date",
    "occurred_date_precision",
    "reported_date",
    *ADM_COLUMNS,
    "geo_precision",
    "source_type",
    "source_count",
    "verification_status",
)
_PARTNER_COORDINATES = ("lat", "lon")  # rounded to 0.01°; never for needs or persons sought

PARTNER_COLUMNS: dict[str, tuple[str, ...]] = {
    "incident": (
        *_PARTNER_COMMON,
        *_PARTNER_COORDINATES,
        "event_type",
        "killed_min",
        "killed_max",
        "injured_min",
        "injured_max",
        "missing_min",
        "missing_max",
    ),
    "casualty": (
        *_PARTNER_COMMON,
        *_PARTNER_COORDINATES,
        "incident_ref",
        "outcome",
        "count",
        "sex",
        "age_group",
        "civilian_status",
        "cause",
        "injury_severity",
        "documentation",
    ),
    "missing_person": (
        *_PARTNER_COMMON,
        "sex",
        "age_band",
        "disappearance_type",
        "last_seen_date",
        "fate_status",
        "case_status",
    ),
    "supply_need": (
        *_PARTNER_COMMON,
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
    ),
}

_HEADERS = {"age_band": "age_group"}  # a derived column shown under the usual name

COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "internal": {kind: _internal(kind) for kind in RECORD_KINDS},
    "partner": PARTNER_COLUMNS,
}


@dataclass(frozen=True)
class Column:
    """One exported column: its header, its source name, and how to read it from a row.

    `plain` names the value a column copies as it is (the common case, read without a
    call per cell); otherwise `get` computes it.
    """

    header: str
    source: str
    get: Getter
    plain: str | None = None


def columns_for(profile: str, kind: str) -> list[Column]:
    """The columns of one kind in a record profile, in export order."""
    out = []
    for name in COLUMNS[profile][kind]:
        get = _getter(kind, name, profile)
        plain = name if getattr(get, "plain", False) else None
        out.append(Column(_HEADERS.get(name, name), name, get, plain))
    return out


def row_reader(columns: list[Column]) -> Callable[[ExportContext, Any], list[Any]]:
    """A function giving one row's cells in column order (the hot loop of every export)."""
    steps = [(c.plain, c.get) for c in columns]

    if not any(hasattr(c.get, "adm") for c in columns):

        def read(ctx: ExportContext, row: Any) -> list[Any]:
            value = row.values.get
            return [value(plain) if plain is not None else get(ctx, row) for plain, get in steps]

        return read
    # The nine admin columns come from one look-up per row, not nine.
    adm_steps = [(c.plain, getattr(c.get, "adm", None), c.get) for c in columns]

    def read_adm(ctx: ExportContext, row: Any) -> list[Any]:
        value = row.values.get
        adm = ctx.places.adm(row.place_id)
        return [
            value(plain) if plain is not None else adm[at] if at is not None else get(ctx, row)
            for plain, at, get in adm_steps
        ]

    return read_adm


# --- which records may leave -----------------------------------------------------------


def _candidates(row: Any, name: str) -> list[Any]:
    """The value of a field and every value it holds in an open conflict."""
    found = [row.values.get(name)]
    for candidate in row.conflicts.get(name, []) if row.has_conflicts else []:
        if isinstance(candidate, dict):
            found.append(candidate.get("value"))
    return found


def _candidates_or(row: Any, name: str, column: Any) -> list[Any]:
    """The typed column's value plus any candidate of an open conflict on the field."""
    if not row.has_conflicts:
        return [column]
    return [column, *_candidates(row, name)]


def death_withheld(row: Any) -> bool:
    """A missing person (possibly) recorded dead whose family is not (surely) notified."""
    if row.kind != "missing_person":
        return False
    if not any(fate in DEAD_FATES for fate in _candidates(row, "fate_status")):
        return False
    return not all(v is True for v in _candidates(row, "family_notified"))


def consents_to(row: Any, scope: str) -> bool:
    """Whether every candidate value of `consent_scope` includes `scope`."""
    for value in _candidates(row, "consent_scope"):
        if not isinstance(value, list) or scope not in value:
            return False
    return True


def admits(profile: str, row: Any) -> bool:
    """Whether a record may appear in an export of `profile` at all (filters aside)."""
    if not row.visible or row.purged or death_withheld(row):
        return False
    if profile == "internal":
        return True
    # A candidate in an open conflict counts as much as the provisional winner.
    if "strictly_confidential" in _candidates_or(row, "sensitivity", row.sensitivity):
        return False
    if "discounted" in _candidates_or(row, "verification_status", row.verification_status):
        return False
    if profile == "partner" and row.kind == "missing_person":
        return consents_to(row, "partners")
    if profile == "tracing":
        return row.kind == "missing_person" and consents_to(row, "tracing_agency")
    return True
