"""Record operations for the REST API, each one change written through the change log.

A view parses and authorises; these functions validate against the current state, make
the change on behalf of the user (origin = this hub), and write it with
`changelog.write`, which locks the record row so concurrent writers serialise.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from marshmallow import ValidationError

from app.api.errors import ApiError
from app.extensions import db
from app.models import ChangeRow, Record, User
from app.schemas.records import RECORD_KINDS, validate_record
from app.security.principal import Principal
from app.services import changelog
from app.services.access import can_read, change_refusal
from app.services.audit import audit
from app.services.record_codec import diff_patch, rest_values
from sync import Change, ChangeError, RecordState, field_class, new_change

# Fields that live on the record but are not the user's to write through a body.
META_FIELDS = ("id", "kind")
# Parts of a validated body that the change itself carries (record_id, kind,
# schema_version), so they are not repeated in its patch.
CHANGE_CARRIED = ("id", "kind", "schema_version")


def _fields_only(cleaned: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in cleaned.items() if k not in CHANGE_CARRIED}


def today() -> date:
    """The hub's current UTC date (the only clock read of validation)."""
    return datetime.now(UTC).date()


def _not_found() -> ApiError:
    return ApiError(404, "No such record.", "not_found")


def get_readable(principal: Principal, record_id: str) -> Record:
    """A record the caller may read, or 404 (also for other teams' records)."""
    row = db.session.get(Record, record_id)
    if row is None or not row.state or not can_read(principal, row):
        raise _not_found()
    return row


def current_values(row: Record) -> dict[str, Any]:
    """The record's values in REST shape (provisional winners where in conflict)."""
    state = changelog.load_state(row)
    return rest_values(row.kind, state.values) if state else {}


def _validation_error(exc: ValidationError) -> ApiError:
    messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    return ApiError(422, "Some fields are not valid.", "invalid", messages)


def _user_team(principal: Principal, team_id: str | None) -> str:
    teams = principal.team_ids()
    if team_id is None:
        if len(teams) == 1:
            return next(iter(teams))
        raise ApiError(422, "Say which team the record is for.", fields={"team_id": ["Required."]})
    if team_id not in teams:
        # Unknown and foreign teams look the same: no existence leak.
        raise ApiError(422, "You are not a member of this team.", fields={"team_id": ["Unknown."]})
    return team_id


def _local_change(
    clock: changelog.LocalClock,
    record_id: str,
    kind: str,
    action: str,
    patch: dict[str, Any],
    author: str,
    deps: list[str],
) -> Change:
    origin_seq, hlc, device_time = clock.next()
    return new_change(
        op_id=str(uuid.uuid4()),
        record_id=record_id,
        kind=kind,
        origin_id=clock.origin_id,
        origin_seq=origin_seq,
        action=action,
        patch=patch,
        hlc=hlc,
        device_time=device_time,
        author=author,
        deps=deps,
    )


def _write_one(
    principal: Principal,
    record_id: str,
    make: Any,
    team_id: str | None = None,
    link: Any = None,
) -> tuple[Record, Change | None]:
    """Lock the record, build at most one change from its state with `make`, store it.
    `link`: the incident id the change sets, if any (locked up front, incident_links)."""
    assert principal.user is not None
    # Read before the write begins: starting it commits the read transaction, which
    # expires the user and would cost a reload.
    uid = principal.user.id
    made: list[Change] = []

    def build(states: dict[str, RecordState | None]) -> list[Change]:
        state = states.get(record_id)
        spec = make(state)
        if spec is None:
            return []
        action, kind, patch = spec
        row = db.session.get(Record, record_id)
        role = principal.role_in(team_id or (row.team_id if row is not None else ""))
        change = _local_change(
            changelog.LocalClock(),
            record_id,
            kind,
            action,
            patch,
            uid,
            list(state.heads) if state else [],
        )
        created_by = row.created_by if row is not None and row.state else uid
        refusal = change_refusal(role, uid, state, created_by, change)
        if refusal:
            raise ApiError(403, refusal[0].upper() + refusal[1:] + ".", "forbidden")
        made.append(change)
        return made

    try:
        changelog.write(
            [record_id], build, via="rest", team_of=lambda c, s: team_id or "", links=[link]
        )
    except ApiError:
        db.session.rollback()
        raise
    except ChangeError as exc:
        db.session.rollback()
        raise ApiError(422, exc.reason, fields={exc.field: [exc.reason]}) from exc
    row = db.session.get(Record, record_id)
    assert row is not None
    return row, (made[0] if made else None)


