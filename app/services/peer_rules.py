"""Peers, their sharing rules and replication tokens (docs/hubs.md).

A sharing rule is this hub's say over one peer, whoever opens the connection:

    {"teams": [team id, ...] | null, "kinds": [kind, ...], "max_sensitivity": "...",
     "allow_edits": bool, "readers": [local team id, ...]}

- What goes to the peer: whole changes of records whose team is in `teams`, whose kind
  is in `kinds` and whose sensitivity is at most `max_sensitivity` (served by pull and
  missing to the peer's token, pushed when this hub drives, put in bundles).
- What is taken from the peer (its pushes, what this hub pulls, bundles it sent): the
  same teams, kinds and sensitivity; a change to a record of one of *this hub's own*
  teams only with `allow_edits`. Anything else is parked with the reason.
- `teams: null` (only for `peer add` without `--teams`) means: the teams the other hub
  offers us, none of ours.
- `readers`: the local teams whose coordinators read the records of other hubs' teams
  that arrive over this link (read-only, or editable when both hubs allow edits).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from app.api.errors import ApiError
from app.database import begin_write
from app.db_types import utcnow
from app.extensions import db
from app.models import Peer, PeerToken, Record, Team, User
from app.security import principal as principals
from app.security.principal import Principal, token_hash
from app.services.access import SENSITIVITY_ORDER
from app.services.audit import audit
from sync import KINDS, Change, RecordState

TOKEN_PREFIX = "tpr_"  # noqa: S105  (a marker telling token kinds apart, not a secret)
DEFAULT_SENSITIVITY = "confidential"


@dataclass(frozen=True)
class SharingRule:
    """A peer's rule, with `teams` resolved to a set."""

    teams: frozenset[str]
    kinds: frozenset[str]
    max_sensitivity: str
    allow_edits: bool
    readers: frozenset[str]

    @property
    def sensitivities(self) -> list[str]:
        top = SENSITIVITY_ORDER.index(self.max_sensitivity)
        return list(SENSITIVITY_ORDER[: top + 1])

    def allows_sensitivity(self, value: Any) -> bool:
        value = value if value in SENSITIVITY_ORDER else "restricted"
        return value in self.sensitivities


def make_rule(
    teams: list[str] | None,
    kinds: list[str] | None,
    max_sensitivity: str | None,
    allow_edits: bool,
    readers: list[str] | None,
) -> dict[str, Any]:
    """A rule document from CLI options (team names or ids resolved to ids)."""
    from app.services.accounts import find_team

    kinds = sorted(set(kinds or KINDS))
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ApiError(422, f"Unknown kinds: {', '.join(unknown)}; use {', '.join(KINDS)}.")
    sensitivity = max_sensitivity or DEFAULT_SENSITIVITY
    if sensitivity not in SENSITIVITY_ORDER:
        raise ApiError(422, f"Sensitivity is one of {', '.join(SENSITIVITY_ORDER)}.")

    def team_ids(names: list[str]) -> list[str]:
        out = []
        for name in names:
            try:
                out.append(find_team(name).id)
            except ApiError:
                if not re.fullmatch(r"[0-9a-f-]{36}", name):
                    raise
                out.append(name)  # another hub's team, known here by its id only
        return sorted(set(out))

    return {
        "teams": None if teams is None else team_ids(teams),
        "kinds": kinds,
        "max_sensitivity": sensitivity,
        "allow_edits": bool(allow_edits),
        "readers": [find_team(r).id for r in (readers or [])],
    }


def local_team_ids() -> set[str]:
    """This hub's own teams (not those made for records that came from a peer)."""
    return set(db.session.scalars(sa.select(Team.id).where(Team.origin_hub.is_(None))))


def effective_rule(peer: Peer) -> SharingRule:
    """The peer's rule with `teams: null` resolved against what the other hub offers."""
    doc = peer.rule or {}
    teams = doc.get("teams")
    if teams is None:
        offered = [t["id"] for t in (peer.remote_rule or {}).get("teams", [])]
        teams = sorted(set(offered) - local_team_ids())
    return SharingRule(
        teams=frozenset(teams),
        kinds=frozenset(doc.get("kinds") or KINDS),
        max_sensitivity=doc.get("max_sensitivity") or DEFAULT_SENSITIVITY,
        allow_edits=bool(doc.get("allow_edits")),
        readers=frozenset(doc.get("readers") or []),
    )


