"""The hub side of `push`: every change gets a true status; none is dropped.

A change that cannot be understood (malformed, wrong hash, unknown kind) or is not
allowed (forged author or origin, another team's record, a reporter's coordinator-only
edit, invalid field values) is *parked* with its reason: stored whole, visible to admins
and coordinators, and never applied. Everything else goes through `changelog.write` in
one transaction, which answers accepted, duplicate or id_collision.
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from marshmallow import ValidationError

from app import faults
from app.db_types import utcnow
from app.extensions import db
from app.models import ChangeRow, Device, ParkedChange, Record, User
from app.schemas.record_rules import apply_rules
from app.schemas.records import RECORD_KINDS, schema_for, validate_record
from app.schemas.records.kinds import utc_today
from app.services import changelog
from app.services.access import change_refusal
from sync import KINDS, Change, ChangeError, RecordState, apply_change, field_class

log = logging.getLogger(__name__)

MAX_PUSH_CHANGES = 500
UNKNOWN_RECORD = "record not known on this hub and the change names no team"


@dataclass
class _Parked:
    reason: str


def _json(raw: Any) -> str:
    try:
        return json.dumps(raw, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return repr(raw)


@functools.cache
def _fields(kind: str) -> dict[str, Any]:
    """The partial schema's field objects of a kind, in declaration order (stateless:
    shared by every thread)."""
    return dict(schema_for(kind, partial=True).fields)


_SCALARS = frozenset({str, int, bool, type(None)})


@functools.lru_cache(maxsize=4096)
def _clean_scalar(kind: str, name: str, _type: type, value: Any) -> tuple[bool, Any]:
    """(valid, cleaned) of one scalar value of a field. The record fields' cleaning
    depends on the value alone (no other field, no clock, no database), and a batch
    repeats the same codes (outcome, sex, cause, team) in every change. `_type` keeps
    True and 1 apart."""
    try:
        return True, _fields(kind)[name].deserialize(value, name, {name: value}, partial=True)
    except ValidationError:
        return False, None


def quick_verdict(kind: str, plain: dict[str, Any], today: date | None = None) -> bool:
    """True when `validate_record(kind, plain, partial=True, today=today)` accepts `plain`
    (known fields of `kind` only).

    The same field objects clean each value and the same cross-field rules run on the
    result, as `Schema.load` does for a partial body of known fields (no defaults, no
    unknown fields, no schema-level hook); only marshmallow's per-load bookkeeping is
    skipped, which was a third of the check. False on any doubt: the caller then runs
    `validate_record` itself for the verdict and its message.
    """
    cleaned: dict[str, Any] = {}
    try:
        for name, field in _fields(kind).items():
            if name in plain:
                value = plain[name]
                if type(value) in _SCALARS:
                    ok, cleaned[name] = _clean_scalar(kind, name, type(value), value)
                    if not ok:
                        return False
                else:
                    cleaned[name] = field.deserialize(value, name, plain, partial=True)
    except ValidationError:
        return False
    day = today or utc_today()
    _record, violations = apply_rules(kind, cleaned, today=day, explicit=cleaned.keys())
    return not violations


def _value_problem(change: Change) -> str | None:
    """Field values this hub knows, checked like a REST body; unknown fields pass."""
    if change.action not in ("create", "patch", "resolve") or change.kind not in RECORD_KINDS:
        return None
    known = _fields(change.kind)
    plain = {
        k: v
        for k, v in change.patch.items()
        if k in known and field_class(change.kind, k) not in ("counter", "collection")
    }
    if not plain or quick_verdict(change.kind, plain):
        return None
    try:
        validate_record(change.kind, plain, partial=True)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_": exc.messages}
        return "invalid values: " + "; ".join(
            f"{field}: {' '.join(map(str, reasons if isinstance(reasons, list) else [reasons]))}"
            for field, reasons in sorted(messages.items())
        )
    return None


class _Checker:
    """Decides, inside the write transaction, which changes of a batch may be applied."""

    def __init__(self, user: User, device: Device | None, via: str) -> None:
        self.user = user
        self.device = device
        self.via = via
        self.parked: dict[int, _Parked] = {}
        self._own_origins: set[str] | None = None

    def own_origin(self, origin_id: str) -> bool:
        """Whether a change of this origin may come through this device: its own, or
        one of the same user's other devices (a restored install carries the lost
        one's unsent changes under their old origin id)."""
        if self.device is None or origin_id == self.device.origin_id:
            return True
        if self._own_origins is None:
            self._own_origins = set(
                db.session.scalars(
                    sa.select(Device.origin_id).where(Device.user_id == self.user.id)
                )
            )
        return origin_id in self._own_origins

    def team_and_creator(
        self,
        change: Change,
        state: RecordState | None,
        row: Record | None,
        batch_creates: dict[str, Change],
    ) -> tuple[str | None, str]:
        if row is not None and row.state:
            return row.team_id, row.created_by
        create = batch_creates.get(change.record_id)
        if create is None and change.action == "create":
            create = change
        if create is not None:
            team = create.patch.get("team_id")
            return (team if isinstance(team, str) else None), create.author
        return None, change.author

    def check(
        self,
        index: int,
        change: Change,
        state: RecordState | None,
        row: Record | None,
        batch_creates: dict[str, Change],
    ) -> str | None:
        if not self.own_origin(change.origin_id):
            return "origin_id is not this device's origin"
        if change.kind not in KINDS:
            return f"unknown record kind {change.kind!r}"
        if state is not None and state.kind and state.kind != change.kind:
            return f"record is a {state.kind}, change says {change.kind}"
        team_id, created_by = self.team_and_creator(change, state, row, batch_creates)
        if team_id is None:
            return UNKNOWN_RECORD
        refusal = change_refusal(
            self.user.role_in(team_id), self.user.id, state, created_by, change
        )
        if refusal:
            return refusal
        return _value_problem(change)


