"""Export streaming at scale, beside raw SQLite scan-to-CSV baselines. Prints figures.

    python bench/bench_exports.py [SIZES] [--data-dir DIR] [--py-spy FILE.svg]
    # SIZES e.g. 100000,1000000 (default); DIR keeps (and reuses) the filled database

For each size N (cumulative: the database grows to each size in turn) it:
1. inserts casualty records straight into the records table (a real materialised state
   of one create change, ~5 KB of JSON with its merge bookkeeping, ids and values
   varied), with a team, a gazetteer and a partner token made through the services;
2. runs two baselines in the same process, Python's sqlite3 + csv.writer to /dev/null:
   - `lean`: the same rows and fields the partner CSV carries, read the way a hand-written
     script would (typed columns plus `json_extract(state, '$.values')`, `json.loads`,
     orjson as the app, one csv row of the same 27 cells, admin names from a dict) - no
     app, no profile rules, no HTTP. This is the target's reference: the export should
     reach half of it.
   - `select *`: every column as stored, the ~5 KB state blob included. It measures
     quoting JSON into CSV more than scanning (its figure says how big the rows are).
3. starts a real server (`tawthiq serve`, waitress) on the database and pulls the partner
   export as CSV and as JSON Lines over HTTP with the partner token (`Authorization:
   Bearer`), reading and discarding the stream. For each pull it prints rows/s, the
   server's CPU seconds (utime+stime from /proc/<pid>/stat, so a loaded machine does not
   hide the cost), the client's CPU seconds, the load average, and the server's resident
   memory: sampled VmRSS while streaming and VmHWM (the kernel's high-water mark) after.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from support.server import ServerProcess  # noqa: E402


def _setup(data_dir: Path) -> tuple[str, str, dict, str, str, tuple]:
    """Schema, gazetteer, a team and a partner token; returns (team, token, state, place,
    its path, its admin-1..3 codes and names)."""
    os.environ["TAWTHIQ_DATA_DIR"] = str(data_dir)
    from app import create_app, migrate
    from app.extensions import db
    from app.services import accounts, gazetteer, partner_tokens

    app = create_app()
    migrate.upgrade(app.config["SQLALCHEMY_DATABASE_URI"])
    with app.app_context():
        for path in gazetteer.sample_files():
            with path.open(encoding="utf-8-sig", newline="") as stream:
                gazetteer.import_cod(None, stream)
        import sqlalchemy as sa

        from app.models import Place

        place = db.session.scalars(sa.select(Place).order_by(Place.path.desc())).first()
        team = accounts.create_team(None, "Bench team")
        _row, token = partner_tokens.issue(None, team.id, "Bench partner", "partner")
        state = _template_state(place.id)
        from app.exports.places import PlaceIndex

        adm = PlaceIndex().adm(place.id)
        return team.id, token, state, place.id, place.path, adm


def _template_state(place_id: str) -> dict:
    from sync import format_hlc, materialise, new_change

    change = new_change(
        op_id="op-template",
        record_id="rec-template",
        kind="casualty",
        origin_id="bench-device",
        origin_seq=1,
        action="create",
        patch={
            "outcome": "killed",
            "count": 1,
            "full_name": "محمد خالد الأتاسي",
            "full_name_latin": "Mohammad Khaled al-Atassi",
            "sex": "male",
            "age_years": 34,
            "age_group": "adult",
            "civilian_status": "civilian",
            "cause": "shelling_artillery",
            "place_id": place_id,
            "lat": "34.723456",
            "lon": "36.712345",
            "geo_precision": "near",
            "occurred_date": "2026-01-15",
            "occurred_date_precision": "day",
            "reported_at": "2026-01-16T10:11:12Z",
            "source_type": "eyewitness",
            "source_count": 2,
            "verification_status": "corroborated",
            "sensitivity": "confidential",
            "location_detail": "قرب الجامع الكبير",
            "internal_notes": "ملاحظة داخلية",
            "documentation": {"add": [{"eid": "photo"}, {"eid": "body_seen"}]},
        },
        hlc=format_hlc(1_700_000_000_000, 0, "bench-device"),
        device_time=0,
        author="bench-user",
        deps=[],
    )
    return materialise([change])["rec-template"].to_dict()


def _fill(db_path: Path, team_id: str, state: dict, place_id: str, path: str, start: int, end: int):
    """Insert records start..end-1 with sqlite3 executemany (the app would take hours)."""
    text = json.dumps(state, ensure_ascii=False)
    conn = sqlite3.connect(db_path)
    batch = []
    now = "2026-01-16 10:11:12.000000"
    for i in range(start, end):
        rid = str(uuid.UUID(int=i + 1))
        day = 1 + i % 28
        month = 1 + (i // 28) % 12
        occurred = f"2026-{month:02d}-{day:02d}"
        body = (
            text.replace("rec-template", rid)
            .replace("2026-01-15", occurred)
            .replace("محمد خالد", f"محمد {i}")
        )
        batch.append(
            (
                rid,
                "casualty",
                team_id,
                body,
                "bench-user",
                now,
                now,
                i + 1,
                "e",
                1,
                0,
                0,
                0,
                place_id,
                path,
                occurred,
                occurred,
                1,
                "killed",
                "shelling_artillery",
                "male",
                "adult",
                "civilian",
                "corroborated",
                "confidential",
            )
        )
        if len(batch) == 20_000:
            _insert(conn, batch)
            batch.clear()
    if batch:
        _insert(conn, batch)
    conn.execute(
        "INSERT INTO hub_counters(name, value) VALUES ('hub_seq', ?) "
        "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
        (end,),
    )
    conn.commit()
    conn.close()


def _insert(conn: sqlite3.Connection, batch: list[tuple]) -> None:
    conn.executemany(
        "INSERT INTO records (id, kind, team_id, state, created_by, created_at, updated_at, "
        "updated_seq, etag, visible, deleted, has_conflicts, needs_review, place_id, "
        "place_path, occurred_start, occurred_end, count, outcome, cause, sex, age_group, "
        "civilian_status, verification_status, sensitivity) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        batch,
    )
    conn.commit()


LEAN_SQL = (
    "SELECT id, kind, team_id, updated_seq, updated_at, created_at, place_id, place_path, "
    "occurred_start, occurred_end, sensitivity, verification_status, visible, "
    "json_extract(state, '$.values') FROM records WHERE team_id = ? AND kind = 'casualty' "
    "ORDER BY updated_seq, id"
)
PARTNER_CASUALTY = (
    "occurred_date",
    "occurred_date_precision",
    "reported_at",
    "geo_precision",
    "source_type",
    "source_count",
    "verification_status",
    "lat",
    "lon",
    "incident_id",
    "outcome",
    "count",
    "sex",
    "age_group",
    "civilian_status",
    "cause",
    "injury_severity",
    "documentation",
)


def _baseline_lean(db_path: Path, meta: dict) -> tuple[int, float, float]:
    """Raw sqlite3 + orjson.loads + csv.writer: the partner CSV's cells, no app between.

    It decodes with orjson, as the app does, so the ratio measures what the app adds
    (HTTP, profile rules, scoped ids, formula-safe cells), not a faster JSON library.
    """
    adm_of = {meta["place"]: meta["adm"]}
    empty = [None] * 9
    t, c = time.perf_counter(), time.process_time()
    conn = sqlite3.connect(db_path)
    n = 0
    with open(os.devnull, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(["id", "kind", *[f"adm{i}" for i in range(9)], *PARTNER_CASUALTY])
        cursor = conn.execute(LEAN_SQL, (meta["team"],))
        while True:
            rows = cursor.fetchmany(5000)
            if not rows:
                break
            for row in rows:
                get = orjson.loads(row[13]).get
                adm = adm_of.get(row[6], empty)
                writer.writerow([row[0], row[1], *adm, *[get(name) for name in PARTNER_CASUALTY]])
            n += len(rows)
    conn.close()
    return n, time.perf_counter() - t, time.process_time() - c


def _baseline_all(db_path: Path) -> tuple[int, float, float]:
    """Raw sqlite3 + csv.writer: every column of every record, state blob included."""
    t, c = time.perf_counter(), time.process_time()
    conn = sqlite3.connect(db_path)
    cursor = conn.execute("SELECT * FROM records")
    n = 0
    with open(os.devnull, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([d[0] for d in cursor.description])
        while True:
            rows = cursor.fetchmany(5000)
            if not rows:
                break
            writer.writerows(rows)
            n += len(rows)
    conn.close()
    return n, time.perf_counter() - t, time.process_time() - c


def _warm(db_path: Path) -> None:
    """Read every page once (in C, cheaply) so every run starts from the page cache alike."""
    conn = sqlite3.connect(db_path)
    conn.execute("SELECT count(*), sum(length(state)) FROM records").fetchone()
    conn.close()


def _rss_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pull(server: ServerProcess, token: str, fmt: str) -> dict[str, float]:
    """Stream one export, reading and discarding it; returns its figures."""
    pid = server.proc.pid
    samples: list[int] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append(_rss_kb(pid, "VmRSS"))
            time.sleep(0.2)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    request = urllib.request.Request(  # noqa: S310 - our own server over http
        f"{server.url}/api/v1/partner/export?kind=casualty&format={fmt}",
        headers={"Authorization": f"Bearer {token}"},
    )
    cpu0, client0, t = _cpu_seconds(pid), time.process_time(), time.perf_counter()
    lines = size = 0
    with urllib.request.urlopen(request, timeout=3600) as response:  # noqa: S310
        assert response.status == 200, response.status
        while True:
            chunk = response.read(1 << 20)
            if not chunk:
                break
            size += len(chunk)
            lines += chunk.count(b"\n")
    seconds = time.perf_counter() - t
    done.set()
    thread.join()
    return {
        "rows": lines - (1 if fmt == "csv" else 0),
        "bytes": size,
        "seconds": seconds,
        "server_cpu": _cpu_seconds(pid) - cpu0,
        "client_cpu": time.process_time() - client0,
        "rss_max": max(samples or [0]),
        "load": os.getloadavg()[0],
    }


def _records_in(db_path: Path) -> int:
    if not db_path.exists():
        return 0
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute("SELECT count(*) FROM records").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def _args() -> tuple[list[int], Path | None, Path | None]:
    sizes, data_dir, spy = "100000,1000000", None, None
    argv = sys.argv[1:]
    while argv:
        arg = argv.pop(0)
        if arg == "--data-dir":
            data_dir = Path(argv.pop(0))
        elif arg == "--py-spy":
            spy = Path(argv.pop(0)).resolve()
        else:
            sizes = arg
    return [int(s) for s in sizes.split(",")], data_dir, spy


def _run(data_dir: Path, sizes: list[int], spy: Path | None) -> None:
    db_path = data_dir / "tawthiq.db"
    meta_path = data_dir / "bench.json"
    if meta_path.exists() and _records_in(db_path):
        meta = json.loads(meta_path.read_text())
    else:
        team_id, token, state, place_id, path, adm = _setup(data_dir)
        meta = {"team": team_id, "token": token, "state": state, "place": place_id, "path": path}
        meta["adm"] = list(adm)
        meta_path.write_text(json.dumps(meta))
    have = _records_in(db_path)
    versions = f"python {sys.version.split()[0]}, sqlite {sqlite3.sqlite_version}"
    print(f"# {versions}, {os.cpu_count()} cores")
    for n in sizes:
        if n < have:
            print(f"# skip {n:,}: the database already holds {have:,}")
            continue
        t = time.perf_counter()
        _fill(db_path, meta["team"], meta["state"], meta["place"], meta["path"], have, n)
        have = n
        fill_s = time.perf_counter() - t
        size_mb = db_path.stat().st_size / 1e6
        print(f"## {n:,} records ({size_mb:,.0f} MB database; fill {fill_s:.0f} s)", flush=True)
        _warm(db_path)
        for name, (rows, wall, cpu) in (
            ("baseline lean", _baseline_lean(db_path, meta)),
            ("baseline select *", _baseline_all(db_path)),
        ):
            assert rows == n, (name, rows, n)
            print(
                f"{name:<18} {rows / wall:>9,.0f} rows/s  wall {wall:6.1f} s  cpu {cpu:6.1f} s"
                f"  ({rows / cpu:,.0f} rows per CPU-s)  load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
        server = ServerProcess(data_dir).start(timeout=60)
        profiler = None
        try:
            if spy is not None:
                out = spy.with_name(f"{spy.stem}-{n}{spy.suffix}")
                profiler = subprocess.Popen(
                    [
                        str(Path(sys.executable).parent / "py-spy"),
                        "record",
                        "-o",
                        str(out),
                        "-p",
                        str(server.proc.pid),
                        "-r",
                        "50",
                        "--nonblocking",
                        "--format",
                        "flamegraph" if out.suffix == ".svg" else "raw",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            start_rss = _rss_kb(server.proc.pid, "VmRSS")
            for fmt in ("csv", "jsonl"):
                try:
                    r = _pull(server, meta["token"], fmt)
                except Exception:
                    print(server.log_path.read_text()[-3000:], file=sys.stderr)
                    raise
                assert r["rows"] == n, (fmt, r["rows"], n)
                print(
                    f"export {fmt:<11} {n / r['seconds']:>9,.0f} rows/s  wall {r['seconds']:6.1f} s"
                    f"  server cpu {r['server_cpu']:6.1f} s ({n / r['server_cpu']:,.0f} rows per"
                    f" CPU-s)  client cpu {r['client_cpu']:.1f} s  load {r['load']:.1f}"
                    f"  {r['bytes'] / 1e6:,.0f} MB  server RSS max {r['rss_max'] / 1024:.0f} MB",
                    flush=True,
                )
            peak = _rss_kb(server.proc.pid, "VmHWM")
            print(
                f"server RSS at start {start_rss / 1024:.0f} MB, peak (VmHWM) {peak / 1024:.0f} MB"
            )
        finally:
            if profiler is not None:
                profiler.send_signal(2)
                profiler.wait(60)
            server.stop()


def main() -> None:
    sizes, data_dir, spy = _args()
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
        _run(data_dir, sizes, spy)
        return
    with tempfile.TemporaryDirectory(prefix="tawthiq-bench-exports-") as tmp:
        _run(Path(tmp), sizes, spy)


if __name__ == "__main__":
    main()
