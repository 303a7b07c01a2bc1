"""The reference client syncs with a real `tawthiq serve` over HTTP (gzip both ways)."""

from __future__ import annotations

import itertools
import re
import uuid
from pathlib import Path

import pytest
import requests
from support.server import ServerProcess

from app.sync_transport import HttpTransport, SyncHttpError, urllib_sender
from sync import Replica


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory):
    proc = ServerProcess(Path(tmp_path_factory.mktemp("hub")) / "data")
    assert proc.cli("setup").returncode == 0
    team_id = proc.cli("team", "create", "Rastan").stdout.strip()
    out = proc.cli("user", "create", "huda", "--team", "Rastan", "--role", "coordinator").stdout
    password = re.search(r"\(shown once\): (\S+)", out).group(1)
    proc.start()
    s = requests.Session()
    r = s.post(
        f"{proc.url}/api/v1/session",
        json={"username": "huda", "password": password},
        headers={"X-CSRF-Token": "x"},
        timeout=10,
    )
    csrf = r.json()["csrf_token"]
    r = s.post(
        f"{proc.url}/api/v1/session/password",
        json={"current_password": password, "new_password": "a much longer secret"},
        headers={"X-CSRF-Token": csrf},
        timeout=10,
    )
    assert r.status_code == 204, r.text
    proc.session, proc.csrf, proc.team_id = s, csrf, team_id  # type: ignore[attr-defined]
    yield proc
    proc.stop()


def _phone(hub) -> tuple[Replica, HttpTransport]:
    clock = itertools.count(1_800_000_000_000, 1000)
    replica = Replica(
        f"dev-{uuid.uuid4()}", "", clock=lambda: next(clock), new_id=lambda: str(uuid.uuid4())
    )
    r = hub.session.post(
        f"{hub.url}/api/v1/devices",
        headers={"X-CSRF-Token": hub.csrf},
        json={"name": "phone", "origin_id": replica.origin_id, "public_key": "k"},
        timeout=10,
    )
    assert r.status_code == 201, r.text
    replica.author = r.json()["device"]["user_id"]
    return replica, HttpTransport(urllib_sender(hub.url), r.json()["token"])


def test_two_phones_sync_over_http(hub):
    """A batch big enough to be gzipped goes up from one phone and down to another."""
    a, ta = _phone(hub)
    b, tb = _phone(hub)
    rids = []
    for i in range(60):
        rid = str(uuid.uuid4())
        rids.append(rid)
        a.write(
            rid,
            "incident",
            "create",
            {
                "team_id": hub.team_id,
                "event_type": "armed_clash",
                "description": "اشتباكات في الرستن " * 5,
                "killed_max": i,
            },
        )
    report = a.sync(ta, "hub")
    assert report.pushed == 60 and not report.problems
    b.sync(tb, "hub", page_size=25)
    assert {r for r in rids if b.record(r) is not None} == set(rids)
    assert b.record(rids[7]).values["killed_max"] == 7


def test_revoked_token_fails_cleanly(hub):
    """After revocation the transport raises a clear error with the hub's code."""
    a, ta = _phone(hub)
    devices = hub.session.get(f"{hub.url}/api/v1/devices", timeout=10).json()["devices"]
    mine = next(d for d in devices if d["origin_id"] == a.origin_id)
    r = hub.session.post(
        f"{hub.url}/api/v1/devices/{mine['id']}/revoke",
        headers={"X-CSRF-Token": hub.csrf},
        timeout=10,
    )
    assert r.status_code == 200 and r.json()["revoked"] is True
    with pytest.raises(SyncHttpError) as err:
        a.sync(ta, "hub")
    assert err.value.status == 401 and err.value.code == "device_revoked"
