"""The gazetteer as exports need it: a record's place rolled up to admin levels 1-3.

Loaded once per export (a deployment's gazetteer is thousands of places, not millions)
and cached per place, so a million records cost a million dictionary look-ups.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.models import Place

__all__ = ["ADM_COLUMNS", "PlaceIndex"]

ADM_LEVELS = ("governorate", "district", "subdistrict")
ADM_COLUMNS = tuple(f"adm{n}_{part}" for n in (1, 2, 3) for part in ("code", "name", "name_ar"))
_EMPTY = (None,) * len(ADM_COLUMNS)


class PlaceIndex:
    """Places by id, with each place's admin-1..3 codes and names."""

    def __init__(self) -> None:
        rows = db.session.execute(
            sa.select(Place.id, Place.level, Place.pcode, Place.name_en, Place.name_ar, Place.path)
        ).all()
        self.places: dict[str, tuple[str, str | None, str, str, str]] = {
            r.id: (r.level, r.pcode, r.name_en, r.name_ar, r.path) for r in rows
        }
        self._adm: dict[str | None, tuple[Any, ...]] = {None: _EMPTY}

    def get(self, place_id: str) -> Place | None:
        """The place with this id (for checks that need the row)."""
        return db.session.get(Place, place_id)

    def adm(self, place_id: str | None) -> tuple[Any, ...]:
        """(adm1 code, name, Arabic name, adm2 …, adm3 …) of a place, None where unknown."""
        cached = self._adm.get(place_id)
        if cached is not None:
            return cached
        place = self.places.get(place_id or "")
        out: list[Any] = list(_EMPTY)
        if place is not None:
            for ancestor_id in place[4].strip("/").split("/"):
                ancestor = self.places.get(ancestor_id)
                if ancestor is None or ancestor[0] not in ADM_LEVELS:
                    continue
                at = ADM_LEVELS.index(ancestor[0]) * 3
                out[at : at + 3] = [ancestor[1], ancestor[2] or None, ancestor[3] or None]
        result = tuple(out)
        self._adm[place_id] = result
        return result

    def name(self, place_id: str | None) -> tuple[str | None, str | None]:
        """(English, Arabic) name of a place."""
        place = self.places.get(place_id or "")
        return (place[2] or None, place[3] or None) if place else (None, None)

    def district(self, place_id: str | None, level: str = "district") -> str | None:
        """Id of the place's ancestor (or itself) at ``level``, or None."""
        place = self.places.get(place_id or "")
        if place is None:
            return None
        for ancestor_id in place[4].strip("/").split("/"):
            ancestor = self.places.get(ancestor_id)
            if ancestor is not None and ancestor[0] == level:
                return ancestor_id
        return None
