"""Peer hubs: who we replicate with, under which sharing rule, and bundles moved by hand.

A `Peer` is one other hub, known by a name this hub gives it. It holds this hub's sharing
rule for that peer (which teams, kinds and sensitivity levels go to it and come from
it, whether edits are accepted, which local teams read what arrives), the pinned public
keys of the other hub, and — when this hub opens the connection — its URL, the token the
other hub issued, and the checkpoints of both directions. A `PeerToken` is a token this
hub issued so that the peer can open the connection itself. `BundleRecord` logs every
USB bundle written or read, so a repeated import is a no-op and receipts find their
export.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime, new_id, utcnow
from app.extensions import db


class Peer(db.Model):  # type: ignore[name-defined,misc]
    """Another hub this hub exchanges changes with (online or by bundle)."""

    __tablename__ = "peers"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    # This hub's sharing rule for the peer (see services/peer_rules.py for the shape).
    rule: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # Set when this hub opens the connection: the other hub's URL and the token it issued.
    url: Mapped[str] = mapped_column(sa.Text, default="")
    token: Mapped[str] = mapped_column(sa.Text, default="")
    # The other hub: its id, public keys and their fingerprint (pinned once known).
    hub_id: Mapped[str | None] = mapped_column(sa.String(128), nullable=True, unique=True)
    fingerprint: Mapped[str] = mapped_column(sa.String(100), default="")
    keys: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, nullable=True)
    # What the other hub said its own rule for us is (from its handshake answer).
    remote_rule: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, nullable=True)
    remote_epoch: Mapped[str] = mapped_column(sa.String(64), default="")
    # Checkpoints: the other hub's hub_seq pulled up to; our hub_seq sent up to (by
    # push or by a bundle whose receipt came back).
    pull_seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    push_seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    push_epoch: Mapped[str] = mapped_column(sa.String(64), default="")
    remote_seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    failures: Mapped[int] = mapped_column(sa.Integer, default=0)


class PeerToken(db.Model):  # type: ignore[name-defined,misc]
    """A replication token this hub issued to a peer (only its hash is kept)."""

    __tablename__ = "peer_tokens"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    peer_id: Mapped[str] = mapped_column(sa.ForeignKey("peers.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # How far the peer has pulled from us with this token.
    last_pull_seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class BundleRecord(db.Model):  # type: ignore[name-defined,misc]
    """A bundle written (export) or read (import) by this hub."""

    __tablename__ = "bundles"
    __table_args__ = (
        sa.UniqueConstraint("bundle_id", "direction", name="uq_bundles_bundle_direction"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bundle_id: Mapped[str] = mapped_column(sa.String(64))
    direction: Mapped[str] = mapped_column(sa.String(10))  # "export" | "import"
    peer_name: Mapped[str] = mapped_column(sa.String(200), default="")
    source: Mapped[str] = mapped_column(sa.String(128), default="")
    recipient: Mapped[str] = mapped_column(sa.String(128), default="")
    seq_from: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    seq_to: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    changes: Mapped[int] = mapped_column(sa.Integer, default=0)
    accepted: Mapped[int] = mapped_column(sa.Integer, default=0)
    duplicate: Mapped[int] = mapped_column(sa.Integer, default=0)
    parked: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    receipt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