def create(principal: Principal, body: dict[str, Any]) -> Record:
    """Create a record from a REST body (`kind`, optional `id` and `team_id`, fields)."""
    body = dict(body)
    kind = body.pop("kind", None)
    if kind not in RECORD_KINDS:
        raise ApiError(
            422, "Unknown record kind.", fields={"kind": [f"Use one of {', '.join(RECORD_KINDS)}."]}
        )
    record_id = body.pop("id", None) or str(uuid.uuid4())
    try:
        record_id = str(uuid.UUID(str(record_id)))
    except ValueError as exc:
        raise ApiError(422, "Not a UUID.", fields={"id": ["Not a valid UUID."]}) from exc
    team_id = _user_team(principal, body.get("team_id"))
    body.update(team_id=team_id, id=record_id, kind=kind)
    try:
        cleaned = _fields_only(validate_record(kind, body, today=today()))
    except ValidationError as exc:
        raise _validation_error(exc) from exc
    if db.session.get(Record, record_id) is not None:
        raise ApiError(409, "A record with this id exists.", "exists", {"id": ["Taken."]})

    def make(state: RecordState | None) -> Any:
        if state is not None:
            raise ApiError(409, "A record with this id exists.", "exists", {"id": ["Taken."]})
        return "create", kind, diff_patch(kind, {}, cleaned, replace=False)

    row, _ = _write_one(
        principal, record_id, make, team_id=team_id, link=cleaned.get("incident_id")
    )
    return row


def _check_if_match(row: Record, if_match: str | None, required: bool) -> None:
    if if_match is None:
        if required:
            raise ApiError(428, "Send If-Match with the record's ETag.", "precondition_required")
        return
    tags = {t.strip().removeprefix("W/").strip('"') for t in if_match.split(",")}
    if row.etag not in tags and "*" not in tags:
        raise ApiError(
            412,
            "The record changed since you read it; reload it and try again.",
            "precondition_failed",
            extra={"etag": row.etag},
        )


def update(
    principal: Principal,
    record_id: str,
    body: dict[str, Any],
    *,
    if_match: str | None,
    replace: bool,
) -> Record:
    """PUT (replace, If-Match required) or PATCH (partial) a record's fields."""
    row = get_readable(principal, record_id)
    _check_if_match(row, if_match, required=replace)
    body = dict(body)
    for name in META_FIELDS:
        if name in body and body.pop(name) != getattr(row, name):
            raise ApiError(422, f"{name} cannot change.", fields={name: ["Cannot change."]})
    if "team_id" in body and body["team_id"] != row.team_id:
        raise ApiError(422, "A record cannot move team.", fields={"team_id": ["Cannot change."]})
    current = current_values(row)
    if replace:
        body.update(team_id=row.team_id, id=row.id, kind=row.kind)
    try:
        cleaned = _fields_only(
            validate_record(row.kind, body, partial=not replace, current=current, today=today())
        )
    except ValidationError as exc:
        raise _validation_error(exc) from exc

    def make(state: RecordState | None) -> Any:
        if state is None:
            raise _not_found()
        now = rest_values(row.kind, state.values)
        patch = diff_patch(row.kind, now, cleaned, replace=replace)
        open_fields = sorted(set(patch) & set(state.conflicts))
        if open_fields:
            raise ApiError(
                409,
                "These fields have conflicting values; a coordinator must resolve them first.",
                "conflict_open",
                fields={f: ["Conflict open."] for f in open_fields},
                extra={
                    "candidates": {
                        f: [c.to_dict() for c in state.conflicts[f]] for f in open_fields
                    }
                },
            )
        return ("patch", row.kind, patch) if patch else None

    row, _ = _write_one(
        principal, record_id, make, team_id=row.team_id, link=cleaned.get("incident_id")
    )
    return row


def delete(principal: Principal, record_id: str, *, if_match: str | None, reason: str = "") -> None:
    """Delete a record (a tombstone change; the history stays)."""
    row = get_readable(principal, record_id)
    _check_if_match(row, if_match, required=True)
    if row.deleted and not row.visible:
        return

    def make(state: RecordState | None) -> Any:
        if state is None:
            raise _not_found()
        return "delete", row.kind, ({"reason": reason} if reason else {})

    _write_one(principal, record_id, make, team_id=row.team_id)


