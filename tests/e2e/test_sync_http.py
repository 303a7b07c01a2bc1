"""The reference client syncs with a real `tawthiq serve` over HTTP (gzip both ways)."""

from __future__ import annotations

import itertools
import re
import sqlite3
import uuid
from pathlib import Path

import pytest
import requests
from support.server import ServerProcess

from app.sync_transport import HttpTransport, SyncHttpError, urllib_sender
from sync import FetchedPage, Replica


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


# --- pull progress (`ack`) and the pipelined pull -------------------------------------


def _monitor_pull_seq(hub, origin_id: str) -> int:
    """What the "nothing lost" monitor shows as the device's pull progress."""
    r = hub.session.get(f"{hub.url}/api/v1/sync/peers", timeout=10)
    assert r.status_code == 200, r.text
    return next(d for d in r.json()["devices"] if d["origin_id"] == origin_id)["last_pull_seq"]


def _raw_pull(transport: HttpTransport, query: str):
    """One pull request exactly as written, and the hub's answer (status, body)."""
    reply = transport._send("GET", f"/api/v1/sync/pull?{query}", None, dict(transport._headers))
    return reply.status, reply.body


def _fill(hub, n: int) -> list[str]:
    """n new incidents on the hub (from a phone of their own); their op ids."""
    writer, tw = _phone(hub)
    for i in range(n):
        writer.write(
            str(uuid.uuid4()),
            "incident",
            "create",
            {"team_id": hub.team_id, "event_type": "armed_clash", "killed_max": i % 9},
        )
    ops = list(writer.outbox)
    assert writer.push(tw).pushed == n
    return ops


def _hub_ops(hub, upto: int | None = None) -> list[str]:
    """The changes the hub holds (up to hub_seq `upto`), in hub_seq order, read from its
    database."""
    con = sqlite3.connect(hub.data_dir / "tawthiq.db")
    try:
        rows = con.execute(
            "SELECT op_id FROM changes WHERE hub_seq <= ? ORDER BY hub_seq",
            (upto if upto is not None else 2**62,),
        )
        return [op for (op,) in rows]
    finally:
        con.close()


def test_ack_is_the_progress_the_monitor_shows(hub):
    """A device that fetched pages past what it acknowledged shows the acknowledged seq:
    progress never runs ahead of `ack`, never goes back, and is recorded when a pull
    reaches its last page (the pages before it are reads)."""
    _fill(hub, 6)
    phone, t = _phone(hub)
    status, first = _raw_pull(t, "since=0&limit=2")
    assert status == 200 and first["more"]
    status, second = _raw_pull(t, f"since={first['hub_seq']}&limit=2&ack=0")
    assert status == 200 and second["more"]
    assert _monitor_pull_seq(hub, phone.origin_id) == 0
    query = f"since={second['hub_seq']}&limit=2000&ack={first['hub_seq']}"
    status, last = _raw_pull(t, query)
    assert status == 200 and not last["more"]
    assert _monitor_pull_seq(hub, phone.origin_id) == first["hub_seq"]  # not second's
    status, _ = _raw_pull(t, f"since={last['hub_seq']}&limit=2000&ack=1")
    assert status == 200
    assert _monitor_pull_seq(hub, phone.origin_id) == first["hub_seq"]  # max, not the last
    status, _ = _raw_pull(t, f"since={last['hub_seq']}&limit=2000&ack={last['hub_seq']}")
    assert status == 200
    assert _monitor_pull_seq(hub, phone.origin_id) == last["hub_seq"]


def test_a_pull_without_ack_counts_since_as_before(hub):
    """An older client (or the browser) sends no `ack`: its progress is `since`, as it
    always was."""
    _fill(hub, 3)
    phone, t = _phone(hub)
    status, page = _raw_pull(t, "since=0&limit=2")
    assert status == 200 and page["more"] and len(page["changes"]) == 2
    assert _monitor_pull_seq(hub, phone.origin_id) == 0
    status, rest = _raw_pull(t, f"since={page['hub_seq']}&limit=2000")
    assert status == 200 and not rest["more"]
    assert _monitor_pull_seq(hub, phone.origin_id) == page["hub_seq"]


