"""Three real hubs in a triangle (A↔B, B↔C, C↔A), B on PostgreSQL, syncing in the
background every second (`serve --sync-every 1s`). Coordinators on all three edit at
random — their own team's records and, where the rule allows edits, the others' — while
C is cut off for a while. Afterwards every hub holds every change of the shared teams
and equal records, and nothing outside the sharing rules (a private team, a strictly
confidential record) ever reached B or C.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from support.hubs import Hub
from support.postgres import fresh_database

from app.extensions import db
from app.models import Peer

SHARED = ("Khaldiyeh", "Waer", "Rastan")  # one team on each of A, B, C


@pytest.fixture(scope="module")
def triangle(tmp_path_factory: pytest.TempPathFactory, postgres_admin_url: str | None):
    from conftest import need_postgres

    admin = need_postgres(postgres_admin_url)
    base = Path(tmp_path_factory.mktemp("triangle"))
    every = ("--sync-every", "1s")
    with fresh_database(admin) as b_url:
        a, b, c = (
            Hub("a", base, serve_args=every),
            Hub("b", base, b_url, every),
            Hub("c", base, serve_args=every),
        )
        a.team("Khaldiyeh")
        a.team("A private")
        b.team("Waer")
        c.team("Rastan")
        shared = [a.teams["Khaldiyeh"], b.teams["Waer"], c.teams["Rastan"]]
        a.coordinator("huda", "Khaldiyeh", "A private")
        b.coordinator("omar", "Waer")
        c.coordinator("sami", "Rastan")
        edits = {"allow_edits": True}
        # Each link is driven by one side only, with the token the other side issued.
        tok = b.issue_token("A", shared, readers=["Waer"], **edits)
        a.add_peer(
            "B", b.url, tok, shared, readers=["Khaldiyeh"], fingerprint=b.fingerprint(), **edits
        )
        tok = c.issue_token("B", shared, readers=["Rastan"], **edits)
        b.add_peer("C", c.url, tok, shared, readers=["Waer"], **edits)
        tok = a.issue_token("C", shared, readers=["Khaldiyeh"], **edits)
        c.add_peer("A", a.url, tok, shared, readers=["Rastan"], **edits)
        hubs = (a, b, c)
        try:
            for hub in hubs:
                hub.proc.start()
                hub.login()
            yield hubs, shared
        finally:
            for hub in hubs:
                hub.close()


def _create(hub: Hub, team: str, description: str, **extra: Any) -> str:
    rid = str(uuid.uuid4())
    r = hub.api(
        "POST",
        "/records",
        json={
            "id": rid,
            "kind": "incident",
            "team_id": hub.teams[team],
            "event_type": "shelling_artillery_missile",
            "description": description,
            **extra,
        },
    )
    assert r.status_code == 201, r.text
    return rid


def _random_edits(hub: Hub, rnd: random.Random, n: int, shared: list[str]) -> int:
    r = hub.api("GET", "/records?limit=200")
    assert r.status_code == 200, r.text
    visible = [x["id"] for x in r.json()["records"] if x["team_id"] in shared]
    done = 0
    for i in range(n):
        if not visible:
            break
        rid = rnd.choice(visible)
        body = (
            {"description": f"{hub.name} edit {i} {rnd.random():.6f}"}
            if rnd.random() < 0.7
            else {"killed_max": rnd.randint(0, 50)}
        )
        r = hub.api("PATCH", f"/records/{rid}", json=body)
        assert r.status_code in (200, 409), r.text  # 409: a conflict waits for a person
        done += r.status_code == 200
    return done


def _entitled(hub: Hub, shared: list[str], excluded: set[str]) -> tuple[dict, set[str]]:
    teams = ",".join(f"'{t}'" for t in shared)
    records = {
        rid: json.loads(state) if isinstance(state, str) else state
        for rid, state in hub.query(f"SELECT id, state FROM records WHERE team_id IN ({teams})")  # noqa: S608
        if rid not in excluded
    }
    ops = {
        op
        for op, rid in hub.query(f"SELECT op_id, record_id FROM changes WHERE team_id IN ({teams})")  # noqa: S608
        if rid not in excluded
    }
    return records, ops


def _set_peer_url(hub: Hub, name: str, url: str) -> None:
    from app.database import begin_write

    with hub.ctx():
        begin_write()
        peer = db.session.query(Peer).filter_by(name=name).one()
        peer.url = url
        db.session.commit()


def test_triangle_converges_and_keeps_private_data_home(triangle) -> None:
    (a, b, c), shared = triangle
    rnd = random.Random(20261126)
    canary = f"CANARY-{uuid.uuid4().hex}"
    private = _create(a, "A private", f"{canary} private team")
    secret = _create(
        a, "Khaldiyeh", f"{canary} strictly confidential", sensitivity="strictly_confidential"
    )
    excluded = {private, secret}
    for hub, team in zip((a, b, c), SHARED, strict=True):
        for i in range(4):
            _create(hub, team, f"{hub.name} report {i}", killed_max=i)

    def converged(timeout: float) -> tuple[dict, set[str]]:
        deadline = time.monotonic() + timeout
        while True:
            views = [_entitled(h, shared, excluded) for h in (a, b, c)]
            if all(v == views[0] for v in views[1:]) and len(views[0][0]) >= 12:
                return views[0]
            if time.monotonic() > deadline:
                sizes = [(len(r), len(o)) for r, o in views]
                pytest.fail(f"no convergence in {timeout}s: records/ops per hub {sizes}")
            time.sleep(0.5)

    converged(60)
    # Everyone edits everyone's shared records (the rules allow edits) ...
    for hub in (a, b, c):
        _random_edits(hub, rnd, 6, shared)
    # ... then C is cut off: its links point nowhere, while all three keep working.
    dead = "http://127.0.0.1:9"
    real_c, real_a = a.url.replace(a.url, c.url), a.url
    _set_peer_url(b, "C", dead)
    _set_peer_url(c, "A", dead)
    for round_ in range(3):
        for hub in (a, b, c):
            _create(hub, SHARED[(a, b, c).index(hub)], f"{hub.name} offline-era {round_}")
            _random_edits(hub, rnd, 4, shared)
        time.sleep(1.5)
    with b.ctx():
        failing = db.session.query(Peer).filter_by(name="C").one()
        assert failing.failures > 0 and failing.last_error
    _set_peer_url(b, "C", real_c)
    _set_peer_url(c, "A", real_a)
    records, _ops = converged(90)
    assert len(records) >= 12 + 9

    # Nothing outside the rules reached B or C: not the private team, not the strictly
    # confidential record, not in the change log, the cache or the parked changes.
    private_ops = {
        op
        for (op,) in a.query(
            "SELECT op_id FROM changes WHERE record_id IN (:p, :s)", p=private, s=secret
        )
    }
    assert len(private_ops) >= 2
    for hub in (b, c):
        for table, column in (("changes", "body"), ("parked_changes", "body")):
            hits = hub.query(
                f"SELECT count(*) FROM {table} WHERE {column} LIKE :c",  # noqa: S608
                c=f"%{canary}%",
            )
            assert hits[0][0] == 0, (hub.name, table)
        held = {op for (op,) in hub.query("SELECT op_id FROM changes")}
        assert not held & private_ops
        assert not hub.query("SELECT id FROM records WHERE id IN (:p, :s)", p=private, s=secret)
        teams = {t for (t,) in hub.query("SELECT id FROM teams")}
        assert a.teams["A private"] not in teams
    # Remote teams exist locally, marked with their origin hub; loops were harmless.
    rows = dict(b.query("SELECT id, origin_hub FROM teams"))
    assert rows[a.teams["Khaldiyeh"]] == a.hub_id() and rows[b.teams["Waer"]] is None
    for hub in (a, b, c):
        dupes = hub.query("SELECT op_id, count(*) FROM changes GROUP BY op_id HAVING count(*) > 1")
        assert not dupes
        assert not hub.query("SELECT reason FROM parked_changes WHERE resolved_at IS NULL"), (
            hub.name
        )
    # The monitor shows each link with its last exchange.
    r = a.api("GET", "/sync/peers")
    assert r.status_code == 200


def test_peer_commands_pin_revoke_and_monitor(triangle) -> None:
    """The CLI end of it, against the running hubs of the triangle."""
    from support.hubs import run_cli

    (a, b, _c), _shared = triangle
    out = run_cli(a, "peer", "sync", "B")
    assert out.exit_code == 0, out.output
    assert out.output.startswith("B: pushed ")

    listed = run_cli(a, "peer", "list")
    names = [json.loads(line)["name"] for line in listed.output.splitlines()]
    assert names == ["B", "C"]
    monitor = a.api("GET", "/sync/peers")
    assert monitor.status_code == 200
    assert monitor.json()["peers"] == []  # a coordinator, not an admin: peers are admin's
    with a.ctx():
        from app.services.sync_monitor import peers

        view = {p["name"]: p for p in peers()}
    assert view["B"]["hub_id"] == b.hub_id() and view["B"]["last_exchange_at"]
    assert view["B"]["lag_to_peer"] == 0
    assert view["C"]["tokens"][0]["last_pull_seq"] > 0

    # B shows keys that are not the pinned ones: A refuses before anything moves.
    from app.database import begin_write

    with a.ctx():
        begin_write()
        peer = db.session.query(Peer).filter_by(name="B").one()
        real, peer.fingerprint = peer.fingerprint, "0000 1111 2222 3333"
        db.session.commit()
    out = run_cli(a, "peer", "sync", "B")
    assert out.exit_code != 0 and "do not match the pinned fingerprint" in out.output
    with a.ctx():
        begin_write()
        db.session.query(Peer).filter_by(name="B").one().fingerprint = real
        db.session.commit()

    # Tokens from the CLI; a revoked token stops the peer at once.
    made = run_cli(
        b, "peer", "token", "create", "--for", "Later", "--teams", "Waer", "--expires", "1h"
    )
    assert made.exit_code == 0, made.output
    assert made.output.strip().splitlines()[-1].startswith("tpr_")
    assert run_cli(b, "peer", "token", "revoke", "A").exit_code == 0
    out = run_cli(a, "peer", "sync", "B")
    assert out.exit_code != 0 and "token_revoked" in out.output
