"""This hub opens the connection to a peer and moves changes both ways.

Often only one side can reach the other, so the side that can drives both directions
over the peer's ordinary sync endpoints, with the token the peer issued:

1. handshake: send a nonce and our public keys; check that the answer's keys match the
   pinned fingerprint (pinned on first contact when none was given) and that the answer
   is signed with them; learn the peer's rule for us and its watermark;
2. push: what our rule lets the peer hold, after our push checkpoint, in pages taken
   from our own change log exactly as pull would serve them (widening included);
3. pull: pages after our pull checkpoint, each applied through the push path under our
   rule for the peer, then the checkpoint — data first, so a crash repeats a page at
   worst and never skips one.

`run_periodically` does this for every peer with a URL in a background thread of
`tawthiq serve --sync-every`, retrying failed peers with exponential backoff.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import Flask

from app.api.errors import ApiError
from app.database import begin_write
from app.db_types import utcnow
from app.extensions import db
from app.models import Peer
from app.schemas.records import SCHEMA_VERSION
from app.services import hub_keys, peer_rules, peer_serve, sync_serve
from app.sync_transport import Ahead, Sender, SyncHttpError, pull_path, urllib_sender
from sync import pull_pipelined

log = logging.getLogger("tawthiq.peers")
PAGE = 500


class PeerSyncError(Exception):
    """A sync with a peer could not be done (the message says why)."""


@dataclass
class PeerReport:
    pushed: int = 0
    pulled: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    remote_parked: int = 0
    forgotten: int = 0

    def count(self, results: list[dict[str, Any]], into: dict[str, int]) -> None:
        for r in results:
            into[r["status"]] = into.get(r["status"], 0) + 1

    def line(self) -> str:
        local = ", ".join(f"{k} {v}" for k, v in sorted(self.statuses.items())) or "nothing new"
        return (
            f"pushed {self.pushed} (parked there: {self.remote_parked}), pulled {self.pulled} "
            f"({local}), forgotten {self.forgotten}"
        )


class _Link:
    def __init__(self, send: Sender, token: str) -> None:
        self.send = send
        self.headers = {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, payload: Any = None) -> Any:
        reply = self.send(method, path, payload, dict(self.headers))
        if reply.status >= 400:
            raise SyncHttpError(reply.status, reply.body)
        return reply.body


def handshake(peer: Peer, link: _Link) -> dict[str, Any]:
    """Introduce ourselves, verify the peer's keys against the pin, learn its rule."""
    keys = hub_keys.current()
    challenge = secrets.token_urlsafe(24)
    answer = link.call(
        "POST",
        "/api/v1/sync/handshake",
        {
            "origin_id": hub_keys.hub_id(),
            "schema_version": SCHEMA_VERSION,
            "app_version": "tawthiq-hub",
            "clock": int(utcnow().timestamp() * 1000),
            "have": {},
            "own_seq": 0,
            "access_epoch": peer.remote_epoch or None,
            "challenge": challenge,
            "hub_keys": keys.public,
            "rule": peer_rules.describe_rule(peer),
        },
    )
    shown = answer.get("hub_keys")
    if not isinstance(shown, dict) or "signing" not in shown:
        raise PeerSyncError(f"{peer.name} did not show hub keys: is it a Tawthiq hub?")
    fingerprint = hub_keys.fingerprint_of(shown)
    proof = peer_serve.handshake_proof(challenge, str(answer["hub_id"]), fingerprint)
    if not hub_keys.verify(shown["signing"], str(answer.get("proof") or ""), proof):
        raise PeerSyncError(f"{peer.name} answered with keys it could not prove it holds.")
    begin_write()
    try:
        peer_serve.pin(peer, str(answer["hub_id"]), shown)
    except ApiError as exc:
        db.session.rollback()
        raise PeerSyncError(exc.message + " Refusing to sync.") from exc
    if answer.get("access_epoch") != peer.remote_epoch:
        peer.pull_seq = 0  # what we may hold changed: pull again (applying is idempotent)
        peer.remote_epoch = str(answer.get("access_epoch") or "")
    peer.remote_rule = answer.get("rule") or {}
    peer.remote_seq = int(answer.get("hub_seq") or 0)
    rule = peer_rules.effective_rule(peer)
    local = peer_rules.local_team_ids()
    peer_rules.ensure_teams(
        [t for t in peer.remote_rule.get("teams", []) if t["id"] in rule.teams - local],
        peer.hub_id or "",
    )
    db.session.commit()
    return dict(answer)


def push_to(peer: Peer, link: _Link, report: PeerReport, limit: int = PAGE) -> None:
    """Send what our rule lets the peer hold, after the push checkpoint."""
    rule = peer_rules.effective_rule(peer)
    epoch = peer_rules.rule_epoch(peer, rule)
    if epoch != peer.push_epoch:
        begin_write()
        peer.push_seq, peer.push_epoch = 0, epoch
        db.session.commit()
    principal = peer_rules.rule_principal(peer)
    while True:
        page = sync_serve.pull(principal, None, peer.push_seq, limit)
        if page["changes"]:
            results = link.call("POST", "/api/v1/sync/push", {"changes": page["changes"]})[
                "results"
            ]
            report.pushed += sum(r["status"] in ("accepted", "duplicate") for r in results)
            report.remote_parked += sum(r["status"] == "parked" for r in results)
        if page["hub_seq"] != peer.push_seq:
            begin_write()
            peer.push_seq = page["hub_seq"]
            db.session.commit()
        if not page["more"]:
            return


