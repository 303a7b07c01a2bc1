"""Who may read and change which records (DATA-MODEL.md, "Who sees what").

- reporter: their team's incidents and supply needs, and the person records they created
  or a coordinator assigned to them; never a strictly_confidential record.
- coordinator: every record of their team.
- admin: deployment-wide for accounts, but reads records only where also a coordinator.

The same rules decide what a REST caller sees, what a device may hold, and which
changes a device may make (a change that breaks them is parked, never applied).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.models import Record
from app.security.principal import Principal
from sync import Change, RecordState

PERSON_KINDS = frozenset({"casualty", "missing_person"})
SENSITIVITY_ORDER = ("public", "restricted", "confidential", "strictly_confidential")
COORDINATOR_VERIFICATION = frozenset({"corroborated", "confirmed", "discounted"})
COORDINATOR_FATES = frozenset({"believed_dead", "confirmed_dead"})


def readable_clause(principal: Principal) -> sa.ColumnElement[bool]:
    """A WHERE clause selecting the records the caller may read."""
    rule = principal.scopes.get("peer_rule")
    if rule is not None:
        from app.services.peer_rules import readable_for_rule

        return readable_for_rule(rule)  # type: ignore[arg-type]
    if principal.user is None:
        return sa.false()
    # Readers: other hubs' teams granted read-only to coordinators by a peer's rule.
    coordinator = principal.team_ids("coordinator") | principal.team_ids("reader")
    reporter = principal.team_ids("reporter") - coordinator
    uid = principal.user.id
    clauses: list[sa.ColumnElement[bool]] = []
    if coordinator:
        clauses.append(Record.team_id.in_(sorted(coordinator)))
    if reporter:
        clauses.append(
            sa.and_(
                Record.team_id.in_(sorted(reporter)),
                Record.sensitivity != "strictly_confidential",
                sa.or_(
                    Record.kind.not_in(sorted(PERSON_KINDS)),
                    Record.created_by == uid,
                    # coalesce: NULL would make the clause unknown, and NOT(unknown) too,
                    # which would hide narrowed records from `forget`.
                    sa.func.coalesce(Record.assigned_to, "") == uid,
                ),
            )
        )
    return sa.or_(*clauses) if clauses else sa.false()


def can_read(principal: Principal, row: Record) -> bool:
    """Whether the caller may read one record (the same rule as `readable_clause`)."""
    if principal.user is None:
        return False
    role = principal.role_in(row.team_id)
    if role in ("coordinator", "reader"):
        return True
    if role != "reporter" or row.sensitivity == "strictly_confidential":
        return False
    uid = principal.user.id
    return row.kind not in PERSON_KINDS or uid in (row.created_by, row.assigned_to)


def _rank(sensitivity: Any) -> int:
    return SENSITIVITY_ORDER.index(sensitivity) if sensitivity in SENSITIVITY_ORDER else 1


def change_refusal(
    role: str | None,
    user_id: str,
    before: RecordState | None,
    created_by: str,
    change: Change,
) -> str | None:
    """Why `change` is not allowed for a user with `role` in the record's team, or None."""
    if role not in ("reporter", "coordinator"):
        return "not a member of this record's team"
    if change.author != user_id:
        return "author is not the authenticated user"
    if role == "coordinator":
        return None
    # Reporter rules below.
    if change.action in ("resolve", "merge_into", "purge", "undelete"):
        return f"only a coordinator may {change.action.replace('_', ' ')}"
    values = before.values if before is not None else {}
    if before is not None and before.kind in PERSON_KINDS:
        assigned = values.get("assigned_to")
        if user_id not in (created_by, assigned):
            return "this person record is not yours or assigned to you"
    if before is not None and values.get("sensitivity") == "strictly_confidential":
        return "strictly confidential records are for coordinators"
    if change.action == "delete" and before is not None and created_by != user_id:
        return "only the record's author or a coordinator may delete it"
    patch = change.patch if change.action in ("create", "patch") else {}
    if patch.get("verification_status") in COORDINATOR_VERIFICATION:
        return "only a coordinator may set verification to " + str(patch["verification_status"])
    if patch.get("fate_status") in COORDINATOR_FATES:
        return "only a coordinator may record a death"
    if "assigned_to" in patch and change.action == "patch":
        return "only a coordinator may assign records"
    lowered = (
        "sensitivity" in patch
        and before is not None
        and (_rank(patch["sensitivity"]) < _rank(values.get("sensitivity")))
    )
    if lowered:
        return "only a coordinator may lower sensitivity"
    # Raising to strictly_confidential is allowed (anyone may raise sensitivity); the
    # reporter then loses the record, and their device is told to forget it.
    return None
