"""Export streaming at scale, beside a raw SQLite scan-to-CSV baseline. Prints figures.

    python bench/bench_exports.py [SIZES]      # e.g. 100000,1000000 (default)

For each size N (cumulative: the database grows to each size in turn) it:
1. inserts casualty records straight into the records table (a real materialised state
   of one create change, ids and values varied), with a team, a gazetteer and a partner
   token made through the services;
2. runs the baseline: Python's sqlite3 reading `SELECT * FROM records` and writing every
   row with csv.writer to a file (no app, no profile, no HTTP);
3. starts a real server (`tawthiq serve`, waitress) on the database and pulls the partner
   export as CSV and as JSON Lines over HTTP with the partner token (`Authorization:
   Bearer`), reading and discarding the stream, while sampling the server's resident
   memory from /proc/<pid>/status; the peak is VmHWM (the kernel's high-water mark).
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from support.server import ServerProcess  # noqa: E402


def _setup(data_dir: Path) -> tuple[str, str, dict, str]:
    """Schema, gazetteer, a team and a partner token; returns (team, token, state, place)."""
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
        return team.id, token, state, place.id, place.path


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


def _baseline(db_path: Path, out: Path) -> tuple[int, float]:
    """Raw sqlite3 + csv.writer: every column of every record to a CSV file."""
    t = time.perf_counter()
    conn = sqlite3.connect(db_path)
    cursor = conn.execute("SELECT * FROM records")
    n = 0
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([d[0] for d in cursor.description])
        while True:
            rows = cursor.fetchmany(5000)
            if not rows:
                break
            writer.writerows(rows)
            n += len(rows)
    conn.close()
    return n, time.perf_counter() - t


def _rss_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def _pull(server: ServerProcess, token: str, fmt: str) -> tuple[int, int, float, int]:
    """Stream one export; returns (lines, bytes, seconds, max sampled RSS in kB)."""
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
    t = time.perf_counter()
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
    return lines, size, seconds, max(samples or [0])


def main() -> None:
    sizes = [int(s) for s in (sys.argv[1] if len(sys.argv) > 1 else "100000,1000000").split(",")]
    with tempfile.TemporaryDirectory(prefix="tawthiq-bench-exports-") as tmp:
        data_dir = Path(tmp)
        team_id, token, state, place_id, path = _setup(data_dir)
        db_path = data_dir / "tawthiq.db"
        have = 0
        print(
            f"{'records':>10} {'baseline rows/s':>16} {'csv rows/s':>11} {'jsonl rows/s':>13} "
            f"{'csv/base':>8} {'jsonl/base':>10} {'server RSS MB (start/max/peak)':>31}"
        )
        for n in sizes:
            t = time.perf_counter()
            _fill(db_path, team_id, state, place_id, path, have, n)
            have = n
            fill_s = time.perf_counter() - t
            size_mb = db_path.stat().st_size / 1e6
            print(
                f"# {n:,} records in the database ({size_mb:,.0f} MB; filled in {fill_s:.0f}s)",
                flush=True,
            )
            base_n, base_s = _baseline(db_path, data_dir / "baseline.csv")
            (data_dir / "baseline.csv").unlink()
            server = ServerProcess(data_dir).start(timeout=60)
            try:
                start_rss = _rss_kb(server.proc.pid, "VmRSS")
                results = {}
                for fmt in ("csv", "jsonl"):
                    try:
                        lines, size, seconds, rss = _pull(server, token, fmt)
                    except Exception:
                        print(server.log_path.read_text()[-3000:], file=sys.stderr)
                        raise
                    rows = lines - (1 if fmt == "csv" else 0)
                    assert rows == n, (fmt, rows, n)
                    results[fmt] = (rows / seconds, size, rss)
                peak = _rss_kb(server.proc.pid, "VmHWM")
            finally:
                server.stop()
            base_rate = base_n / base_s
            csv_rate, jsonl_rate = results["csv"][0], results["jsonl"][0]
            max_rss = max(results["csv"][2], results["jsonl"][2])
            print(
                f"{n:>10,} {base_rate:>16,.0f} {csv_rate:>11,.0f} {jsonl_rate:>13,.0f} "
                f"{csv_rate / base_rate:>8.2f} {jsonl_rate / base_rate:>10.2f} "
                f"{start_rss / 1024:>11.0f} / {max_rss / 1024:.0f} / {peak / 1024:.0f}",
                flush=True,
            )
            print(
                f"#   streamed: csv {results['csv'][1] / 1e6:,.0f} MB, "
                f"jsonl {results['jsonl'][1] / 1e6:,.0f} MB",
                flush=True,
            )


if __name__ == "__main__":
    main()
