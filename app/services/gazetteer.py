"""Gazetteer operations: import a COD file, add and rename places, search, export.

Every write takes the acting user first (None for the hub's CLI), writes its audit event
and commits once; on any error nothing is written. This module is the only writer of
`Place.search_text` and `Place.path`.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

import sqlalchemy as sa

from app.api.errors import ApiError
from app.db_types import new_id, utcnow
from app.extensions import db
from app.models import Place, User
from app.models.places import LEVELS
from app.services.audit import audit
from app.services.cod_csv import PCODE_RE, CodFileError, CodPlace, read_cod_csv
from app.text.arabic import normalise_arabic, search_key

# Fixed for ever: ids of P-coded places are uuid5(PCODE_NAMESPACE, pcode), the same on
# every hub. Changing this would give every imported place a new identity.
PCODE_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:tawthiq:place-pcode")
SEARCH_LIMIT = 20
MAX_SEARCH_LIMIT = 100
SAMPLE_FILES = ("homs_gazetteer.csv", "homs_neighbourhoods.csv")


def place_id_for_pcode(pcode: str) -> str:
    """The id a place with this P-code has on every hub."""
    return str(uuid.uuid5(PCODE_NAMESPACE, pcode.strip().upper()))


def sample_files() -> list[Path]:
    """The demo gazetteer shipped with the package, in import order."""
    folder = resources.files("app") / "samples"
    return [Path(str(folder / name)) for name in SAMPLE_FILES]


# --- reading ---------------------------------------------------------------------------


def get_place(place_id: str) -> Place:
    """A place by id, or a 404."""
    place = db.session.get(Place, place_id)
    if place is None:
        raise ApiError(404, "No such place.")
    return place


def find_place(pcode_or_id: str) -> Place:
    """A place by id or P-code (for the CLI), or a 404."""
    place = db.session.get(Place, pcode_or_id) or db.session.scalar(
        sa.select(Place).where(Place.pcode == pcode_or_id.strip().upper())
    )
    if place is None:
        raise ApiError(404, f"No place {pcode_or_id!r}.")
    return place


def ancestors(places: list[Place]) -> dict[str, list[Place]]:
    """Each place's ancestors, top first, loaded in one query."""
    wanted = {a for p in places for a in p.ancestor_ids}
    found = {}
    if wanted:
        found = {p.id: p for p in db.session.scalars(sa.select(Place).where(Place.id.in_(wanted)))}
    return {p.id: [found[a] for a in p.ancestor_ids if a in found] for p in places}


def search(
    q: str = "",
    level: str | None = None,
    parent: Place | None = None,
    limit: int = SEARCH_LIMIT,
) -> list[Place]:
    """Places matching `q` by Arabic or English name or P-code prefix, best first.

    Rank: exact name or P-code, then name or P-code prefix, then a word of the name
    starting with `q`, then `q` anywhere in a name; then higher levels first. `parent`
    keeps only places below it (its whole subtree, not itself).
    """
    stmt = sa.select(Place)
    if level:
        stmt = stmt.where(Place.level == level)
    if parent is not None:
        stmt = stmt.where(Place.path.startswith(parent.path), Place.id != parent.id)
    key = normalise_arabic(q)
    code = q.strip().upper()
    order: list[Any] = []
    if key:
        # `key` holds no "%", "_" or "|" (normalising turned them to spaces), nor does a
        # P-code (PCODE_RE), so both go into LIKE patterns unescaped.
        by_code = PCODE_RE.match(code) is not None
        text = Place.search_text
        matches = [text.contains(key, autoescape=False)]
        if by_code:
            matches.append(Place.pcode.startswith(code))
        stmt = stmt.where(sa.or_(*matches))
        rank = sa.case(
            (text.like(f"%|{key}|%"), 0),
            (Place.pcode == code, 0),
            (text.like(f"%|{key}%"), 1),
            (Place.pcode.startswith(code) if by_code else sa.false(), 1),
            (text.like(f"% {key}%"), 2),
            else_=3,
        )
        order.append(rank)
    order += [sa.func.length(Place.path), Place.name_en, Place.name_ar, Place.id]
    limit = max(1, min(limit, MAX_SEARCH_LIMIT))
    return list(db.session.scalars(stmt.order_by(*order).limit(limit)))


