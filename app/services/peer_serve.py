"""The hub side of sync for another hub holding one of our replication tokens, and the
one way changes from a peer are applied (its pushes, what we pull, bundles it sent).

Changes from a peer go through `sync_push.push` with a `PeerChecker` for this hub's
sharing rule: a peer relays changes authored by others, but only of the teams, kinds
and sensitivity levels the rule names (and edits of our own teams only when the rule
allows edits); anything else is parked with the reason, never dropped.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from app.api.errors import ApiError
from app.database import begin_write
from app.db_types import utcnow
from app.extensions import db
from app.models import ChangeRow, NameToken, ParkedChange, Peer, PeerToken, Record
from app.schemas.records import SCHEMA_VERSION
from app.security.principal import Principal
from app.services import hub_keys, incident_links, peer_rules, sync_push
from app.services.changelog import current_seq
from app.services.sync_serve import MAX_PULL, pull_progress

UNKNOWN_RECORD = "record not known on this hub"


def handshake_proof(challenge: str, hub_id: str, fingerprint: str) -> bytes:
    """What a hub signs to prove it holds the keys it shows in a handshake answer."""
    return f"tawthiq-handshake|{challenge}|{hub_id}|{fingerprint}".encode()


def pin(peer: Peer, hub_id: str, keys: dict[str, str] | None) -> None:
    """Pin the other hub's id and keys on first contact; refuse any other later."""
    if peer.hub_id and peer.hub_id != hub_id:
        raise ApiError(409, f"This peer is hub {peer.hub_id}, not {hub_id}.", "hub_mismatch")
    if keys:
        fingerprint = hub_keys.fingerprint_of(keys)
        pinned = hub_keys.normalise_fingerprint(peer.fingerprint or "")
        if pinned and pinned != hub_keys.normalise_fingerprint(fingerprint):
            raise ApiError(
                409,
                f"Hub keys do not match the pinned fingerprint of {peer.name} "
                f"(pinned {peer.fingerprint}, shown {fingerprint}).",
                "hub_key_mismatch",
            )
        peer.fingerprint = fingerprint
        peer.keys = dict(keys)
    if not peer.hub_id:
        clash = db.session.scalar(sa.select(Peer).where(Peer.hub_id == hub_id, Peer.id != peer.id))
        if clash is not None:
            raise ApiError(409, f"Hub {hub_id} is already the peer {clash.name}.", "hub_mismatch")
        peer.hub_id = hub_id


def handshake(principal: Principal, hello: dict[str, Any], limits: dict[str, int]) -> dict:
    """Answer another hub: our id, keys (with proof), watermark and its sharing rule."""
    peer: Peer = principal.scopes["peer"]  # type: ignore[assignment]
    token: PeerToken = principal.scopes["peer_token"]  # type: ignore[assignment]
    begin_write()
    pin(peer, str(hello["origin_id"]), hello.get("hub_keys") or None)
    _touch(token)
    rule = peer_rules.effective_rule(peer)
    offered = (hello.get("rule") or {}).get("teams") or []
    peer_rules.ensure_teams(
        [t for t in offered if isinstance(t, dict) and t.get("id") in rule.teams],
        peer.hub_id or "",
    )
    epoch = peer_rules.rule_epoch(peer, rule)
    keys = hub_keys.current()
    here = hub_keys.hub_id()
    answer = {
        "hub_id": here,
        "hub_seq": current_seq(),
        "schema_version": SCHEMA_VERSION,
        "clock": int(utcnow().timestamp() * 1000),
        "access_epoch": epoch,
        "resync": bool(hello.get("access_epoch")) and hello.get("access_epoch") != epoch,
        "limits": {"push_changes": sync_push.MAX_PUSH_CHANGES, "pull_changes": MAX_PULL, **limits},
        "hub_keys": keys.public,
        "fingerprint": keys.fingerprint,
        "proof": keys.sign(
            handshake_proof(str(hello.get("challenge") or ""), here, keys.fingerprint)
        ),
        "rule": peer_rules.describe_rule(peer),
    }
    db.session.commit()
    return answer


def note_pull(principal: Principal, since: int, ack: int | None = None, more: bool = False) -> None:
    """Remember how far the peer pulled (the monitor shows its lag): what it acknowledged
    as stored, or `since` when it sent no `ack` (see `sync_serve.pull_progress`); written
    on a pull's last page (`more` false) or when "last seen" is 30 s old, as for devices."""
    token: PeerToken = principal.scopes["peer_token"]  # type: ignore[assignment]
    stale = token.last_seen_at is None or utcnow() - token.last_seen_at > timedelta(seconds=30)
    progress = pull_progress(since, ack)
    if (progress > (token.last_pull_seq or 0) and not more) or stale:
        begin_write()
        token = db.session.get(PeerToken, token.id)  # type: ignore[assignment]
        token.last_pull_seq = max(token.last_pull_seq or 0, progress)
        _touch(token)
        db.session.commit()


