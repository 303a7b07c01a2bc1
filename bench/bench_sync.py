"""End-to-end sync benchmark: a real `tawthiq serve` over HTTP. Plain script: prints figures.

    python bench/bench_sync.py [--sizes 10000,100000] [--devices 50] [--per-device 200]
                               [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
                               [--sequential | --compare] [--pull-rounds 3]

One device pushes N new records (create changes of realistic casualty and incident
records, batches of 500, urllib transport, gzip) and fresh devices pull them back in
pages of 2000 with the device's own code (`HttpTransport` + `sync.pull_pipelined`: the
next page in flight while this one is checked): once with each change rebuilt and
hash-checked only, once into a fresh `Replica` (`Replica.pull`: checked and applied), in
changes per second with the server's and the client's CPU seconds, each beside a raw
SQLite `executemany` of the same change JSON in the same run. `--sequential` pulls one
page at a time (no `ack`, as before); `--compare` does both, alternately, in each of
`--pull-rounds` rounds, and prints the best and median round.
The hub's `changes` and `records` rows are counted after: every change was validated,
hashed, access-checked and materialised. Then DEVICES devices (threads, each its own
device token) push PER_DEVICE changes each and pull, all at once: errors, wall time and
p95 per request. The server's RSS (VmRSS / VmHWM from /proc) is printed after each push.
With --database-url the concurrent run is repeated on PostgreSQL in a fresh database
(made and dropped here).

Figures of 2026-11-26, 20:46-20:52 UTC (2 CPUs, load average 1.0-2.1; see the "Speed"
section of docs/sync.md for the push floor, before/after and the profiles):

    N=10,000:  push 3,694 changes/s (3,891 per server CPU-second) | raw executemany
               131,577 rows/s | raw SQLite into the hub's own tables 5,687 rows/s
    N=10,000:  pull 24,842 changes/s hash-checked, 16,812 into a fresh replica (pipelined)
    N=100,000: push 2,064 changes/s (2,161 per server CPU-second) | raw executemany
               148,310 rows/s | raw SQLite into the hub's own tables 2,609 rows/s
    N=100,000: pull 24,438 changes/s hash-checked, 15,213 into a fresh replica (pipelined)
    hub stored 10,000 / 100,000 changes and materialised as many records;
    server RSS 129 MiB at 10k, 131 MiB at 100k (peak 135 both: flat)
    SQLite, 50 devices x 200: errors 0, wall 27.6 s, 350 requests, p95 7,745 ms
    PostgreSQL, 50 devices x 200: errors 0, wall 30.3 s, 350 requests, p95 7,632 ms
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import sqlalchemy as sa  # noqa: E402
from support.hub_process import HubData, login, prepare_hub  # noqa: E402

from app.sync_transport import HttpTransport, urllib_sender  # noqa: E402
from sync import FetchedPage, Replica, format_hlc, new_change, pull_pipelined  # noqa: E402

BATCH = 500
PAGE = 2000


def load() -> str:
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def rss(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in MiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS", "VmHWM")):
            fields[line.split(":")[0]] = int(line.split()[1]) // 1024
    return fields["VmRSS"], fields["VmHWM"]


def cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def make_changes(n: int, team_id: str, origin: str, author: str, start: int = 0) -> list[dict]:
    """N create changes of realistic records (half casualties with names, half incidents)."""
    out = []
    for i in range(start, start + n):
        rid = str(uuid.uuid4())
        if i % 2:
            kind, patch = (
                "casualty",
                {
                    "team_id": team_id,
                    "outcome": "killed",
                    "sex": "male" if i % 4 == 1 else "female",
                    "civilian_status": "civilian",
                    "cause": "air_strike",
                    "full_name": f"محمد أحمد الحمصي {i}",
                    "full_name_latin": f"Mohammad Ahmad al-Homsi {i}",
                    "date_of_death": f"2024-03-{1 + i % 28:02d}",
                    "age_years": 20 + i % 60,
                },
            )
        else:
            kind, patch = (
                "incident",
                {
                    "team_id": team_id,
                    "event_type": "armed_clash",
                    "description": "اشتباكات في الرستن قرب الجسر الشمالي، عدة إصابات " + str(i),
                    "occurred_date": f"2024-03-{1 + i % 28:02d}",
                    "killed_max": i % 9,
                },
            )
        c = new_change(
            op_id=str(uuid.uuid4()),
            record_id=rid,
            kind=kind,
            origin_id=origin,
            origin_seq=i + 1,
            action="create",
            patch=patch,
            hlc=format_hlc(1_800_000_000_000 + i, 0, origin),
            device_time=i,
            author=author,
        )
        out.append(c.to_dict())
    return out


def raw_sqlite(bodies: list[str]) -> tuple[float, float]:
    """(insert rows/s, scan + json.loads rows/s) of the same change JSON in raw SQLite."""
    with tempfile.TemporaryDirectory() as tmp:
        con = sqlite3.connect(Path(tmp) / "raw.db")
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        con.execute("CREATE TABLE c (seq INTEGER PRIMARY KEY, op_id TEXT UNIQUE, body TEXT)")
        t = time.perf_counter()
        with con:
            con.executemany(
                "INSERT INTO c (op_id, body) VALUES (?, ?)",
                ((str(i), b) for i, b in enumerate(bodies)),
            )
        ins = len(bodies) / (time.perf_counter() - t)
        t = time.perf_counter()
        n = sum(1 for (b,) in con.execute("SELECT body FROM c ORDER BY seq") if json.loads(b))
        scan = n / (time.perf_counter() - t)
        con.close()
    return ins, scan


def raw_hub_tables(hub: HubData, n: int) -> float:
    """Rows/s of raw SQLite writing N more changes into a copy of the hub's own tables:
    the same rows as the hub stored (new ids), every index, batches of BATCH, one COMMIT
    each, no validation, hashing or materialising: the floor a push cannot go below."""
    with tempfile.TemporaryDirectory() as tmp:
        src = sqlite3.connect(hub.data_dir / "tawthiq.db")
        con = sqlite3.connect(Path(tmp) / "copy.db", isolation_level=None)
        src.backup(con)
        src.close()
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        records = con.execute("SELECT * FROM records ORDER BY rowid LIMIT ?", (BATCH,)).fetchall()
        changes = con.execute("SELECT * FROM changes ORDER BY hub_seq LIMIT ?", (BATCH,)).fetchall()
        tokens = [t for (t,) in con.execute("SELECT token FROM record_name_tokens LIMIT 5000")]
        per_record = con.execute("SELECT count(*) FROM record_name_tokens").fetchone()[0] / max(
            1, con.execute("SELECT count(*) FROM records").fetchone()[0]
        )
        seq = con.execute("SELECT max(hub_seq) FROM changes").fetchone()[0]
        marks = ",".join("?" * len(records[0]))
        change_marks = ",".join("?" * len(changes[0]))
        elapsed = 0.0
        for start in range(0, n, BATCH):
            size = min(BATCH, n - start)
            ids = [str(uuid.uuid4()) for _ in range(size)]
            rows = [(rid, *r[1:]) for rid, r in zip(ids, records, strict=False)]
            crows = [
                (seq + start + i + 1, str(uuid.uuid4()), c[2], ids[i], *c[4:])
                for i, c in enumerate(changes[:size])
            ]
            trows = [
                (tokens[(start + i) % len(tokens)], ids[i % size])
                for i in range(int(per_record * size))
            ]
            t = time.perf_counter()
            con.execute("BEGIN IMMEDIATE")
            con.executemany(f"INSERT INTO records VALUES ({marks})", rows)  # noqa: S608
            con.executemany(f"INSERT INTO changes VALUES ({change_marks})", crows)  # noqa: S608
            con.executemany(
                "INSERT OR IGNORE INTO record_name_tokens (token, record_id) VALUES (?, ?)", trows
            )
            con.execute("COMMIT")
            elapsed += time.perf_counter() - t
        con.close()
    return n / elapsed


class Device:
    """A registered device: origin, author and a transport with its own token."""

    def __init__(self, url: str, session: Any, csrf: str) -> None:
        self.origin = f"dev-{uuid.uuid4()}"
        r = session.post(
            f"{url}/api/v1/devices",
            headers={"X-CSRF-Token": csrf},
            json={"name": "bench", "origin_id": self.origin, "public_key": "k"},
            timeout=60,
        )
        assert r.status_code == 201, r.text
        self.author = r.json()["device"]["user_id"]
        self.token = r.json()["token"]
        self.send = urllib_sender(url, timeout=300)
        self.headers = {"Authorization": f"Bearer {self.token}"}
        self.transport = HttpTransport(self.send, self.token)

    def push(self, changes: list[dict]) -> list[dict]:
        reply = self.send("POST", "/api/v1/sync/push", {"changes": changes}, dict(self.headers))
        assert reply.status == 200, (reply.status, reply.body)
        return reply.body["results"]


def counts(hub: HubData) -> tuple[int, int]:
    engine = sa.create_engine(hub.db_url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        changes = conn.execute(sa.text("SELECT count(*) FROM changes")).scalar_one()
        records = conn.execute(
            sa.text("SELECT count(*) FROM records WHERE kind <> '' AND updated_seq > 0")
        ).scalar_one()
    engine.dispose()
    return int(changes), int(records)


class _OnePageAtATime:
    """The device's transport without `pull_ahead`: `Replica.pull` then waits for each
    page before asking for the next (the protocol before `ack`; for --sequential)."""

    def __init__(self, inner: HttpTransport) -> None:
        self.inner = inner

    def pull(self, since: int, limit: int) -> Any:
        return self.inner.pull(since, limit)


def fresh_pull(
    dev: Device, pid: int, into_replica: bool, sequential: bool
) -> tuple[int, float, float, float]:
    """A fresh device pulls everything: (changes, wall s, server CPU s, client CPU s).

    Into a replica it is the device's own `Replica.pull` (sync/client.py): each change
    rebuilt, hash-checked and applied to the replica's records, the next page fetched
    meanwhile by `HttpTransport.pull_ahead`. Without a replica the same pipelined loop
    (`pull_pipelined`) only counts the pages the transport rebuilt and hash-checked.
    """
    c0, own0 = cpu(pid), time.process_time()
    t = time.perf_counter()
    if into_replica:
        replica = Replica(dev.origin, dev.author, clock=lambda: 0, new_id=lambda: "")
        transport: Any = _OnePageAtATime(dev.transport) if sequential else dev.transport
        got = replica.pull(transport, "hub", PAGE).pulled
    elif sequential:
        since, got, more = 0, 0, True
        while more:
            page = dev.transport.pull(since, PAGE)
            got += len(page.changes)
            since, more = page.hub_seq, page.more
    else:
        counted = [0]

        def store(fetched: FetchedPage) -> int:
            page = fetched.check()  # every change rebuilt and hash-checked
            counted[0] += len(page.changes)
            return page.hub_seq

        pull_pipelined(
            0,
            lambda since, ack: dev.transport.pull_ahead(since, PAGE, ack),
            store,
            lambda fetched: (fetched.hub_seq, fetched.more),
        )
        got = counted[0]
    wall = time.perf_counter() - t
    used = cpu(pid) - c0, time.process_time() - own0
    if into_replica:
        assert len(replica.log) == got and len(replica.records()) == got
    return got, wall, *used


def push_pull(
    hub: HubData, n: int, sequential: bool = False, compare: bool = False, rounds: int = 1
) -> None:
    server = hub.server().start(timeout=60)
    try:
        session, csrf = login(server.url, hub.username)
        dev = Device(server.url, session, csrf)
        changes = make_changes(n, hub.team_id, dev.origin, dev.author)
        bodies = [json.dumps(c, ensure_ascii=False, separators=(",", ":")) for c in changes]
        ins, scan = raw_sqlite(bodies)
        before = counts(hub)
        pid = server.proc.pid  # type: ignore[union-attr]
        c0 = cpu(pid)
        t = time.perf_counter()
        for i in range(0, n, BATCH):
            results = dev.push(changes[i : i + BATCH])
            bad = [r for r in results if r["status"] != "accepted"]
            assert not bad, bad[:3]
        push_s = time.perf_counter() - t
        push_cpu = cpu(pid) - c0
        now, peak = rss(pid)
        after = counts(hub)
        floor = raw_hub_tables(hub, n)
        print(
            f"N={n:,}: push {n / push_s:,.0f} changes/s ({push_s:.1f} s; "
            f"{n / push_cpu:,.0f} per server CPU-second) | raw sqlite "
            f"executemany {ins:,.0f} rows/s (x{ins / (n / push_s):.0f}) | raw sqlite into "
            f"the hub's own tables (same rows, every index, no checks) {floor:,.0f} rows/s"
        )
        # The pushed changes are not the pulling device's: drop them, so that its garbage
        # collector does not walk N dicts it would never hold.
        del changes, bodies
        gc.collect()
        # With --compare, each round pulls the one-page-at-a-time way too, alternately,
        # so both meet the same machine load; the best and median round are printed.
        ways = [(into, seq) for into in (False, True) for seq in (sequential, True)]
        ways = list(dict.fromkeys(ways if compare else [(False, sequential), (True, sequential)]))
        runs: dict[tuple[bool, bool], list[tuple[float, float, float]]] = {w: [] for w in ways}
        for _ in range(rounds):
            for into_replica, one_by_one in ways:
                got, pull_s, pull_cpu, client_cpu = fresh_pull(
                    Device(server.url, session, csrf), pid, into_replica, one_by_one
                )
                assert got == n, (got, n)
                runs[(into_replica, one_by_one)].append((pull_s, pull_cpu, client_cpu))
        for (into_replica, one_by_one), done in runs.items():
            walls = sorted(w for w, _, _ in done)
            pull_s, pull_cpu, client_cpu = (statistics.median(x) for x in zip(*done, strict=True))
            what = "into a fresh replica" if into_replica else "hash-checked, not stored"
            rounds_note = (
                f"best of {len(done)} {n / walls[0]:,.0f}/s, median " if len(done) > 1 else ""
            )
            print(
                f"N={n:,}: pull {rounds_note}{n / pull_s:,.0f} changes/s ({pull_s:.2f} s, "
                f"{what}{', one page at a time' if one_by_one else ', pipelined'}; server CPU "
                f"{pull_cpu:.2f} s = {n / pull_cpu:,.0f} per CPU-second; client CPU "
                f"{client_cpu:.2f} s) | raw sqlite scan+json.loads {scan:,.0f} rows/s "
                f"(x{scan / (n / pull_s):.0f})"
            )
        print(
            f"N={n:,}: hub validated and stored {after[0] - before[0]:,} changes, "
            f"materialised {after[1] - before[1]:,} records; server RSS {now} MiB, "
            f"peak {peak} MiB; load {load()}"
        )
    finally:
        server.stop()


def p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * 0.95))]


def concurrent(hub: HubData, devices: int, per_device: int, label: str) -> None:
    server = hub.server().start(timeout=60)
    try:
        session, csrf = login(server.url, hub.username)
        phones = [Device(server.url, session, csrf) for _ in range(devices)]
        work = [make_changes(per_device, hub.team_id, d.origin, d.author) for d in phones]
        before = counts(hub)
        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        barrier = threading.Barrier(devices)

        def run(d: Device, changes: list[dict]) -> None:
            try:
                barrier.wait()
                for i in range(0, len(changes), 100):
                    t = time.perf_counter()
                    res = d.push(changes[i : i + 100])
                    with lock:
                        latencies.append(time.perf_counter() - t)
                    bad = [r for r in res if r["status"] != "accepted"]
                    if bad:
                        raise AssertionError(bad[:2])
                since, more = 0, True
                while more:
                    t = time.perf_counter()
                    page = d.transport.pull(since, PAGE)
                    with lock:
                        latencies.append(time.perf_counter() - t)
                    since, more = page.hub_seq, page.more
            except BaseException as exc:
                with lock:
                    errors.append(repr(exc)[:300])

        threads = [
            threading.Thread(target=run, args=(d, w)) for d, w in zip(phones, work, strict=True)
        ]
        pid = server.proc.pid  # type: ignore[union-attr]
        c0 = cpu(pid)
        t = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall = time.perf_counter() - t
        used = cpu(pid) - c0
        now, peak = rss(pid)
        after = counts(hub)
        total = devices * per_device
        print(
            f"{label}: {devices} devices x {per_device} changes: errors {len(errors)}, wall "
            f"{wall:.1f} s ({total / wall:,.0f} changes/s pushed), {len(latencies)} requests, "
            f"p95 {p95(latencies) * 1000:,.0f} ms, max {max(latencies) * 1000:,.0f} ms; "
            f"hub stored {after[0] - before[0]:,}; server CPU {used:.1f} s, RSS {now} MiB "
            f"(peak {peak}); load {load()}"
        )
        for e in errors[:5]:
            print("  error:", e)
    finally:
        server.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--devices", type=int, default=50)
    ap.add_argument("--per-device", type=int, default=200)
    ap.add_argument("--database-url", default=None, help="a PostgreSQL server URL")
    ap.add_argument(
        "--sequential",
        action="store_true",
        help="pull one page at a time, as before `ack`",
    )
    ap.add_argument(
        "--compare",
        action="store_true",
        help="pull both ways, alternately, each round (pipelined and one page at a time)",
    )
    ap.add_argument("--pull-rounds", type=int, default=1, help="pulls of each kind per size")
    args = ap.parse_args()
    print(f"load average {load()}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="tawthiq-bench-") as tmp:
        for n in [int(s) for s in args.sizes.split(",") if s]:
            hub = prepare_hub(Path(tmp) / f"push{n}")
            push_pull(hub, n, args.sequential, args.compare, args.pull_rounds)
        if args.devices:
            concurrent(prepare_hub(Path(tmp) / "many"), args.devices, args.per_device, "SQLite")
        if args.database_url:
            name = f"tawthiq_bench_{uuid.uuid4().hex[:8]}"
            admin = sa.create_engine(args.database_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            url = sa.make_url(args.database_url).set(database=name).render_as_string(False)
            try:
                hub = prepare_hub(Path(tmp) / "pg", url)
                concurrent(hub, args.devices, args.per_device, "PostgreSQL")
            finally:
                with admin.connect() as conn:
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()


if __name__ == "__main__":
    main()