# PostgreSQL may abort a write transaction that met another in a lock cycle (deadlock)
# or could not be serialised; nothing of it was stored, and the batch is idempotent by
# op id, so it is simply written again instead of failing the device's request.
RETRY_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock_detected, serialization_failure
RETRIES = 3


def _transient(exc: sa.exc.DBAPIError) -> bool:
    return getattr(exc.orig, "sqlstate", None) in RETRY_SQLSTATES


def push(
    user: User | None,
    device: Device | None,
    raw_changes: list[Any],
    via: str,
    checker: Any = None,
) -> list[dict[str, Any]]:
    """Store a batch from a device (or, with a `checker` of its own, from a peer hub
    relaying others' changes: see services/peer_rules.py); one result per change.

    A transaction PostgreSQL aborted for a deadlock or a serialization failure is
    rolled back and the batch written again (up to `RETRIES` times)."""
    for attempt in range(RETRIES + 1):
        try:
            return _push_once(user, device, raw_changes, via, checker)
        except sa.exc.DBAPIError as exc:
            if attempt == RETRIES or not _transient(exc):
                raise
            db.session.rollback()
            log.warning(
                "push: %s, writing the batch again (%d)", exc.orig.__class__.__name__, attempt + 1
            )
    raise AssertionError("unreachable")