def export_page(
    after: str | None = None, limit: int = 500, since: datetime | None = None
) -> tuple[list[Place], str | None]:
    """One page of the whole gazetteer in path order (parents before children).

    Keyset paging on `path`: `after` is the previous page's `next`, so a page boundary
    never skips or repeats a place even while places are added.
    """
    stmt = sa.select(Place).order_by(Place.path).limit(limit + 1)
    if after:
        stmt = stmt.where(Place.path > after)
    if since is not None:
        stmt = stmt.where(Place.updated_at > since)
    rows = list(db.session.scalars(stmt))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].path if more and rows else None)


# --- writing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    """What an import did, place by place."""

    places: int
    created: int
    updated: int
    unchanged: int


def _file_error(errors: list[tuple[int, str]]) -> ApiError:
    fields: dict[str, list[str]] = {}
    for line, message in errors:
        fields.setdefault(f"line {line}", []).append(message)
    return ApiError(
        422,
        f"The file has {len(errors)} problem(s); nothing was imported.",
        "invalid_file",
        fields=fields,
        extra={"errors": [{"line": line, "message": m} for line, m in errors]},
    )


def _check_against_database(rows: list[CodPlace], by_pcode: dict[str, Place]) -> None:
    """Refuse a file that would move a place or change its level (not supported)."""
    pcode_of = {p.id: p.pcode for p in by_pcode.values()}
    errors = []
    for row in rows:
        place = by_pcode.get(row.pcode)
        if place is None:
            continue
        if place.level != row.level:
            errors.append((row.line, f"P-code {row.pcode} is a {place.level} in the gazetteer."))
        elif pcode_of.get(place.parent_id or "") != row.parent_pcode:
            errors.append(
                (
                    row.line,
                    f"P-code {row.pcode} is under {pcode_of.get(place.parent_id or '')} in the "
                    f"gazetteer, not {row.parent_pcode}; moving places is not supported.",
                )
            )
    if errors:
        raise _file_error(errors)


def _apply_names(place: Place, name_ar: str | None, name_en: str | None) -> bool:
    """Set the given names (None = keep); refresh the search text. True when changed."""
    changed = False
    if name_ar is not None and name_ar != place.name_ar:
        place.name_ar, changed = name_ar, True
    if name_en is not None and name_en != place.name_en:
        place.name_en, changed = name_en, True
    if changed or not place.search_text:
        place.search_text = search_key(place.name_ar, place.name_en)
        place.updated_at = utcnow()
    return changed


def import_cod(actor: User | None, stream: TextIO, source: str = "") -> ImportResult:
    """Import a COD-layout CSV: create new places, rename changed ones, in one transaction.

    Re-importing the same file changes no place (the audit log still records the import).
    """
    try:
        rows = read_cod_csv(stream)
    except CodFileError as exc:
        raise _file_error(exc.errors) from exc
    by_pcode = {
        p.pcode: p for p in db.session.scalars(sa.select(Place).where(Place.pcode.is_not(None)))
    }
    _check_against_database(rows, by_pcode)
    created = updated = 0
    for row in rows:
        place = by_pcode.get(row.pcode)
        if place is None:
            parent = by_pcode[row.parent_pcode] if row.parent_pcode else None
            place = _new_place(parent, row.level, row.pcode, row.name_ar, row.name_en)
            by_pcode[row.pcode] = place
            created += 1
        elif _apply_names(place, row.name_ar or None, row.name_en or None):
            updated += 1
    result = ImportResult(len(rows), created, updated, len(rows) - created - updated)
    audit("gazetteer_imported", actor, target_type="gazetteer", source=source, **asdict(result))
    db.session.commit()
    return result


