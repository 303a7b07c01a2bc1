"""The hub side of handshake, pull and missing: what a caller may hold, in order.

Pull serves only up to the safe watermark (the committed `hub_seq` counter: every change
at or below it is committed, see `changelog`), and only changes of records the caller
may hold now. A page that carries a change widening access to a record (assignment,
lower sensitivity) also carries that record's earlier changes; a change that narrowed
it puts the record in `forget`.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app.database import begin_write
from app.db_types import utcnow
from app.extensions import db
from app.models import ChangeRow, Device, Record
from app.schemas.records import SCHEMA_VERSION
from app.security.principal import Principal
from app.services.access import readable_clause
from app.services.changelog import current_seq, hub_identity
from app.services.sync_push import MAX_PUSH_CHANGES

MAX_PULL = 2000


def access_epoch(principal: Principal) -> str:
    """A fingerprint of the caller's team roles: when it changes, the device resyncs."""
    user = principal.user
    assert user is not None
    roles = sorted(f"{m.team_id}:{m.role}" for m in user.memberships)
    return hashlib.sha256("\n".join(roles).encode()).hexdigest()[:16]


def _contact_due(device: Device) -> bool:
    return device.last_seen_at is None or utcnow() - device.last_seen_at > timedelta(seconds=30)


def _touch(device: Device | None) -> None:
    if device is not None and _contact_due(device):
        device.last_seen_at = utcnow()


def handshake(
    principal: Principal, device: Device | None, hello: dict[str, Any], limits: dict[str, int]
) -> dict[str, Any]:
    """Record what the caller reports, and tell it where the hub stands."""
    epoch = access_epoch(principal)
    if device is not None:
        begin_write()  # SQLite cannot upgrade this request's read transaction safely
        device.reported_seq = max(int(hello.get("own_seq") or 0), 0)
        device.app_version = str(hello.get("app_version") or "")[:40]
        device.schema_version = int(hello.get("schema_version") or 1)
        device.last_seen_at = utcnow()
    ident = hub_identity()
    answer = {
        "hub_id": ident.origin_id,
        "hub_seq": current_seq(),
        "schema_version": SCHEMA_VERSION,
        "clock": int(utcnow().timestamp() * 1000),
        "access_epoch": epoch,
        "resync": bool(hello.get("access_epoch")) and hello.get("access_epoch") != epoch,
        # The deployment's policy for a phone taken at a checkpoint: wipe after this many
        # wrong passphrases in a row (0 = never).
        "wipe_after_failed_unlocks": current_app.config["WIPE_AFTER_FAILED_UNLOCKS"],
        "limits": {"push_changes": MAX_PUSH_CHANGES, "pull_changes": MAX_PULL, **limits},
    }
    db.session.commit()
    return answer


def _bodies(rows: list[Any]) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in rows]


def pull(principal: Principal, device: Device | None, since: int, limit: int) -> dict[str, Any]:
    """One page of changes after `since` that the caller may hold."""
    page = pull_raw(principal, device, since, limit)
    page["changes"] = [json.loads(body) for body in page["changes"]]
    return page