def pull_from(peer: Peer, link: _Link, report: PeerReport, limit: int = PAGE) -> None:
    """Fetch and apply pages after the pull checkpoint (data first, then checkpoint).

    The next page is fetched in a thread while this one is applied, acknowledging only
    the checkpoint already stored (`sync.pull_pipelined`); only HTTP runs in that thread,
    never the database.
    """
    via = f"peer:{peer.id}"
    peer_id = peer.id

    def ahead(since: int, ack: int | None) -> Ahead[dict[str, Any]]:
        return Ahead(lambda: link.call("GET", pull_path(since, limit, ack)))

    def store(page: dict[str, Any]) -> int:
        changes = page["changes"]
        here = db.session.get(Peer, peer_id)
        assert here is not None
        if changes:
            results = peer_serve.apply_from_peer(here, changes, via)
            report.pulled += len(changes)
            report.count(results, report.statuses)
        report.forgotten += peer_serve.forget_records(list(page.get("forget") or []))
        begin_write()
        here = db.session.get(Peer, peer_id)
        assert here is not None
        if int(page["hub_seq"]) != here.pull_seq:
            here.pull_seq = int(page["hub_seq"])
        db.session.commit()
        return int(here.pull_seq)

    pull_pipelined(
        int(peer.pull_seq), ahead, store, lambda page: (int(page["hub_seq"]), bool(page["more"]))
    )


def sync_peer(name: str, *, send: Sender | None = None, limit: int = PAGE) -> PeerReport:
    """Handshake, push, pull with one peer; the outcome is kept on the peer row."""
    peer = peer_rules.find_peer(name)
    if not peer.url or not peer.token:
        raise PeerSyncError(
            f"{name} has no URL and token here; it connects to us, or add them with "
            "`tawthiq peer add NAME URL --token TOKEN`."
        )
    peer_id = peer.id
    started = utcnow()
    link = _Link(send or urllib_sender(peer.url.rstrip("/"), timeout=60), peer.token)
    report = PeerReport()
    try:
        handshake(peer, link)
        push_to(peer, link, report, limit)
        pull_from(peer, link, report, limit)
    except (PeerSyncError, SyncHttpError, OSError, ValueError, KeyError) as exc:
        db.session.rollback()
        begin_write()
        failed = db.session.get(Peer, peer_id)
        assert failed is not None
        failed.failures = (failed.failures or 0) + 1
        failed.last_attempt_at = started
        failed.last_error = str(exc)[:2000] or exc.__class__.__name__
        db.session.commit()
        if isinstance(exc, PeerSyncError):
            raise
        raise PeerSyncError(f"sync with {name} failed: {exc}") from exc
    begin_write()
    done = db.session.get(Peer, peer_id)
    assert done is not None
    moved = report.pushed or report.pulled or done.failures
    stale = done.last_success_at is None or started - done.last_success_at > timedelta(seconds=30)
    if moved or stale:  # each write is one SQLite writer more: only when it tells something
        done.last_attempt_at = done.last_success_at = started
        done.failures = 0
        done.last_error = ""
        db.session.commit()
    return report


def backoff_seconds(failures: int, every: float) -> float:
    """After n failures in a row, wait 5 s, 10 s, 20 s … but never longer than `every`."""
    if failures <= 0:
        return every
    return float(min(every, 5 * 2 ** (failures - 1)))


def run_periodically(app: Flask, every: float, stop: threading.Event) -> None:
    """Sync every peer that has a URL, each on its own schedule, until `stop` is set."""
    due: dict[str, float] = {}
    while not stop.is_set():
        with app.app_context():
            try:
                peers = [(p.id, p.name) for p in db.session.query(Peer).all() if p.url and p.token]
            except Exception:  # the database may be briefly unavailable
                log.exception("cannot list peers")
                peers = []
            for peer_id, name in peers:
                now = time.monotonic()
                if due.get(peer_id, 0) > now or stop.is_set():
                    continue
                try:
                    report = sync_peer(name)
                    log.info("peer %s: %s", name, report.line())
                    due[peer_id] = time.monotonic() + every
                except Exception as exc:
                    db.session.rollback()
                    row = db.session.get(Peer, peer_id)
                    failures = row.failures if row is not None else 1
                    wait = backoff_seconds(failures, every)
                    log.warning("peer %s: %s (next try in %.0f s)", name, exc, wait)
                    due[peer_id] = time.monotonic() + wait
            db.session.remove()
        stop.wait(min(1.0, every))


def start_background(app: Flask, every: float) -> threading.Event:
    """Start the periodic sync thread; set the returned event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run_periodically, args=(app, every, stop), name="tawthiq-peer-sync", daemon=True
    )
    thread.start()
    return stop
