"""Data health: records per team and device, last sync, changes waiting, conflicts, parked."""

from __future__ import annotations

import sqlalchemy as sa

from app.db_types import utcnow
from app.extensions import db
from app.models import Device, Membership, ParkedChange, Peer, Team, User
from app.services.dashboard.scope import Scope, conflicted, records_table
from app.services.dashboard.table import Table
from app.services.sync_serve import contiguous_seq

WEB = "web"  # records created through the web app or the REST API (the hub's own origin)


def _team_names(scope: Scope) -> dict[str, str]:
    stmt = sa.select(Team.id, Team.name).where(Team.id.in_(scope.teams))
    return {t: n for t, n in db.session.execute(stmt)}


def records_by_team(scope: Scope) -> Table:
    """Records per team and kind (the filters apply)."""
    r = records_table()
    stmt = (
        sa.select(r.c.team_id, r.c.kind, sa.func.count(), conflicted(r))
        .where(scope.counted(r), r.c.kind != "", *scope.filtered(r))
        .group_by(r.c.team_id, r.c.kind)
    )
    kinds = ("incident", "casualty", "missing_person", "supply_need")
    cells: dict[str, dict[str, int]] = {}
    table = Table(
        ["team_id", "team", *kinds, "total"],
        series={"team_id": None, "team": None, **{k: {"kind": k} for k in kinds}, "total": {}},
    )
    for team, kind, n, c in db.session.execute(stmt):
        cells.setdefault(team, {})[kind] = int(n)
        table.in_conflict += int(c or 0)
    names = _team_names(scope)
    for team in sorted(cells, key=lambda t: names.get(t, t)):
        counts = [cells[team].get(k, 0) for k in kinds]
        table.add([team, names.get(team, ""), *counts, sum(counts)], {"team_id": team})
    return table


def _team_devices(scope: Scope) -> list[tuple[Device, str]]:
    members = sa.select(Membership.user_id).where(Membership.team_id.in_(scope.teams))
    return [
        (d, name)
        for d, name in db.session.execute(
            sa.select(Device, User.username)
            .join(User, User.id == Device.user_id)
            .where(Device.user_id.in_(members))
            .order_by(Device.created_at)
        )
    ]


def team_origins(scope: Scope) -> list[str]:
    """The origin ids of the devices of the scope's teams' members."""
    return [d.origin_id for d, _name in _team_devices(scope)]


def records_by_device(scope: Scope) -> Table:
    """Records per device that created them (the filters apply); "web" for the rest."""
    r = records_table()
    stmt = (
        sa.select(r.c.created_origin, sa.func.count())
        .where(scope.counted(r), r.c.kind != "", *scope.filtered(r))
        .group_by(r.c.created_origin)
    )
    counts = {origin: int(n) for origin, n in db.session.execute(stmt)}
    table = Table(
        ["device_id", "device", "user", "records"],
        series={"device_id": None, "device": None, "user": None, "records": {}},
    )
    for device, username in _team_devices(scope):
        n = counts.pop(device.origin_id, 0)
        table.add([device.id, device.name, username, n], {"origin": device.origin_id})
    # Whatever no device of these teams made: the web app, or devices of other users.
    rest = sum(counts.values())
    if rest:
        table.add([WEB, WEB, "", rest], {"origin": WEB})
    return table


def sync_status(scope: Scope) -> Table:
    """Per device and peer hub: last contact, changes still waiting, days since."""
    now = utcnow()
    table = Table(
        ["kind", "id", "name", "user", "last_sync", "days_since", "waiting_changes", "parked"],
        series=dict.fromkeys(
            ["kind", "id", "name", "user", "last_sync", "days_since", "waiting_changes"]
        ),
    )
    table.series["parked"] = None
    for device, username in _team_devices(scope):
        held = contiguous_seq(device.origin_id)
        parked = db.session.scalar(
            sa.select(sa.func.count()).where(
                ParkedChange.device_id == device.id, ParkedChange.resolved_at.is_(None)
            )
        )
        seen = device.last_seen_at
        table.add(
            [
                "device",
                device.id,
                device.name,
                username,
                seen.isoformat() if seen else None,
                (now - seen).days if seen else None,
                max(0, device.reported_seq - held),
                int(parked or 0),
            ]
        )
    for peer in db.session.scalars(sa.select(Peer).order_by(Peer.name)):
        seen = peer.last_success_at
        table.add(
            [
                "peer",
                peer.hub_id,
                peer.name,
                "",
                seen.isoformat() if seen else None,
                (now - seen).days if seen else None,
                None,
                None,
            ]
        )
    return table


def waiting(scope: Scope) -> Table:
    """Per team: records with open conflicts, needing review, and parked changes."""
    r = records_table()
    # One pass over the covering index (team first): the single-column has_conflicts
    # index would send SQLite to every conflicted row's JSON for its team.
    counts = {
        team: (int(c or 0), int(n or 0))
        for team, c, n in db.session.execute(
            sa.select(
                r.c.team_id,
                sa.func.sum(sa.cast(r.c.has_conflicts, sa.Integer)),
                sa.func.sum(sa.cast(r.c.needs_review, sa.Integer)),
            )
            .where(r.c.team_id.in_(scope.teams))
            .group_by(r.c.team_id)
        )
    }
    conflicts = {t: c for t, (c, _n) in counts.items()}
    review = {t: n for t, (_c, n) in counts.items()}
    parked = dict(
        db.session.execute(
            sa.select(ParkedChange.team_id, sa.func.count())
            .where(ParkedChange.team_id.in_(scope.teams), ParkedChange.resolved_at.is_(None))
            .group_by(ParkedChange.team_id)
        ).all()
    )
    names = _team_names(scope)
    table = Table(
        ["team_id", "team", "open_conflicts", "needs_review", "parked_changes"],
        series={
            "team_id": None,
            "team": None,
            "open_conflicts": {"has_conflicts": "true"},
            "needs_review": {"needs_review": "true"},
            "parked_changes": None,
        },
    )
    for team in sorted(scope.teams, key=lambda t: names.get(t, t)):
        table.add(
            [
                team,
                names.get(team, ""),
                int(conflicts.get(team, 0)),
                int(review.get(team, 0)),
                int(parked.get(team, 0)),
            ],
            {"team_id": team},
        )
    return table