def _body_bytes() -> Any:
    """The stored change text as the UTF-8 bytes the database holds: a page is served
    without decoding 1.2 MB into str and encoding it back (about 6 ms a page)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.convert_to(ChangeRow.body, "UTF8", type_=sa.LargeBinary).label("body")
    return sa.cast(ChangeRow.body, sa.LargeBinary).label("body")  # SQLite: UTF-8 as stored


def pull_progress(since: int, ack: int | None) -> int:
    """What a pull request tells the hub the caller has stored: `ack` when it sent one
    (a pipelining client asks past what it has stored), else `since` (older clients and
    the browser ask for a page only once the previous one is stored)."""
    return since if ack is None else ack


def pull_raw(
    principal: Principal, device: Device | None, since: int, limit: int, ack: int | None = None
) -> dict[str, Any]:
    """`pull`, with each change as the JSON text the hub stored, in UTF-8 bytes (served
    as it is).

    The device's progress (`last_pull_seq`, shown by the monitor) becomes
    `max(old, pull_progress(since, ack))`, written when it moves on a pull's last page
    (`more` false) or when the 30-second "last seen" is due: the pages in between stay a
    pure read (a write per page cost ~15% of a page's CPU and a turn at SQLite's write
    lock behind the pushes).
    """
    limit = max(1, min(limit, MAX_PULL))
    watermark = current_seq()
    readable = readable_clause(principal)
    # EXISTS, not JOIN: SQLite then walks changes in hub_seq order and stops at the page
    # limit; with a join it scanned every record of the caller's teams per page (a
    # 100k-change pull was quadratic).
    joined = sa.select(
        ChangeRow.hub_seq, _body_bytes(), ChangeRow.record_id, ChangeRow.touches_access
    ).where(sa.exists().where(Record.id == ChangeRow.record_id, readable))
    rows = db.session.execute(
        joined.where(ChangeRow.hub_seq > since, ChangeRow.hub_seq <= watermark)
        .order_by(ChangeRow.hub_seq)
        .limit(limit)
    ).all()
    more = len(rows) == limit and rows[-1].hub_seq < watermark
    cursor = rows[-1].hub_seq if more else max(watermark, since)
    widened = sorted({r.record_id for r in rows if r.touches_access})
    earlier: list[Any] = []
    if widened and since > 0:
        for i in range(0, len(widened), 500):
            earlier += db.session.execute(
                joined.where(
                    ChangeRow.record_id.in_(widened[i : i + 500]),
                    ChangeRow.hub_seq <= since,
                ).order_by(ChangeRow.hub_seq)
            ).all()
    forget: list[str] = []
    # When every hub_seq in (since, cursor] is a row of this page (hub_seq is the primary
    # key), the caller may read all of the range and nothing in it narrowed access: the
    # query is skipped. A gap (changes of records the caller may not hold, or dropped
    # ones) makes the range larger than the page and the query runs.
    if cursor - since != len(rows):
        forget = list(
            db.session.scalars(
                sa.select(ChangeRow.record_id)
                .join(Record, Record.id == ChangeRow.record_id)
                .where(
                    ChangeRow.hub_seq > since,
                    ChangeRow.hub_seq <= cursor,
                    ChangeRow.touches_access.is_(True),
                    sa.not_(readable),
                )
                .distinct()
            )
        )
    if device is not None:
        progress = pull_progress(since, ack)
        if (progress > (device.last_pull_seq or 0) and not more) or _contact_due(device):
            begin_write()  # SQLite cannot upgrade this request's read transaction safely
            device.last_pull_seq = max(device.last_pull_seq or 0, progress)
            _touch(device)
        db.session.commit()
    return {
        "changes": [r.body for r in earlier] + [r.body for r in rows],
        "hub_seq": cursor,
        "more": more,
        "forget": sorted(forget),
    }


def _readable_changes() -> Any:
    return sa.select(ChangeRow).join(Record, Record.id == ChangeRow.record_id)


def origin_counts(principal: Principal) -> dict[str, tuple[int, int]]:
    """Per origin, (count, highest seq) of the changes the caller may hold."""
    rows = db.session.execute(
        sa.select(ChangeRow.origin_id, sa.func.count(), sa.func.max(ChangeRow.origin_seq))
        .join(Record, Record.id == ChangeRow.record_id)
        .where(readable_clause(principal))
        .group_by(ChangeRow.origin_id)
    ).all()
    return {origin: (int(count), int(top)) for origin, count, top in rows}


def digest_of(counts: dict[str, int]) -> str:
    """The divergence digest: sha256 of sorted `origin:count` lines."""
    lines = "\n".join(f"{o}:{c}" for o, c in sorted(counts.items()))
    return hashlib.sha256(lines.encode()).hexdigest()


def missing(
    principal: Principal, have: dict[str, int], digest: str | None, limit: int
) -> dict[str, Any]:
    """The changes the caller may hold that its have-vector lacks (the repair path)."""
    counts = origin_counts(principal)
    ours = digest_of({o: c for o, (c, _top) in counts.items()})
    if digest is not None and digest == ours:
        return {"digest": ours, "changes": [], "more": False}
    limit = max(1, min(limit, MAX_PULL))
    out: list[Any] = []
    readable = readable_clause(principal)
    for origin, (_count, top) in sorted(counts.items()):
        floor = int(have.get(origin, 0) or 0)
        if top <= floor:
            continue
        out += db.session.execute(
            sa.select(ChangeRow.body, ChangeRow.hub_seq)
            .join(Record, Record.id == ChangeRow.record_id)
            .where(ChangeRow.origin_id == origin, ChangeRow.origin_seq > floor, readable)
            .order_by(ChangeRow.origin_seq)
            .limit(limit - len(out) + 1)
        ).all()
        if len(out) > limit:
            break
    more = len(out) > limit
    return {"digest": ours, "changes": _bodies(out[:limit]), "more": more}


def contiguous_seq(origin_id: str) -> int:
    """The highest origin_seq up to which this hub holds every change of an origin."""
    count, top = db.session.execute(
        sa.select(sa.func.count(), sa.func.max(ChangeRow.origin_seq)).where(
            ChangeRow.origin_id == origin_id
        )
    ).one()
    if not count:
        return 0
    if int(count) == int(top):
        return int(top)
    present = sa.select(ChangeRow.origin_seq).where(ChangeRow.origin_id == origin_id)
    gap = db.session.scalar(
        sa.select(sa.func.min(ChangeRow.origin_seq)).where(
            ChangeRow.origin_id == origin_id, (ChangeRow.origin_seq + 1).not_in(present)
        )
    )
    has_first = db.session.scalar(
        sa.select(sa.func.count()).where(
            ChangeRow.origin_id == origin_id, ChangeRow.origin_seq == 1
        )
    )
    return int(gap or 0) if has_first else 0
