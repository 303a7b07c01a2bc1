"""Soak: many devices syncing with a real server over a lossy link (`make soak`).

Devices write (their own records and edits of shared ones), sometimes stay offline for a
round, and sync through `LossyProxy`, which drops requests, drops answers after the
server committed (lost acknowledgements), truncates answers and delays. After a quiet
phase the monitor (`GET /api/v1/sync/peers`, as a coordinator) shows `missing == 0` for
every device, the hub's records equal the materialisation of its changes, and every
device holds exactly that.

The 50-device runs are marked `slow` (deselected by default); a small run of the same
loop stays in the default suite so the code keeps working.
"""

from __future__ import annotations

import http.client
import random
import uuid
import zlib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from support.hub_process import (
    HubData,
    Phone,
    assert_cache_is_materialisation,
    login,
    prepare_hub,
)
from support.lossy_proxy import LossyProxy

from app.sync_transport import SyncHttpError
from sync import materialise

# What a broken link looks like to the client: the sync is simply tried again later.
LINK_ERRORS = (OSError, http.client.HTTPException, ValueError, EOFError, zlib.error)


def _hub(request: pytest.FixtureRequest, tmp_path: Path, backend: str) -> HubData:
    url = None
    if backend == "postgres":
        from conftest import need_postgres
        from support.postgres import fresh_database

        admin = need_postgres(request.getfixturevalue("postgres_admin_url"))
        ctx = fresh_database(admin)
        url = ctx.__enter__()
        request.addfinalizer(lambda: ctx.__exit__(None, None, None))
    return prepare_hub(tmp_path / "data", url)


def soak(hub: HubData, devices: int, rounds: int, *, seed: int, workers: int = 8) -> Counter:
    """Run the loop; returns the proxy's fate counts and the client-side errors."""
    server = hub.server().start()
    proxy = LossyProxy(server.port, seed=seed, max_faults=devices * rounds)
    rng = random.Random(seed)
    errors: Counter[str] = Counter()
    try:
        session, csrf = login(server.url, hub.username)
        phones = [Phone(server.url, session, csrf, f"phone {i}") for i in range(devices)]
        shared = [str(uuid.uuid4()) for _ in range(5)]
        for rid in shared:
            phones[0].replica.write(rid, "incident", "create", {"team_id": hub.team_id})
        assert phones[0].sync().pushed == len(shared)
        for phone in phones:
            phone.base_url = proxy.url
        plans = {id(p): random.Random(rng.random()) for p in phones}

        def step(phone: Phone, r: int) -> None:
            prng = plans[id(phone)]
            if r == 0 or prng.random() < 0.3:
                rid = str(uuid.uuid4())
                phone.replica.write(
                    rid, "incident", "create", {"team_id": hub.team_id, "killed_max": r}
                )
            for _ in range(prng.randint(0, 3)):
                held = sorted(phone.replica.records())
                if held:
                    rid = prng.choice(held)
                    name = prng.choice(["description", "killed_min", "location_detail"])
                    value = prng.randint(0, 50) if name == "killed_min" else f"{r}-{prng.random()}"
                    phone.replica.write(rid, "incident", "patch", {name: value})
            if prng.random() < 0.2:
                return  # offline this round
            try:
                report = phone.sync(page_size=prng.choice([3, 50, 500]))
                assert not report.problems, report.problems
            except SyncHttpError as exc:  # the hub must never refuse a good change
                errors[f"http {exc.status}"] += 1
                raise
            except LINK_ERRORS as exc:
                errors[type(exc).__name__] += 1

        with ThreadPoolExecutor(workers) as pool:
            for r in range(rounds):
                list(pool.map(lambda p, r=r: step(p, r), phones))
            proxy.heal()
            for _ in range(3):  # the quiet phase: everyone syncs, twice over
                list(pool.map(lambda p: p.sync(), phones))

        changes = [c for _, c in assert_cache_is_materialisation(hub.db_url)]
        expected = materialise(changes)
        for phone in phones:
            assert phone.replica.outbox == []
            assert phone.replica.records() == expected
        assert len(changes) == sum(p.replica.next_seq - 1 for p in phones)

        monitor = session.get(f"{server.url}/api/v1/sync/peers", timeout=60)
        assert monitor.status_code == 200, monitor.text
        seen = {d["origin_id"]: d for d in monitor.json()["devices"]}
        for phone in phones:
            entry = seen[phone.replica.origin_id]
            assert entry["missing"] == 0, entry
            assert entry["reported_seq"] == entry["hub_holds_seq"] == phone.replica.next_seq - 1
            assert entry["parked"] == 0
    finally:
        proxy.close()
        server.stop()
    return proxy.stats + errors


@pytest.mark.parametrize("backend", ["sqlite"])
def test_small_lossy_loop(request: pytest.FixtureRequest, tmp_path: Path, backend: str) -> None:
    """The soak loop, small: 6 devices, 4 rounds, on SQLite."""
    stats = soak(_hub(request, tmp_path, backend), devices=6, rounds=4, seed=7, workers=3)
    assert stats["pass"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_fifty_devices_over_a_lossy_link(
    request: pytest.FixtureRequest, tmp_path: Path, backend: str
) -> None:
    """50 devices, 12 rounds, through a link that drops, truncates and delays."""
    stats = soak(_hub(request, tmp_path, backend), devices=50, rounds=12, seed=2024)
    print(dict(stats))
    for fate in ("drop_request", "drop_answer", "truncate", "delay"):
        assert stats[fate] > 0, stats
