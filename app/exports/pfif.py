"""PFIF 1.4 XML of missing persons for a mandated tracing partner (standards.md §8).

Only the fields of the §8 mapping leave, in PFIF's element order; never
disappearance type, holding party, whereabouts, circumstances, last-seen details,
enquirer details or internal notes. Ids are `<domain>/person.<scoped id>`; author and
source are the deployment's pseudonym, never a person. A withdrawn person (incremental
export) is sent as PFIF's expired placeholder: id, entry, expiry and source dates only.

Status mapping (our `fate_status` → PFIF note `status`), one note per record:
missing, detained_held → believed_missing; located_alive, released → believed_alive;
believed_dead, confirmed_dead → believed_dead (only ever reached after the family was
notified: profiles.death_withheld keeps the record out before); unknown → no status.
The team's own PFIF-shaped notes follow, with their own status and text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any
from xml.sax.saxutils import escape

from app.exports.profiles import ExportContext

__all__ = ["NAMESPACE", "STATUS_OF_FATE", "pfif_body"]

NAMESPACE = "http://zesty.ca/pfif/1.4"
STATUS_OF_FATE = {
    "missing": "believed_missing",
    "detained_held": "believed_missing",
    "located_alive": "believed_alive",
    "released": "believed_alive",
    "believed_dead": "believed_dead",
    "confirmed_dead": "believed_dead",
}
FATE_TEXT = {
    "believed_missing": "Reported missing or held; whereabouts not confirmed.",
    "believed_alive": "Reported alive (located or released).",
    "believed_dead": "Reported dead; the family has been notified.",
}
NOTE_STATUSES = frozenset(
    {"information_sought", "is_note_author", "believed_alive", "believed_missing", "believed_dead"}
)
# ISO 3166-2 codes of governorates whose P-code crosswalk is verified (standards.md §11);
# other governorates leave home_state out rather than guess.
ISO_3166_2 = {"SY01": "SY-DI", "SY02": "SY-HL", "SY04": "SY-HI"}
_ENTITIES = {"\r": "&#13;"}


def _el(name: str, value: Any) -> str:
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = escape(str(value), _ENTITIES)
    return f"<pfif:{name}>{text}</pfif:{name}>"


def _utc(moment: Any) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment is not None else None


def _person(ctx: ExportContext, row: Any, domain: str, author: str) -> str:
    v = row.values
    ref = ctx.ref(row.id)
    person_id = f"{domain}/person.{ref}"
    names = [n for n in (v.get("full_name"), v.get("full_name_latin")) if n]
    alternates = [e.get("value") for e in v.get("alternate_names") or [] if isinstance(e, dict)]
    sex = v.get("sex") if v.get("sex") in ("female", "male", "other") else None
    home = ctx.places.adm(v.get("home_place_id"))
    home_city = home[7] or home[4] or None  # sub-district, else district
    home_state = ISO_3166_2.get(home[0] or "")
    entry = _utc(row.updated_at)
    parts = [
        "<pfif:person>",
        _el("person_record_id", person_id),
        _el("entry_date", entry),
        _el("author_name", author),
        _el("source_name", author),
        _el("source_date", _utc(row.created_at)),
        _el("full_name", "\n".join(names)),
        _el("given_name", v.get("given_name")),
        _el("family_name", v.get("family_name")),
        _el("alternate_names", "\n".join(a for a in alternates if a)),
        _el("description", v.get("description")),
        _el("sex", sex),
        _el("date_of_birth", v.get("date_of_birth")),
        _el("age", v.get("age")),
        _el("home_city", home_city),
        _el("home_state", home_state),
        _el("home_country", "SY" if home[0] else None),
    ]
    status = STATUS_OF_FATE.get(v.get("fate_status") or "")
    if status:
        parts.append(
            _note(
                f"{domain}/note.{ctx.ref(row.id + ':fate')}",
                person_id,
                entry,
                author,
                _utc(row.updated_at),
                False,
                status,
                FATE_TEXT[status],
            )
        )
    for note in v.get("notes") or []:
        if not isinstance(note, dict) or not note.get("text"):
            continue
        status = note.get("status") if note.get("status") in NOTE_STATUSES else None
        contact = note.get("author_made_contact") is True
        if status == "is_note_author" and not contact:
            status = None  # PFIF requires author_made_contact for is_note_author
        parts.append(
            _note(
                f"{domain}/note.{ctx.ref(row.id + ':' + str(note.get('eid')))}",
                person_id,
                entry,
                author,
                _note_date(note.get("date")) or _utc(row.created_at),
                contact,
                status,
                note["text"],
            )
        )
    parts.append("</pfif:person>\n")
    return "".join(parts)


def _note_date(partial: Any) -> str | None:
    """A note's partial date as a PFIF UTC timestamp (the start of the period)."""
    if not isinstance(partial, str) or not partial:
        return None
    pieces = [*partial.split("-"), "01", "01"]
    return f"{pieces[0]}-{pieces[1]}-{pieces[2]}T00:00:00Z"


def _note(
    note_id: str,
    person_id: str,
    entry: str | None,
    author: str,
    source_date: str | None,
    contact: bool,
    status: str | None,
    text: str,
) -> str:
    return "".join(
        [
            "<pfif:note>",
            _el("note_record_id", note_id),
            _el("person_record_id", person_id),
            _el("entry_date", entry),
            _el("author_name", author),
            _el("source_date", source_date),
            _el("author_made_contact", contact),
            _el("status", status),
            _el("text", text),
            "</pfif:note>",
        ]
    )


def expired_person(ref: str, domain: str, row: Any, now: str) -> str:
    """PFIF's placeholder for a withdrawn record: ids and dates, expiry now."""
    return "".join(
        [
            "<pfif:person>",
            _el("person_record_id", f"{domain}/person.{ref}"),
            _el("entry_date", _utc(row.updated_at)),
            _el("expiry_date", now),
            _el("source_date", _utc(row.created_at)),
            "</pfif:person>\n",
        ]
    )


def pfif_body(
    ctx: ExportContext,
    items: Iterable[tuple[bool, Any]],
    *,
    domain: str,
    author: str,
    now: str,
) -> Iterator[str]:
    """The document; `items` are (withdrawn?, row) in export order."""
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n<pfif:pfif xmlns:pfif="{NAMESPACE}">\n'
    pending: list[str] = []
    for withdrawn, row in items:
        if withdrawn:
            pending.append(expired_person(ctx.ref(row.id) or "", domain, row, now))
        else:
            pending.append(_person(ctx, row, domain, author))
        if len(pending) >= 200:
            yield "".join(pending)
            pending.clear()
    if pending:
        yield "".join(pending)
    yield "</pfif:pfif>\n"
