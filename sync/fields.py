"""Field classes per record kind: the one place that says how each field merges.

A field is *plain* unless listed here. Counters merge by summing deltas, collections are
add-wins sets of elements with an element id, and identity/fate fields are plain fields
whose conflicts put the record up for review. The app reuses this table (forms, REST
validation); fields a newer schema adds are plain until listed here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["KINDS", "PLAIN", "KindSpec", "field_class", "kind_spec"]


@dataclass(frozen=True)
class KindSpec:
    """How the fields of one record kind merge."""

    counters: frozenset[str] = field(default_factory=frozenset)
    collections: frozenset[str] = field(default_factory=frozenset)
    identity: frozenset[str] = field(default_factory=frozenset)


PLAIN = "plain"

# Names of a person, as recorded for casualties and missing persons.
_NAMES = frozenset(
    {
        "full_name",
        "full_name_latin",
        "given_name",
        "father_name",
        "family_name",
        "mother_name",
    }
)

KINDS: dict[str, KindSpec] = {
    "incident": KindSpec(),
    "casualty": KindSpec(
        collections=frozenset({"alternate_names", "documentation"}),
        identity=_NAMES | {"sex", "date_of_birth", "outcome", "date_of_death"},
    ),
    "missing_person": KindSpec(
        # consent_scope stays plain on purpose: an add-wins set would let a concurrent
        # grant outlive a withdrawal of consent, so a conflict there goes to a person.
        collections=frozenset({"alternate_names", "notes"}),
        identity=_NAMES
        | {
            "sex",
            "date_of_birth",
            "fate_status",
            "fate_status_date",
            "last_seen_date",
            "last_seen_place_id",
            "last_seen_location_detail",
        },
    ),
    "supply_need": KindSpec(
        counters=frozenset({"quantity_committed", "quantity_delivered"}),
    ),
}

_UNKNOWN_KIND = KindSpec()


def kind_spec(kind: str) -> KindSpec:
    """Return the spec of ``kind``; a kind this version does not know has only plain fields."""
    return KINDS.get(kind, _UNKNOWN_KIND)


def field_class(kind: str, name: str) -> str:
    """Return ``"counter"``, ``"collection"``, ``"identity"`` or ``"plain"``."""
    spec = kind_spec(kind)
    if name in spec.counters:
        return "counter"
    if name in spec.collections:
        return "collection"
    if name in spec.identity:
        return "identity"
    return PLAIN
