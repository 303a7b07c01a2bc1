"""Ordering and races on PostgreSQL, against a real `tawthiq serve`.

1. A push held open after it took its hub_seq range (fault hook) while another push is in
   flight and a puller reads with limit=1: the puller never sees a later seq before the
   held one commits, and never skips a change (the counter row is updated last and pull
   serves only up to the committed counter: the watermark).
2. 16 devices push concurrently edits of the same few records: every concurrent
   same-field write survives as a conflict candidate; none is collapsed by a
   read-decide-write race (record rows are locked around conflict detection).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.hub_process import (
    HubData,
    Phone,
    Puller,
    assert_cache_is_materialisation,
    login,
    prepare_hub,
)

from sync import Change, materialise

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_hub(postgres_admin_url: str | None, tmp_path: Path) -> Iterator[HubData]:
    from conftest import need_postgres
    from support.postgres import fresh_database

    with fresh_database(need_postgres(postgres_admin_url)) as url:
        yield prepare_hub(tmp_path / "data", url)


def _create(phone: Phone, team_id: str, **values: Any) -> Change:
    return phone.replica.write(
        str(uuid.uuid4()),
        "incident",
        "create",
        {"team_id": team_id, "event_type": "armed_clash", **values},
    )


def test_held_push_is_never_skipped_by_a_limit_1_puller(pg_hub: HubData, tmp_path: Path) -> None:
    """Push A takes hub_seq 2..3 and is held before its commit; push B (another device,
    other records) is sent meanwhile; a limit=1 puller loops. While A is held the
    watermark stays at 1: the puller sees nothing past the seed, and B cannot commit a
    later seq (it waits on the counter row). Released, both commit and the puller gets
    every change exactly once, in hub_seq order — A's before B's."""
    release = tmp_path / "release"
    server = pg_hub.server(TAWTHIQ_FAULTS=f"push.before_commit=hold:{release}@2").start()
    try:
        session, csrf = login(server.url, pg_hub.username)
        a, b, reader = (Phone(server.url, session, csrf, n) for n in ("a", "b", "reader"))
        seed = _create(a, pg_hub.team_id)
        assert a.sync().pushed == 1  # push #1: hub_seq 1, not held
        puller = Puller(reader)
        puller.thread.start()

        held = [_create(a, pg_hub.team_id), _create(a, pg_hub.team_id, killed_max=2)]
        later = [_create(b, pg_hub.team_id, killed_max=9)]
        answers: dict[str, Any] = {}

        def send(name: str, phone: Phone, batch: list[Change]) -> None:
            try:
                answers[name] = phone.push_raw(batch)
            except OSError as exc:  # only when the test failed and stopped the server
                answers[name] = exc

        ta = threading.Thread(target=send, args=("a", a, held))
        ta.start()
        deadline = time.monotonic() + 30
        while not Path(f"{release}.reached").exists():
            assert time.monotonic() < deadline, "push A never reached the hold"
            time.sleep(0.01)
        tb = threading.Thread(target=send, args=("b", b, later))
        tb.start()
        time.sleep(1.5)  # B is in flight; the puller keeps polling
        assert puller.cursor == 1 and puller.seen == [seed.op_id]
        assert "a" not in answers and "b" not in answers, answers
        assert reader.transport.pull(1, 1).changes == []
        assert reader.transport.handshake(reader.replica.hello()).hub_seq == 1

        release.touch()
        ta.join(30)
        tb.join(30)
        assert answers["a"].status == 200 and answers["b"].status == 200
        assert [r["hub_seq"] for r in answers["a"].body["results"]] == [2, 3]
        assert [r["hub_seq"] for r in answers["b"].body["results"]] == [4]
        deadline = time.monotonic() + 30
        while puller.cursor < 4:
            assert time.monotonic() < deadline and puller.error is None, puller.error
            time.sleep(0.01)
        puller.finish()
    finally:
        release.touch()
        server.stop()
    assert puller.seen == [seed.op_id] + [c.op_id for c in held + later]
    assert puller.cursors == sorted(puller.cursors)
    assert_cache_is_materialisation(pg_hub.db_url)


def _expected_candidates(changes: list[Change], record_id: str, name: str) -> set[str]:
    """The writes of a field that no other write of it has in its causal past: the
    writers whose write saw no other (later) write of that field."""
    by_op = {c.op_id: c for c in changes if c.record_id == record_id}
    writes = [c for c in by_op.values() if name in c.patch]

    def past(c: Change) -> set[str]:
        out: set[str] = set()
        todo = list(c.deps)
        while todo:
            op = todo.pop()
            if op in by_op and op not in out:
                out.add(op)
                todo += by_op[op].deps
        return out

    pasts = {w.op_id: past(w) for w in writes}
    return {w.op_id for w in writes if not any(w.op_id in pasts[o.op_id] for o in writes if o != w)}


PUSHERS = 16


def test_concurrent_pushers_keep_every_concurrent_write(pg_hub: HubData) -> None:
    """16 threads, each a device with its own token, push at once (a short sleep before
    each commit widens the race window). Each batch edits two of three records (so
    batches lock several rows). Round 2: after a full sync, half of them write again,
    superseding what they saw. Every concurrent same-field write ends up a candidate."""
    server = pg_hub.server(TAWTHIQ_FAULTS="push.before_commit=sleep:0.02").start()
    try:
        session, csrf = login(server.url, pg_hub.username)
        coordinator = Phone(server.url, session, csrf, "coordinator")
        rids = [_create(coordinator, pg_hub.team_id).record_id for _ in range(3)]
        assert coordinator.sync().pushed == 3
        phones = [Phone(server.url, session, csrf, f"p{i}") for i in range(PUSHERS)]
        for phone in phones:
            phone.sync()

        def round_of(writers: list[Phone], tag: str) -> None:
            for i, phone in enumerate(writers):
                phone.replica.write(rids[i % 3], "incident", "patch", {"description": f"{tag}{i}"})
                phone.replica.write(rids[(i + 1) % 3], "incident", "patch", {"killed_max": i})
            barrier = threading.Barrier(len(writers))
            errors: list[BaseException] = []

            def push(phone: Phone) -> None:
                try:
                    barrier.wait(30)
                    report = phone.replica.push(phone.transport)
                    assert report.pushed == 2 and not report.problems, report
                except BaseException as exc:
                    errors.append(exc)

            threads = [threading.Thread(target=push, args=(p,)) for p in writers]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
            assert not errors, errors

        round_of(phones, "r1-")
        changes = [c for _, c in assert_cache_is_materialisation(pg_hub.db_url)]
        for rid in rids:
            for name in ("description", "killed_max"):
                expected = _expected_candidates(changes, rid, name)
                assert len(expected) in (5, 6)  # 16 writers over 3 records, all concurrent
        _check_candidates(pg_hub, changes, rids)

        for phone in phones:
            phone.sync()
        round_of(phones[::2], "r2-")
        for phone in [coordinator, *phones]:
            phone.sync()
    finally:
        server.stop()
    changes = [c for _, c in assert_cache_is_materialisation(pg_hub.db_url)]
    assert len(changes) == 3 + 2 * PUSHERS + 2 * (PUSHERS // 2)
    _check_candidates(pg_hub, changes, rids)
    expected = materialise(changes)
    for phone in [coordinator, *phones]:
        assert phone.replica.records() == expected


def _check_candidates(hub: HubData, changes: list[Change], rids: list[str]) -> None:
    from support.hub_process import hub_records

    records = hub_records(hub.db_url)
    for rid in rids:
        for name in ("description", "killed_max"):
            expected = _expected_candidates(changes, rid, name)
            held = {c.op_id for c in records[rid].writes.get(name, [])}
            assert held == expected, (rid, name)
            shown = {c.op_id for c in records[rid].conflicts.get(name, [])}
            assert shown == (expected if len(expected) > 1 else set()), (rid, name)