def rule_epoch(peer: Peer, rule: SharingRule) -> str:
    """Changes whenever what the peer may hold changes: the peer then pulls from 0."""
    text = json.dumps(
        [sorted(rule.teams), sorted(rule.kinds), rule.max_sensitivity], separators=(",", ":")
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def readable_for_rule(rule: SharingRule) -> sa.ColumnElement[bool]:
    """The records a peer under `rule` may hold (pull, missing, push, bundles)."""
    if not rule.teams or not rule.kinds:
        return sa.false()
    return sa.and_(
        Record.team_id.in_(sorted(rule.teams)),
        Record.kind.in_(sorted(rule.kinds)),
        Record.sensitivity.in_(rule.sensitivities),
    )


def rule_principal(peer: Peer) -> Principal:
    """A principal whose reads are exactly what `peer` may hold."""
    return Principal(user=None, via="peer", scopes={"peer_rule": effective_rule(peer)})


def describe_rule(peer: Peer) -> dict[str, Any]:
    """The rule as told to the peer in the handshake: teams with names and origin hub."""
    from app.services import hub_keys

    rule = effective_rule(peer)
    teams = {t.id: t for t in db.session.scalars(sa.select(Team).where(Team.id.in_(rule.teams)))}
    here = hub_keys.hub_id()
    return {
        "teams": [
            {
                "id": tid,
                "name": teams[tid].name if tid in teams else "",
                "origin_hub": (teams[tid].origin_hub or here) if tid in teams else None,
            }
            for tid in sorted(rule.teams)
        ],
        "kinds": sorted(rule.kinds),
        "max_sensitivity": rule.max_sensitivity,
        "allow_edits": rule.allow_edits,
    }


# --- checking what a peer sends ---------------------------------------------------------


class PeerChecker:
    """Decides which changes from a peer may be applied (the `_Checker` of sync_push)."""

    def __init__(self, rule: SharingRule, label: str) -> None:
        self.rule = rule
        self.label = label
        self.local = local_team_ids()

    def check(
        self,
        index: int,
        change: Change,
        state: RecordState | None,
        row: Record | None,
        batch_creates: dict[str, Change],
    ) -> str | None:
        from app.services.sync_push import _value_problem

        if change.kind not in KINDS:
            return f"unknown record kind {change.kind!r}"
        if state is not None and state.kind and state.kind != change.kind:
            return f"record is a {state.kind}, change says {change.kind}"
        if row is not None and row.state:
            team_id: Any = row.team_id
            sensitivity: Any = row.sensitivity
        else:
            create = batch_creates.get(change.record_id)
            if create is None and change.action == "create":
                create = change
            if create is None:
                return "record not known on this hub and the change names no team"
            team_id = create.patch.get("team_id")
            sensitivity = create.patch.get("sensitivity", "restricted")
        if not isinstance(team_id, str) or team_id not in self.rule.teams:
            return f"team {team_id} is not shared with {self.label}"
        if change.kind not in self.rule.kinds:
            return f"{change.kind} records are not shared with {self.label}"
        if not self.rule.allows_sensitivity(sensitivity):
            return f"{sensitivity} records are not shared with {self.label}"
        if team_id in self.local and not self.rule.allow_edits:
            return f"{self.label} may not change records of this hub's team {team_id}"
        return _value_problem(change)


def ensure_teams(teams: list[dict[str, Any]], default_origin: str) -> None:
    """Make a local row (marked remote) for every team of another hub we may receive."""
    if not teams:
        return
    ids = [t["id"] for t in teams]
    if len(set(db.session.scalars(sa.select(Team.id).where(Team.id.in_(ids))))) == len(set(ids)):
        return
    begin_write()
    known = set(db.session.scalars(sa.select(Team.id).where(Team.id.in_(ids))))
    names = set(db.session.scalars(sa.select(Team.name)))
    for t in teams:
        if t["id"] in known:
            continue
        base = (t.get("name") or f"team {t['id'][:8]}") + " (remote)"
        name, n = base, 1
        while name in names:
            n += 1
            name = f"{base} {n}"
        names.add(name)
        db.session.add(
            Team(id=t["id"], name=name, origin_hub=t.get("origin_hub") or default_origin)
        )
    db.session.commit()


def ensure_teams_of_changes(raw_changes: list[Any], origin: str) -> None:
    """Rows for teams named by creates that arrived, if unknown here."""
    ids = sorted(
        {
            c["patch"]["team_id"]
            for c in raw_changes
            if isinstance(c, dict)
            and c.get("action") == "create"
            and isinstance(c.get("patch"), dict)
            and isinstance(c["patch"].get("team_id"), str)
        }
    )
    ensure_teams([{"id": i} for i in ids], origin)


# --- who reads what arrived -------------------------------------------------------------


def granted_teams(user: User) -> dict[str, str]:
    """Teams of other hubs that this user reads as a coordinator of a `readers` team:
    {team id: "coordinator" (may edit) | "reader"}."""
    mine = {m.team_id for m in user.memberships if m.role == "coordinator"}
    if not mine:
        return {}
    peers = list(db.session.scalars(sa.select(Peer)))
    if not peers:
        return {}
    local = local_team_ids()
    out: dict[str, str] = {}
    for peer in peers:
        rule = effective_rule(peer)
        if not (rule.readers & mine):
            continue
        edits = rule.allow_edits and (peer.remote_rule or {}).get("allow_edits", True)
        for team in rule.teams - local:
            if out.get(team) != "coordinator":
                out[team] = "coordinator" if edits else "reader"
    return out


# --- peers and tokens -------------------------------------------------------------------


def find_peer(name: str) -> Peer:
    peer = db.session.scalar(sa.select(Peer).where(Peer.name == name))
    if peer is None:
        raise ApiError(404, f"No peer {name!r}.")
    return peer


def get_or_create_peer(name: str) -> Peer:
    peer = db.session.scalar(sa.select(Peer).where(Peer.name == name))
    if peer is None:
        peer = Peer(name=name, rule={})
        db.session.add(peer)
        db.session.flush()
    return peer


def parse_duration(text: str | None) -> timedelta | None:
    """ "30d", "12h", "90m" → a timedelta (None for no expiry)."""
    if not text:
        return None
    m = re.fullmatch(r"(\d+)\s*([dhms])", text.strip())
    if not m:
        raise ApiError(422, "Durations look like 30d, 12h, 10m or 45s.")
    unit = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}[m.group(2)]
    return timedelta(**{unit: int(m.group(1))})