@pytest.mark.parametrize("ack", ["-1", "6", "x", "1.5", ""])
def test_a_bad_ack_is_refused_and_changes_nothing(hub, ack):
    """`ack` must be an integer from 0 to `since`: anything else is a 422 naming the
    field, and the device's recorded progress stays where it was."""
    _fill(hub, 6)
    phone, t = _phone(hub)
    status, _ = _raw_pull(t, "since=3&limit=2000&ack=2")
    assert status == 200 and _monitor_pull_seq(hub, phone.origin_id) == 2
    status, body = _raw_pull(t, f"since=5&limit=2000&ack={ack}")
    assert status == 422, body
    assert "ack" in body["error"]["fields"], body
    assert _monitor_pull_seq(hub, phone.origin_id) == 2


class _Watched(HttpTransport):
    """The phone's transport, checking every pull request as it leaves: its `ack` is at
    most what the replica has stored; and meanwhile other phones keep pushing."""

    def __init__(self, inner: HttpTransport, replica: Replica, during) -> None:
        super().__init__(inner._send, inner._headers["Authorization"].split()[1])
        self.replica, self.during = replica, during
        self.requests: list[tuple[int, int | None]] = []
        self.pages: list[list[str]] = []

    def pull_ahead(self, since: int, limit: int, ack: int | None):
        # Checked when the request is made, in the replica's thread.
        stored = self.replica.checkpoints.get("hub", 0)
        assert ack is None or ack <= stored, (ack, stored)
        self.requests.append((since, ack))
        waiting = super().pull_ahead(since, limit, ack)

        def page():
            fetched = waiting()

            def check():
                got = fetched.check()
                self.pages.append([c.op_id for c in got.changes])
                return got

            return FetchedPage(fetched.hub_seq, fetched.more, check)

        return page

    def _call(self, method: str, path: str, payload=None):
        if "/sync/pull" in path:
            self.during()
        return super()._call(method, path, payload)


def test_pipelined_pull_gets_exactly_the_hubs_changes_while_others_push(hub):
    """Pulling many pages with the next one always in flight, while another phone pushes
    between requests: every change the hub holds arrives once, none is missing, no
    request acknowledged more than was stored, and the closing request tells the hub all
    that was stored before it."""
    _fill(hub, 120)
    writer, tw = _phone(hub)
    phone, plain = _phone(hub)

    def push_some() -> None:
        for _ in range(3):
            writer.write(
                str(uuid.uuid4()),
                "incident",
                "create",
                {"team_id": hub.team_id, "event_type": "armed_clash", "killed_max": 1},
            )
        assert writer.push(tw).pushed == 3

    watched = _Watched(plain, phone, push_some)
    report = phone.pull(watched, "hub", page_size=7)
    assert len(watched.requests) > 20
    assert any(ack is not None and ack < since for since, ack in watched.requests)  # ahead
    last_since, last_ack = watched.requests[-1]
    assert last_ack == last_since  # the closing request
    served = [op for page in watched.pages for op in page]
    assert len(served) == len(set(served)) == report.pulled  # no duplicate
    upto = phone.checkpoints["hub"]
    assert served == _hub_ops(hub, upto)  # no gap, in the hub's order
    assert sorted(phone.log) == sorted(served)
    # The closing request acknowledged everything stored before it; what it brought (the
    # other phone pushed meanwhile) is acknowledged by the next pull, as after a
    # one-page pull.
    assert _monitor_pull_seq(hub, phone.origin_id) == last_ack <= upto
    phone.pull(plain, "hub", page_size=7)
    assert sorted(phone.log) == sorted(_hub_ops(hub))
    assert _monitor_pull_seq(hub, phone.origin_id) == upto


def test_a_failed_request_ahead_loses_nothing_and_the_next_pull_goes_on(hub):
    """The network fails on the third page request, sent while the second page is being
    stored: the pull stops with the error, what was stored stays with its checkpoint, the
    hub was told no more than that, and the next pull brings the rest, none twice."""
    _fill(hub, 30)
    phone, t = _phone(hub)
    real = t._send
    pulls = [0]

    def flaky(method, path, payload, headers):
        if "/sync/pull" in path:
            pulls[0] += 1
            if pulls[0] == 3:
                raise OSError("network down")
        return real(method, path, payload, headers)

    t._send = flaky
    with pytest.raises(OSError):
        phone.pull(t, "hub", page_size=5)
    stored = phone.checkpoints["hub"]
    assert len(phone.log) == 10 and stored > 0  # two pages of five
    assert _monitor_pull_seq(hub, phone.origin_id) <= stored
    phone.pull(t, "hub", page_size=5)
    assert sorted(phone.log) == sorted(_hub_ops(hub, phone.checkpoints["hub"]))
    assert _monitor_pull_seq(hub, phone.origin_id) == phone.checkpoints["hub"]