def _touch(token: PeerToken) -> None:
    # At most one write every 30 s for "last seen": writes are what SQLite serialises.
    now = utcnow()
    if token.last_seen_at is None or now - token.last_seen_at > timedelta(seconds=30):
        token.last_seen_at = now


def push(principal: Principal, raw_changes: list[Any]) -> list[dict[str, Any]]:
    """A peer pushes changes (its own and those it relays)."""
    peer: Peer = principal.scopes["peer"]  # type: ignore[assignment]
    if not peer.hub_id:
        raise ApiError(409, "Handshake first.", "handshake_required")
    return apply_from_peer(peer, raw_changes, f"peer:{peer.id}")


def checker_for(peer: Peer) -> peer_rules.PeerChecker:
    return peer_rules.PeerChecker(peer_rules.effective_rule(peer), f"peer {peer.name}")


def apply_from_peer(peer: Peer, raw_changes: list[Any], via: str) -> list[dict[str, Any]]:
    """Apply changes that came from `peer` under our rule for it; one result each."""
    rule = peer_rules.effective_rule(peer)
    shared = [
        c
        for c in raw_changes
        if isinstance(c, dict)
        and isinstance(c.get("patch"), dict)
        and c["patch"].get("team_id") in rule.teams
    ]
    peer_rules.ensure_teams_of_changes(shared, peer.hub_id or "")
    results = sync_push.push(None, None, raw_changes, via, checker=checker_for(peer))
    created = {
        c.get("record_id")
        for c, r in zip(raw_changes, results, strict=True)
        if isinstance(c, dict) and c.get("action") == "create" and r["status"] == "accepted"
    }
    if created:
        retry_parked(sorted(x for x in created if isinstance(x, str)))
    return results


def _peer_of_via(via: str) -> Peer | None:
    kind, _, rest = via.partition(":")
    if kind not in ("peer", "bundle"):
        return None
    return db.session.get(Peer, rest.split(":")[0])


def retry_parked(record_ids: list[str]) -> int:
    """Changes parked only because their record had not arrived yet: apply them now
    that it has (a peer's pages may carry a patch before its record's create)."""
    applied = 0
    for i in range(0, len(record_ids), 500):
        rows = list(
            db.session.scalars(
                sa.select(ParkedChange)
                .where(
                    ParkedChange.record_id.in_(record_ids[i : i + 500]),
                    ParkedChange.resolved_at.is_(None),
                    ParkedChange.reason.startswith(UNKNOWN_RECORD),
                )
                .order_by(ParkedChange.id)
            )
        )
        for row in rows:
            peer = _peer_of_via(row.via)
            if peer is None:
                continue
            row_id, via, body = row.id, row.via, json.loads(row.body)
            status = sync_push.push(None, None, [body], via, checker=checker_for(peer))[0]
            if status["status"] in ("accepted", "duplicate"):
                begin_write()
                again = db.session.get(ParkedChange, row_id)
                assert again is not None
                again.resolved_at = utcnow()
                again.resolution = "applied"
                db.session.commit()
                applied += 1
    return applied


def forget_records(record_ids: list[str]) -> int:
    """A peer narrowed what we may hold: drop those records of other hubs' teams (their
    changes and cache rows). Records of our own teams are never dropped."""
    if not record_ids:
        return 0
    local = peer_rules.local_team_ids()
    begin_write()
    # Like a write of these records (app/services/incident_links.py): their incidents'
    # advisory locks first, so a concurrent write's copies cannot miss this drop.
    locks = incident_links.lock_links(record_ids)
    rows = [
        r
        for r in db.session.scalars(sa.select(Record).where(Record.id.in_(record_ids)))
        if r.team_id not in local
    ]
    ids = [r.id for r in rows]
    # Casualties of a dropped incident stand alone now; an incident loses the people of
    # its dropped casualties (the dashboard's copies, app/services/incident_links.py).
    incidents = [r.id for r in rows if r.kind == "incident"]
    linked_to = [r.incident_id for r in rows if r.incident_id]
    locks.cover(linked_to)
    if ids:
        db.session.execute(sa.delete(NameToken).where(NameToken.record_id.in_(ids)))
        db.session.execute(sa.delete(ChangeRow).where(ChangeRow.record_id.in_(ids)))
        db.session.execute(sa.delete(Record).where(Record.id.in_(ids)))
        incident_links.refresh_casualties_of(incidents)
        incident_links.refresh_sums(linked_to)
    db.session.commit()
    return len(ids)