def resolve(principal: Principal, record_id: str, choices: dict[str, Any]) -> Record:
    """A coordinator settles open conflicts: the chosen values supersede every candidate."""
    row = get_readable(principal, record_id)
    if principal.role_in(row.team_id) != "coordinator":
        raise ApiError(403, "Only a coordinator may resolve conflicts.", "forbidden")
    state = changelog.load_state(row)
    assert state is not None
    unknown = sorted(set(choices) - set(state.conflicts) - {"@deleted"})
    if unknown:
        raise ApiError(
            422,
            "These fields have no open conflict.",
            fields={f: ["No open conflict."] for f in unknown},
        )
    if not choices:
        raise ApiError(422, "Choose a value for at least one field.", fields={"fields": ["Empty."]})
    current = rest_values(row.kind, state.values)
    field_choices = {k: v for k, v in choices.items() if not k.startswith("@")}
    try:
        cleaned = _fields_only(
            validate_record(row.kind, field_choices, partial=True, current=current, today=today())
        )
    except ValidationError as exc:
        raise _validation_error(exc) from exc

    def make(st: RecordState | None) -> Any:
        if st is None:
            raise _not_found()
        if "@deleted" in choices:
            return ("undelete" if choices["@deleted"] is False else "delete"), row.kind, {}
        return "resolve", row.kind, {k: cleaned[k] for k in field_choices}

    row, _ = _write_one(
        principal, record_id, make, team_id=row.team_id, link=cleaned.get("incident_id")
    )
    return row


def purge(principal: Principal, record_id: str, reason: str) -> None:
    """Erase a record's content everywhere (legal erasure); coordinators only, audited."""
    row = get_readable(principal, record_id)
    if principal.role_in(row.team_id) != "coordinator":
        raise ApiError(403, "Only a coordinator may erase a record.", "forbidden")
    if not reason.strip():
        raise ApiError(422, "Give a reason.", fields={"reason": ["Required."]})
    kind = row.kind

    def make(state: RecordState | None) -> Any:
        return "purge", kind, {"reason": reason.strip()}

    _write_one(principal, record_id, make, team_id=row.team_id)
    audit(
        "record_purged",
        principal.user,
        target_type="record",
        target_id=record_id,
        team_id=row.team_id,
        kind=kind,
        reason=reason.strip(),
    )
    db.session.commit()


def _written(kind: str, change: Change, name: str, after: dict[str, Any]) -> Any:
    # A plain field shows the value this change wrote (which a concurrent write may
    # outrank); counters and collections show the total or set after the change.
    if field_class(kind, name) in ("counter", "collection"):
        return after.get(name)
    return rest_values(kind, {name: change.patch[name]})[name]


def history(principal: Principal, record_id: str) -> list[dict[str, Any]]:
    """Who changed which field from what to what, when, and through what."""
    row = get_readable(principal, record_id)
    rows = db.session.execute(
        sa.select(ChangeRow).where(ChangeRow.record_id == record_id).order_by(ChangeRow.hub_seq)
    ).scalars()
    import json

    from sync import apply_change

    state: RecordState | None = None
    names: dict[str, str] = {}
    entries = []
    for change_row in rows:
        change = Change.from_dict(json.loads(change_row.body))
        before = rest_values(row.kind, state.values) if state else {}
        state = apply_change(state, change)
        after = rest_values(row.kind, state.values)
        touched = sorted(change.patch) if change.action in ("create", "patch", "resolve") else []
        if change.author not in names:
            user = db.session.get(User, change.author)
            names[change.author] = user.username if user else change.author
        entries.append(
            {
                "op_id": change.op_id,
                "hub_seq": change_row.hub_seq,
                "action": change.action,
                "author": change.author,
                "author_name": names[change.author],
                "origin_id": change.origin_id,
                "via": change_row.via,
                "hlc": change.hlc,
                "device_time": change.device_time,
                "received_at": change_row.received_at.isoformat(),
                "purged": change.purged_by is not None,
                "fields": [
                    {"field": f, "from": before.get(f), "to": _written(row.kind, change, f, after)}
                    for f in touched
                ],
            }
        )
    return entries
