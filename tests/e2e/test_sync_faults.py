"""Faults on a real `tawthiq serve`: kill -9 around the commit, a database error midway
through a batch. Whatever happens, a retry converges: no change lost, none stored twice,
the records cache equal to the materialisation of the changes, hub_seq without gaps.

The faults come from the test-only hook `app/faults.py` (TAWTHIQ_FAULTS), which is inert
when the variable is unset: the first tests prove that.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from support.hub_process import (
    HubData,
    Phone,
    assert_cache_is_materialisation,
    hub_changes,
    login,
    prepare_hub,
)

from app import faults
from sync import Change, materialise

ROOT = Path(__file__).resolve().parents[2]

_TRACE = """
import sys
called = set()
def tracer(frame, event, arg):
    if event == "call" and frame.f_code.co_filename.endswith("faults.py"):
        called.add(frame.f_code.co_name)
sys.setprofile(tracer)
from app import faults
from app.services import changelog, sync_push  # the modules with hooks import cleanly
import app.api.sync
for name in ("push.change", "push.before_commit", "push.after_commit"):
    for _ in range(3):
        faults.point(name, 3)
        faults.point(name)
sys.setprofile(None)
print(sorted(called), faults.point is faults._off, faults.RULES, faults._hits)
"""


def test_fault_hook_is_inert_when_unset() -> None:
    """Without TAWTHIQ_FAULTS nothing is parsed and every point is the empty `_off`:
    the only code of app/faults.py that runs is its module body and `_off` itself."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAWTHIQ_FAULTS")}
    out = subprocess.run(
        [sys.executable, "-c", _TRACE], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("] ", 1)[1].strip() == "True {} {}"
    called = set(eval(out.stdout.split("] ", 1)[0] + "]"))  # noqa: S307 (our own output)
    assert called <= {"<module>", "Rule", "_off"}, called
    assert "FAULT INJECTION" not in out.stderr
    # And in this very test process (whose server code paths the suite exercises):
    assert "TAWTHIQ_FAULTS" not in os.environ
    assert faults.point is faults._off and faults.RULES == {}


def test_fault_spec_is_parsed_strictly() -> None:
    """A set variable is parsed whole; a typo is an error, never a silently inert fault."""
    rules = faults.parse("push.change=error@3, push.before_commit=hold:held/x:y@1")
    assert rules["push.change"] == faults.Rule("push.change", "error", "", 3)
    assert rules["push.before_commit"] == faults.Rule("push.before_commit", "hold", "held/x:y", 1)
    assert faults.parse("push.after_commit=kill")["push.after_commit"].at is None
    for bad in ("push.commit=kill", "push.change=explode", "push.change=hold", "kill"):
        with pytest.raises(ValueError):
            faults.parse(bad)
    env = {**os.environ, "TAWTHIQ_FAULTS": "push.after_comit=kill"}
    out = subprocess.run(
        [sys.executable, "-c", "import app.faults"], env=env, cwd=ROOT, capture_output=True
    )
    assert out.returncode != 0  # a server with a mistyped fault does not start


@pytest.fixture(params=["sqlite", "postgres"])
def hub(request: pytest.FixtureRequest, tmp_path: Path) -> HubData:
    """A fresh hub on each backend (a fresh PostgreSQL database for the second)."""
    url = None
    if request.param == "postgres":
        from conftest import need_postgres
        from support.postgres import fresh_database

        admin = need_postgres(request.getfixturevalue("postgres_admin_url"))
        ctx = fresh_database(admin)
        url = ctx.__enter__()
        request.addfinalizer(lambda: ctx.__exit__(None, None, None))
    return prepare_hub(tmp_path / "data", url)


def _writes(phone: Phone, team_id: str, records: int = 2) -> list[Change]:
    """A batch: creates, then patches of the same records (several changes per record)."""
    out = []
    rids = [str(uuid.uuid4()) for _ in range(records)]
    for i, rid in enumerate(rids):
        out.append(
            phone.replica.write(
                rid,
                "incident",
                "create",
                {"team_id": team_id, "event_type": "armed_clash", "killed_max": i},
            )
        )
    for i, rid in enumerate(rids):
        out.append(phone.replica.write(rid, "incident", "patch", {"killed_max": 10 + i}))
    out.append(phone.replica.write(rids[0], "incident", "patch", {"description": "قصف"}))
    return out


def _statuses(phone: Phone, batch: list[Change]) -> list[str]:
    reply = phone.push_raw(batch)
    assert reply.status == 200, reply.body
    assert [r["op_id"] for r in reply.body["results"]] == [c.op_id for c in batch]
    return [r["status"] for r in reply.body["results"]]


def _counter(db_url: str) -> int:
    engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        value = conn.execute(
            sa.text("SELECT value FROM hub_counters WHERE name = 'hub_seq'")
        ).scalar()
    engine.dispose()
    return int(value or 0)


def test_kill_before_and_after_commit_then_retry_converges(hub: HubData) -> None:
    """kill -9 before the commit: nothing stored, the retry is accepted. kill -9 after the
    commit but before the answer: everything stored, the retry answers duplicate. Either
    way the phone's outbox empties only on a true answer, and the hub ends equal to the
    materialisation of its changes with hub_seq 1..N."""
    server = hub.server(TAWTHIQ_FAULTS="push.before_commit=kill").start()
    session, csrf = login(server.url, hub.username)
    phone = Phone(server.url, session, csrf)
    batch = _writes(phone, hub.team_id)

    with pytest.raises(OSError):  # the connection dies with the server
        phone.sync()
    assert server.proc is not None and server.proc.wait(10) == -9
    assert hub_changes(hub.db_url) == [] and _counter(hub.db_url) == 0
    assert phone.replica.outbox == [c.op_id for c in batch]

    server = hub.server(TAWTHIQ_FAULTS="push.after_commit=kill").start()
    phone.base_url = server.url
    with pytest.raises(OSError):
        phone.sync()
    assert server.proc is not None and server.proc.wait(10) == -9
    held = assert_cache_is_materialisation(hub.db_url)
    assert [c.op_id for _, c in held] == [c.op_id for c in batch]  # committed, unanswered
    assert phone.replica.outbox == [c.op_id for c in batch]  # so the phone keeps them

    server = hub.server().start()
    try:
        phone.base_url = server.url
        assert _statuses(phone, batch) == ["duplicate"] * len(batch)
        report = phone.sync()
        assert report.pushed == len(batch) and not report.problems
        assert phone.replica.outbox == []
        more = _writes(phone, hub.team_id, records=1)
        assert phone.sync().pushed == len(more)
    finally:
        server.stop()
    held = assert_cache_is_materialisation(hub.db_url)
    assert [c.op_id for _, c in held] == [c.op_id for c in batch + more]
    assert _counter(hub.db_url) == len(held)
    assert phone.replica.records() == materialise(c for _, c in held)


def test_database_error_midway_reports_truth_and_converges(hub: HubData) -> None:
    """A database error on change 3 of 5 (after the batch took its hub_seq range): the
    push answers an error and stores nothing — no change, no counter step, no parked
    copy; nothing is claimed. Batches that do not reach a third fresh change pass (their
    hub_seq follows on without a gap). Retried on a healthy server, the batch is accepted."""
    server = hub.server(TAWTHIQ_FAULTS="push.change=error@3").start()
    try:
        session, csrf = login(server.url, hub.username)
        phone = Phone(server.url, session, csrf)
        batch = _writes(phone, hub.team_id)
        assert len(batch) == 5
        reply = phone.push_raw(batch)
        assert reply.status == 500, reply.body
        assert reply.body["error"]["code"] == "server_error"
        assert "results" not in reply.body
        assert hub_changes(hub.db_url) == [] and _counter(hub.db_url) == 0
        with pytest.raises(Exception, match="500"):
            phone.sync()
        assert phone.replica.outbox == [c.op_id for c in batch]

        # A batch of two fresh changes never reaches the fault: stored, from hub_seq 1.
        other = Phone(server.url, session, csrf)
        rid = str(uuid.uuid4())
        small = [
            other.replica.write(rid, "incident", "create", {"team_id": hub.team_id}),
            other.replica.write(rid, "incident", "patch", {"killed_max": 3}),
        ]
        assert _statuses(other, small) == ["accepted", "accepted"]
        assert [seq for seq, _ in hub_changes(hub.db_url)] == [1, 2]
        # Held changes do not count towards the fault: a resend is all duplicates.
        assert _statuses(other, small) == ["duplicate", "duplicate"]
    finally:
        server.stop()

    server = hub.server().start()
    try:
        phone.base_url = other.base_url = server.url
        assert _statuses(phone, batch) == ["accepted"] * 5
        assert phone.sync().pushed == 5 and phone.replica.outbox == []
        assert other.sync().pushed == 2
    finally:
        server.stop()
    held = assert_cache_is_materialisation(hub.db_url)
    assert sorted(c.op_id for _, c in held) == sorted(c.op_id for c in batch + small)
    engine = sa.create_engine(hub.db_url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM parked_changes")).scalar() == 0
    engine.dispose()
