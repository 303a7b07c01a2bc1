"""Between the REST shape of a record and the changes that write it.

REST shows collections as plain lists (names as strings, documentation as codes, notes
as objects with a `note_id`) and counters as totals; changes carry collections as
add/remove by element id and counters as deltas. `diff_patch` turns a wanted REST state
into the smallest patch against the current state, so a PUT is stored as the diff it
makes, and unchanged fields are never rewritten (an old client cannot null out what it
does not know).
"""

from __future__ import annotations

import hashlib
from typing import Any

from app.text.arabic import normalise_arabic
from sync import field_class

# How each collection's elements are identified and shown.
NOTE_ID = "note_id"


def _name_eid(name: str) -> str:
    # The same name typed on two devices is one element, not two.
    return "n-" + hashlib.sha256(normalise_arabic(name).encode()).hexdigest()[:24]


def element_of(field: str, item: Any) -> dict[str, Any]:
    """The change element for one REST collection item."""
    if field == "alternate_names":
        return {"eid": _name_eid(item), "value": item}
    if field == "documentation":
        return {"eid": item}
    if field == "notes":
        return {"eid": item[NOTE_ID], **{k: v for k, v in item.items() if k != NOTE_ID}}
    return {"eid": str(item), "value": item}


def item_of(field: str, element: dict[str, Any]) -> Any:
    """The REST collection item for one change element."""
    if field == "documentation":
        return element["eid"]
    if field == "notes":
        return {NOTE_ID: element["eid"], **{k: v for k, v in element.items() if k != "eid"}}
    return element.get("value")


def rest_values(kind: str, values: dict[str, Any]) -> dict[str, Any]:
    """A materialised state's values in REST shape."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if field_class(kind, name) == "collection" and isinstance(value, list):
            out[name] = [item_of(name, e) for e in value if isinstance(e, dict)]
        else:
            out[name] = value
    return out


def diff_patch(
    kind: str, current: dict[str, Any], wanted: dict[str, Any], *, replace: bool
) -> dict[str, Any]:
    """The change patch that takes `current` (REST shape) to `wanted`.

    With `replace` (PUT) a field absent from `wanted` is cleared; otherwise (PATCH, POST)
    only the fields given are written.
    """
    patch: dict[str, Any] = {}
    names = set(wanted) | (set(current) if replace else set())
    for name in sorted(names):
        cls = field_class(kind, name)
        new = wanted.get(name)
        old = current.get(name)
        if cls == "counter":
            delta = int(new or 0) - int(old or 0)
            if delta:
                patch[name] = {"delta": delta}
        elif cls == "collection":
            old_elements = {e["eid"]: e for e in (element_of(name, i) for i in old or [])}
            new_elements = {e["eid"]: e for e in (element_of(name, i) for i in new or [])}
            add = [e for eid, e in sorted(new_elements.items()) if old_elements.get(eid) != e]
            remove = [eid for eid in sorted(old_elements) if eid not in new_elements]
            if add or remove:
                patch[name] = {}
                if add:
                    patch[name]["add"] = add
                if remove:
                    patch[name]["remove"] = remove
        elif new != old:
            patch[name] = new
    return patch