def _new_place(
    parent: Place | None, level: str, pcode: str | None, name_ar: str, name_en: str
) -> Place:
    place_id = place_id_for_pcode(pcode) if pcode else new_id()
    place = Place(
        id=place_id,
        pcode=pcode,
        level=level,
        parent_id=parent.id if parent else None,
        path=f"{parent.path if parent else '/'}{place_id}/",
        name_ar=name_ar,
        name_en=name_en,
    )
    _apply_names(place, None, None)
    db.session.add(place)
    return place


def _clean_names(name_ar: str | None, name_en: str | None) -> tuple[str | None, str | None]:
    def clean(v: str | None) -> str | None:
        return " ".join(v.split()) if v is not None else None

    return clean(name_ar), clean(name_en)


def _refuse_sibling_duplicate(parent_id: str | None, place: Place | None, names: list[str]) -> None:
    """Two children of one place with the same (normalised) name are one place twice."""
    keys = {normalise_arabic(n) for n in names if n}
    siblings = db.session.scalars(sa.select(Place).where(Place.parent_id == parent_id))
    for sibling in siblings:
        if place is not None and sibling.id == place.id:
            continue
        if keys & {normalise_arabic(sibling.name_ar), normalise_arabic(sibling.name_en)} - {""}:
            raise ApiError(
                409,
                f"{sibling.name_en or sibling.name_ar} already exists here.",
                "exists",
                extra={"existing_id": sibling.id},
            )


def add_place(
    actor: User | None,
    parent: Place | None,
    level: str,
    name_ar: str = "",
    name_en: str = "",
    pcode: str | None = None,
) -> Place:
    """Add a place (typically a neighbourhood) under `parent`; a governorate has none."""
    name_ar, name_en = (n or "" for n in _clean_names(name_ar, name_en))
    if level not in LEVELS:
        raise ApiError(422, "Unknown level.", fields={"level": [f"One of {', '.join(LEVELS)}."]})
    if parent is None and level != LEVELS[0]:
        raise ApiError(
            422, "Only a governorate has no parent.", fields={"parent_id": ["Required."]}
        )
    if parent is not None and LEVELS.index(level) <= LEVELS.index(parent.level):
        raise ApiError(
            422,
            f"A {level} cannot be inside a {parent.level}.",
            fields={"level": [f"Must be below {parent.level}."]},
        )
    if not (name_ar or name_en):
        raise ApiError(422, "A place needs a name.", fields={"name_ar": ["Give a name."]})
    if pcode:
        pcode = pcode.strip().upper()
        if not PCODE_RE.match(pcode):
            raise ApiError(422, "Not a P-code.", fields={"pcode": ["Letters, digits and -."]})
        if db.session.scalar(sa.select(Place.id).where(Place.pcode == pcode)):
            raise ApiError(409, "This P-code is taken.", "exists", {"pcode": ["Taken."]})
    _refuse_sibling_duplicate(parent.id if parent else None, None, [name_ar, name_en])
    place = _new_place(parent, level, pcode or None, name_ar, name_en)
    db.session.flush()
    audit(
        "place_created",
        actor,
        target_type="place",
        target_id=place.id,
        pcode=place.pcode,
        level=level,
        parent_id=place.parent_id,
        name_ar=name_ar,
        name_en=name_en,
    )
    db.session.commit()
    return place


def rename_place(
    actor: User | None, place: Place, name_ar: str | None = None, name_en: str | None = None
) -> Place:
    """Change a place's Arabic and/or English name (None leaves a name as it is)."""
    name_ar, name_en = _clean_names(name_ar, name_en)
    after_ar = place.name_ar if name_ar is None else name_ar
    after_en = place.name_en if name_en is None else name_en
    if not (after_ar or after_en):
        raise ApiError(422, "A place needs a name.", fields={"name_ar": ["Give a name."]})
    _refuse_sibling_duplicate(place.parent_id, place, [after_ar, after_en])
    before = {"name_ar": place.name_ar, "name_en": place.name_en}
    if _apply_names(place, name_ar, name_en):
        audit(
            "place_renamed",
            actor,
            target_type="place",
            target_id=place.id,
            before=before,
            after={"name_ar": place.name_ar, "name_en": place.name_en},
        )
    db.session.commit()
    return place
