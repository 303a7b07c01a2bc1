"""What coordinators and admins watch: open conflicts, parked changes, and per device
whether everything it wrote has arrived ("nothing lost", watched in the field)."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from app.api.errors import ApiError
from app.extensions import db
from app.models import Device, Membership, ParkedChange, Record
from app.security.principal import Principal
from app.services.devices import visible_devices
from app.services.record_codec import rest_values
from app.services.sync_serve import contiguous_seq


def conflicts(principal: Principal) -> list[dict[str, Any]]:
    """Records of the caller's coordinator teams with open conflicts."""
    teams = sorted(principal.team_ids("coordinator"))
    rows = db.session.scalars(
        sa.select(Record)
        .where(Record.team_id.in_(teams), Record.has_conflicts.is_(True))
        .order_by(Record.needs_review.desc(), Record.updated_seq.desc())
        .limit(1000)
    )
    return [
        {
            "id": r.id,
            "kind": r.kind,
            "team_id": r.team_id,
            "needs_review": r.needs_review,
            "delete_conflict": r.state.get("delete_conflict", False),
            "values": rest_values(r.kind, r.state.get("values", {})),
            "conflicts": r.state.get("conflicts", {}),
            "etag": r.etag,
        }
        for r in rows
    ]


def parked(principal: Principal) -> list[dict[str, Any]]:
    """Parked changes: metadata for admins, content too for the team's coordinators."""
    teams = principal.team_ids("coordinator")
    if not principal.is_admin and not teams:
        raise ApiError(403, "Only coordinators and admins see parked changes.", "forbidden")
    members = sa.select(Membership.user_id).where(Membership.team_id.in_(sorted(teams)))
    team_clause = sa.or_(
        ParkedChange.team_id.in_(sorted(teams)),
        sa.and_(ParkedChange.team_id.is_(None), ParkedChange.user_id.in_(members)),
    )
    stmt = sa.select(ParkedChange).order_by(ParkedChange.id.desc()).limit(1000)
    if not principal.is_admin:
        stmt = stmt.where(team_clause)
    out = []
    for row in db.session.scalars(stmt):
        entry: dict[str, Any] = {
            "id": row.id,
            "op_id": row.op_id,
            "record_id": row.record_id,
            "kind": row.kind,
            "team_id": row.team_id,
            "user_id": row.user_id,
            "device_id": row.device_id,
            "via": row.via,
            "reason": row.reason,
            "received_at": row.received_at.isoformat(),
            "resolution": row.resolution or None,
        }
        if row.team_id in teams or (row.team_id is None and _member(row.user_id, teams)):
            try:
                entry["change"] = json.loads(row.body)
            except ValueError:
                entry["change"] = row.body
        out.append(entry)
    return out


def _member(user_id: str | None, teams: set[str]) -> bool:
    if not user_id or not teams:
        return False
    return bool(
        db.session.scalar(
            sa.select(Membership.id).where(
                Membership.user_id == user_id, Membership.team_id.in_(sorted(teams))
            )
        )
    )


def devices(principal: Principal) -> list[dict[str, Any]]:
    """Per device: last contact, its own highest seq against what this hub holds."""
    out = []
    for device in visible_devices(principal):
        held = contiguous_seq(device.origin_id)
        parked_count = db.session.scalar(
            sa.select(sa.func.count()).where(
                ParkedChange.device_id == device.id, ParkedChange.resolved_at.is_(None)
            )
        )
        out.append(
            {
                "id": device.id,
                "name": device.name,
                "user_id": device.user_id,
                "origin_id": device.origin_id,
                "revoked": device.revoked_at is not None,
                "last_seen_at": device.last_seen_at.isoformat() if device.last_seen_at else None,
                "reported_seq": device.reported_seq,
                "hub_holds_seq": held,
                "missing": max(0, device.reported_seq - held),
                "parked": int(parked_count or 0),
                "last_pull_seq": device.last_pull_seq,
            }
        )
    return out


# --- peer hubs and bundles -------------------------------------------------------------


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _waiting(peer: Any, after: int) -> int:
    """Changes in our log after `after` that `peer` may hold: what it still lacks."""
    from app.models import ChangeRow
    from app.services.peer_rules import effective_rule, readable_for_rule

    return int(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(ChangeRow)
            .join(Record, Record.id == ChangeRow.record_id)
            .where(ChangeRow.hub_seq > after, readable_for_rule(effective_rule(peer)))
        )
        or 0
    )


def peers(principal: Principal | None = None) -> list[dict[str, Any]]:
    """Per peer hub: last exchange, checkpoints, lag in changes, bundles (admins only)."""
    from app.models import BundleRecord, Peer, PeerToken

    if principal is not None and not principal.is_admin:
        return []
    out = []
    for peer in db.session.scalars(sa.select(Peer).order_by(Peer.name)):
        tokens = list(db.session.scalars(sa.select(PeerToken).where(PeerToken.peer_id == peer.id)))
        pulled_by_them = max((t.last_pull_seq for t in tokens), default=0)
        seen = [t.last_seen_at for t in tokens if t.last_seen_at] + [
            d for d in (peer.last_success_at,) if d
        ]
        bundles = list(
            db.session.scalars(
                sa.select(BundleRecord)
                .where(BundleRecord.peer_name == peer.name)
                .order_by(BundleRecord.id.desc())
                .limit(5)
            )
        )
        last_export = next((b for b in bundles if b.direction == "export"), None)
        last_import = next((b for b in bundles if b.direction == "import"), None)
        out.append(
            {
                "name": peer.name,
                "hub_id": peer.hub_id,
                "fingerprint": peer.fingerprint,
                "url": peer.url or None,
                "rule": peer.rule,
                "last_exchange_at": _iso(max(seen) if seen else None),
                "last_attempt_at": _iso(peer.last_attempt_at),
                "last_error": peer.last_error or None,
                "failures": peer.failures,
                # We drive: how far we pulled against its watermark at the last handshake
                # (hub_seq units), and what of ours it still lacks (changes).
                "pull_seq": peer.pull_seq,
                "remote_seq": peer.remote_seq,
                "push_seq": peer.push_seq,
                "lag_to_peer": _waiting(peer, max(peer.push_seq, pulled_by_them)),
                "tokens": [
                    {
                        "id": t.id,
                        "revoked": t.revoked_at is not None,
                        "expires_at": _iso(t.expires_at),
                        "last_seen_at": _iso(t.last_seen_at),
                        "last_pull_seq": t.last_pull_seq,
                    }
                    for t in tokens
                ],
                "bundles": {
                    "last_export": _bundle_view(last_export),
                    "last_import": _bundle_view(last_import),
                    "awaiting_receipt": int(
                        db.session.scalar(
                            sa.select(sa.func.count()).where(
                                BundleRecord.peer_name == peer.name,
                                BundleRecord.direction == "export",
                                BundleRecord.receipt_at.is_(None),
                            )
                        )
                        or 0
                    ),
                },
            }
        )
    return out


def _bundle_view(row: Any) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "bundle_id": row.bundle_id,
        "at": _iso(row.created_at),
        "seq_from": row.seq_from,
        "seq_to": row.seq_to,
        "changes": row.changes,
        "accepted": row.accepted,
        "duplicate": row.duplicate,
        "parked": row.parked,
        "receipt_at": _iso(row.receipt_at),
    }


__all__ = ["Device", "conflicts", "devices", "parked", "peers"]
