"""Scale-out: two `tawthiq serve` processes on one PostgreSQL database (docs/deploy.md).

Devices push to both processes at once, editing shared records, while a limit=1 puller
reads from each. No change is skipped or served twice; hub_seq is contiguous (1..N) and
in commit order: a watcher reading the database all along never sees a committed set of
changes that is not exactly 1..max, nor a counter that differs from that max.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from support.hub_process import (
    HubData,
    Phone,
    Puller,
    assert_cache_is_materialisation,
    login,
    prepare_hub,
)

from sync import materialise

pytestmark = pytest.mark.postgres

WRITERS = 6
ROUNDS = 5


@pytest.fixture
def pg_hub(postgres_admin_url: str | None, tmp_path: Path) -> Iterator[HubData]:
    from conftest import need_postgres
    from support.postgres import fresh_database

    with fresh_database(need_postgres(postgres_admin_url)) as url:
        yield prepare_hub(tmp_path / "data", url)


class Watcher:
    """Reads the database over and over: every snapshot must be a gapless prefix."""

    def __init__(self, db_url: str) -> None:
        self.engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
        self.snapshots = 0
        self.bad: list[tuple[int, int, int]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with self.engine.connect() as conn:
            while not self.stop.is_set():
                counter, count, top = conn.execute(
                    sa.text(
                        "SELECT (SELECT value FROM hub_counters WHERE name = 'hub_seq'),"
                        " count(*), max(hub_seq) FROM changes"
                    )
                ).one()
                conn.commit()
                self.snapshots += 1
                if not (int(counter or 0) == count == int(top or 0)):
                    self.bad.append((counter, count, top))
                time.sleep(0.01)
        self.engine.dispose()


def test_two_processes_on_one_database_skip_and_duplicate_nothing(pg_hub: HubData) -> None:
    """6 devices push to both of two processes at random, 5 rounds of 3 changes each
    (creates and patches of 4 shared records and their own), syncing after each round;
    a limit=1 puller on each process. Pullers get exactly the hub's changes in hub_seq
    order; every replica ends equal to the materialisation of all changes."""
    servers = [pg_hub.server().start(), pg_hub.server().start()]
    try:
        session, csrf = login(servers[0].url, pg_hub.username)
        # The session made by one process is good on the other (SECRET_KEY shared through
        # TAWTHIQ_DATA_DIR), and so are device tokens (they live in the database).
        phones = [Phone(servers[i % 2].url, session, csrf, f"p{i}") for i in range(WRITERS)]
        shared = []
        for _ in range(4):
            shared.append(str(uuid.uuid4()))
            phones[0].replica.write(shared[-1], "incident", "create", {"team_id": pg_hub.team_id})
        phones[0].sync()
        pullers = [Puller(Phone(s.url, session, csrf, "reader")) for s in servers]
        watcher = Watcher(pg_hub.db_url)
        for t in [watcher.thread, *(p.thread for p in pullers)]:
            t.start()
        errors: list[BaseException] = []

        def work(i: int, phone: Phone) -> None:
            rng = random.Random(i)
            try:
                phone.sync()
                own = str(uuid.uuid4())
                phone.replica.write(own, "incident", "create", {"team_id": pg_hub.team_id})
                for r in range(ROUNDS):
                    phone.replica.write(
                        rng.choice(shared), "incident", "patch", {"description": f"{i}/{r}"}
                    )
                    phone.replica.write(own, "incident", "patch", {"killed_max": r})
                    phone.replica.write(
                        rng.choice(shared), "incident", "patch", {"killed_min": i * 100 + r}
                    )
                    phone.base_url = rng.choice(servers).url
                    report = phone.sync(page_size=rng.choice([7, 500]))
                    assert not report.problems, report.problems
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(i, p)) for i, p in enumerate(phones)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        assert not errors, errors
        for phone in phones:  # a quiet round: everyone gets everything
            phone.sync()
        held = assert_cache_is_materialisation(pg_hub.db_url)
        total = len(held)
        deadline = time.monotonic() + 60
        while any(p.cursor < total for p in pullers):
            assert time.monotonic() < deadline, [p.cursor for p in pullers]
            time.sleep(0.02)
        for p in pullers:
            p.finish()
        watcher.stop.set()
        watcher.thread.join(30)
    finally:
        for s in servers:
            s.stop()
    assert total == 4 + WRITERS * (1 + 3 * ROUNDS)
    in_order = [c.op_id for _, c in held]
    for p in pullers:
        assert p.seen == in_order  # none skipped, none twice, in hub_seq order
    assert watcher.snapshots > 10 and watcher.bad == []
    expected = materialise(c for _, c in held)
    for phone in phones:
        assert phone.replica.outbox == []
        assert phone.replica.records() == expected