def create_token(name: str, rule: dict[str, Any], expires: str | None) -> tuple[PeerToken, str]:
    """Set the rule for peer NAME and issue it a replication token (shown once)."""
    if rule.get("teams") is None:
        raise ApiError(422, "Say which teams are shared (--teams).")
    peer = get_or_create_peer(name)
    peer.rule = rule
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    life = parse_duration(expires)
    row = PeerToken(
        peer_id=peer.id,
        token_hash=token_hash(token),
        expires_at=utcnow() + life if life else None,
    )
    db.session.add(row)
    db.session.flush()
    audit("peer_token_created", None, target_type="peer", target_id=peer.id, name=name, rule=rule)
    db.session.commit()
    return row, token


def revoke_tokens(name: str, token_id: str | None = None) -> int:
    """Revoke the peer's tokens (or one of them) now; returns how many."""
    peer = find_peer(name)
    stmt = sa.select(PeerToken).where(PeerToken.peer_id == peer.id, PeerToken.revoked_at.is_(None))
    if token_id:
        stmt = stmt.where(PeerToken.id == token_id)
    rows = list(db.session.scalars(stmt))
    for row in rows:
        row.revoked_at = utcnow()
    audit("peer_token_revoked", None, target_type="peer", target_id=peer.id, count=len(rows))
    db.session.commit()
    return len(rows)


def load_peer_principal(token: str) -> Principal | None:
    """The principal of a replication token: its peer's rule, or revoked/expired."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = db.session.scalar(sa.select(PeerToken).where(PeerToken.token_hash == token_hash(token)))
    if row is None:
        return None
    if row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= utcnow()):
        return Principal(user=None, via="token", scopes={"token_revoked": True})
    peer = db.session.get(Peer, row.peer_id)
    assert peer is not None
    return Principal(
        user=None,
        via="token",
        scopes={"peer": peer, "peer_token": row, "peer_rule": effective_rule(peer)},
    )


def init() -> None:
    """Register the token loader and the grants hook (idempotent)."""
    if load_peer_principal not in principals.TOKEN_LOADERS:
        principals.TOKEN_LOADERS.append(load_peer_principal)
    if granted_teams not in principals.GRANT_LOADERS:
        principals.GRANT_LOADERS.append(granted_teams)