def _push_once(
    user: User | None,
    device: Device | None,
    raw_changes: list[Any],
    via: str,
    checker: Any,
) -> list[dict[str, Any]]:
    parsed: list[Change | None] = []
    results: list[dict[str, Any] | None] = []
    parked_rows: list[ParkedChange] = []

    def park(
        raw: Any, reason: str, change: Change | None = None, team: str | None = None
    ) -> dict[str, Any]:
        op_id = change.op_id if change else (raw.get("op_id") if isinstance(raw, dict) else None)
        parked_rows.append(
            ParkedChange(
                op_id=op_id if isinstance(op_id, str) else None,
                record_id=change.record_id if change else None,
                kind=change.kind if change else None,
                team_id=team,
                user_id=user.id if user is not None else None,
                device_id=device.id if device else None,
                via=via,
                reason=reason,
                body=_json(raw),
            )
        )
        return {
            "op_id": op_id if isinstance(op_id, str) else None,
            "status": "parked",
            "reason": reason,
        }

    for raw in raw_changes:
        try:
            change = Change.from_dict(raw)
        except ChangeError as exc:
            parsed.append(None)
            results.append(park(raw, f"{exc.field}: {exc.reason}"))
            continue
        except (TypeError, ValueError, KeyError) as exc:
            parsed.append(None)
            results.append(park(raw, f"change: cannot be read ({exc.__class__.__name__})"))
            continue
        parsed.append(change)
        results.append(None)

    if checker is None:
        assert user is not None
        checker = _Checker(user, device, via)
    record_ids = [c.record_id for c in parsed if c is not None]
    create_team: dict[str, Any] = {}
    for c in parsed:
        if c is not None and c.action == "create":
            create_team.setdefault(c.record_id, c.patch.get("team_id"))
    working: dict[str, RecordState | None] = {}

    def build(states: dict[str, RecordState | None]) -> list[Change]:
        held = set()
        op_ids = [c.op_id for c in parsed if c is not None]
        for i in range(0, len(op_ids), 500):
            held.update(
                db.session.scalars(
                    sa.select(ChangeRow.op_id).where(ChangeRow.op_id.in_(op_ids[i : i + 500]))
                )
            )
        rows = changelog.locked_rows()
        working.update(states)
        creates: dict[str, Change] = {}
        allowed: list[Change] = []
        later_creates: dict[str, int] = {}
        for index, change in enumerate(parsed):
            if change is not None and change.action == "create":
                later_creates[change.record_id] = index  # the last create of each record

        def consider(index: int, change: Change, first_pass: bool) -> bool:
            """Check and apply one change; False when it waits for its record's create
            further on in the batch (a batch is a set: its order must not matter)."""
            if change.op_id in held:
                allowed.append(change)  # the change log answers duplicate or id_collision
                return True
            reason = checker.check(
                index, change, working.get(change.record_id), rows.get(change.record_id), creates
            )
            waits = later_creates.get(change.record_id, -1) > index
            if first_pass and reason == UNKNOWN_RECORD and waits:
                return False
            if reason:
                row = rows.get(change.record_id)
                results[index] = park(
                    change.to_dict(),
                    reason,
                    change,
                    row.team_id if row is not None and row.state else None,
                )
                return True
            if change.action == "create" and change.record_id not in creates:
                creates[change.record_id] = change
            try:
                working[change.record_id] = apply_change(working.get(change.record_id), change)
            except ChangeError as exc:
                results[index] = park(change.to_dict(), f"{exc.field}: {exc.reason}", change)
                return True
            allowed.append(change)
            return True

        waiting: list[tuple[int, Change]] = []
        for index, change in enumerate(parsed):
            if change is not None and not consider(index, change, first_pass=True):
                waiting.append((index, change))
        for index, change in waiting:
            consider(index, change, first_pass=False)
        for parked in parked_rows:
            # A device resends what was parked until it learns why; keep one copy.
            again = (
                db.session.scalar(
                    sa.select(ParkedChange.id).where(
                        ParkedChange.op_id == parked.op_id,
                        ParkedChange.resolved_at.is_(None),
                    )
                )
                if parked.op_id
                else None
            )
            if again is None:
                db.session.add(parked)
        return allowed

    def team_of(change: Change, _state: RecordState | None) -> str:
        team = create_team.get(change.record_id)
        return team if isinstance(team, str) else ""

    outcomes = changelog.write(
        record_ids,
        build,
        via=via,
        team_of=team_of,
        commit=False,
        applied=working,
        links=[c.patch.get("incident_id") for c in parsed if c is not None],
    )
    faults.point("push.before_commit")
    db.session.commit()
    by_op = {}
    for outcome in outcomes:
        by_op.setdefault(outcome.op_id, []).append(outcome)
    final: list[dict[str, Any]] = []
    for index, change in enumerate(parsed):
        if results[index] is not None:
            final.append(results[index])  # type: ignore[arg-type]
            continue
        assert change is not None
        outcome = by_op[change.op_id].pop(0)
        entry: dict[str, Any] = {"op_id": change.op_id, "status": outcome.status}
        if outcome.reason:
            entry["reason"] = outcome.reason
        if outcome.hub_seq is not None:
            entry["hub_seq"] = outcome.hub_seq
        final.append(entry)
    return final


def reexamine_parked() -> dict[str, int]:
    """Try every open parked change again, as its sender; apply those now allowed.

    Run after an upgrade (a newer schema may now understand them) and by the CLI. A
    change applied is marked `applied`; one still refused keeps its place and reason.
    """
    counts = {"examined": 0, "applied": 0, "still_parked": 0}
    rows = list(
        db.session.scalars(
            sa.select(ParkedChange)
            .where(ParkedChange.resolved_at.is_(None))
            .order_by(ParkedChange.id)
        )
    )
    for row in rows:
        counts["examined"] += 1
        user = db.session.get(User, row.user_id) if row.user_id else None
        device = db.session.get(Device, row.device_id) if row.device_id else None
        try:
            raw = json.loads(row.body)
            Change.from_dict(raw)
        except (ValueError, ChangeError, TypeError, KeyError):
            counts["still_parked"] += 1
            continue
        if user is None:
            counts["still_parked"] += 1
            continue
        row_id, via = row.id, row.via
        result = _push_silently(user, device, raw, via)
        row = db.session.get(ParkedChange, row_id)  # type: ignore[assignment]
        if result in ("accepted", "duplicate"):
            row.resolved_at = utcnow()
            row.resolution = "applied"
            counts["applied"] += 1
        else:
            counts["still_parked"] += 1
        db.session.commit()
    return counts


def _push_silently(user: User, device: Device | None, raw: dict[str, Any], via: str) -> str:
    """Push one change again without parking a second copy; returns its status."""
    before = db.session.scalar(sa.select(sa.func.count()).select_from(ParkedChange))
    status = push(user, device, [raw], via)[0]["status"]
    if status == "parked":
        # push() keeps one open copy per op id and body, so nothing was added; this is a
        # guard in case that rule changes.
        after = db.session.scalar(sa.select(sa.func.count()).select_from(ParkedChange))
        assert after == before, "re-examination must not park a change twice"
    return str(status)
