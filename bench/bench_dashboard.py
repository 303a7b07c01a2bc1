"""Every dashboard chart at a million records, beside a raw-SQL baseline. Prints figures.

    python bench/bench_dashboard.py [--size N] [--backend sqlite|postgres|both] [--keep DIR]

It builds the schema with the migrations, imports the sample gazetteer, makes three
teams and a coordinator of the biggest one (60 % of the records), then bulk-inserts N
generated records straight into the records cache (as bench_exports.py does: the change
path would take hours): 10 % incidents with ranges, 60 % casualties (45 % of them
linked to an incident of their team, counts 1-3, some discounted, some deleted, some in
conflict), 15 % missing persons, 15 % supply needs, dates over two years (85 % a day).

Then, in this process (the server's code path, without HTTP), it times each chart's
figures for the coordinator: wall and CPU seconds, best of 3, beside a baseline of one
hand-written GROUP BY (run once) over the same rows with the driver (sqlite3 / psycopg). Target:
each chart under 1 s on the 2-core machine. The load average is printed with each
backend's figures because wall time on a shared machine misleads.

On PostgreSQL the CPU figure is this process plus its backend (/proc). Parallel workers
would escape it (at a million records the planner gives the casualty scans two), so
the charts are timed with `max_parallel_workers_per_gather = 0`: the CPU is then the
whole cost, and on two shared cores the workers buy little wall. `--pg-parallel` keeps
the server's setting (wall only is meaningful then).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

KINDS = [("incident", 0.10), ("casualty", 0.60), ("missing_person", 0.15), ("supply_need", 0.15)]
BASELINES = {
    "casualty": "SELECT occurred_start, civilian_status, outcome, SUM(count) FROM records "
    "WHERE team_id = {t} AND kind = 'casualty' AND visible GROUP BY 1, 2, 3",
    "missing_person": "SELECT occurred_start, disappearance_type, COUNT(*) FROM records "
    "WHERE team_id = {t} AND kind = 'missing_person' AND visible GROUP BY 1, 2",
    "supply_need": "SELECT item_category, priority, COUNT(*) FROM records "
    "WHERE team_id = {t} AND kind = 'supply_need' AND visible GROUP BY 1, 2",
    "any": "SELECT kind, COUNT(*) FROM records WHERE team_id = {t} GROUP BY 1",
}
BASELINE_OF = {"casualties": "casualty", "missing": "missing_person", "supply": "supply_need"}


def _setup(url: str) -> tuple[Any, str, list[str], list[tuple[str, str]]]:
    from app import create_app, migrate
    from app.extensions import db
    from app.services import accounts

    migrate.upgrade(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        import sqlalchemy as sa
        from support.gazetteer import import_sample

        from app.models import Place

        import_sample()
        places = [(p.id, p.path) for p in db.session.scalars(sa.select(Place))]
        teams = [accounts.create_team(None, f"Bench team {i}").id for i in range(3)]
        user, _ = accounts.create_user(
            None, "bench-coordinator", memberships=[{"team_id": teams[0], "role": "coordinator"}]
        )
        db.session.commit()
        return app, user.id, teams, places


def _template_state() -> dict[str, Any]:
    """A real materialised state of one casualty create (as bench_exports.py loads): the
    JSON a records row carries, so table reads cost what they cost in the field."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "bench_exports", ROOT / "bench" / "bench_exports.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    state: dict[str, Any] = module._template_state("place")
    state["values"]["item_name"] = "bench"
    return state


def _rows(n: int, teams: list[str], places: list[tuple[str, str]], seed: int = 7):
    """Generated records cache rows, in batches of 20 000."""
    from app.services.incident_links import event_values

    rng = random.Random(seed)
    state = _template_state()
    day0 = date(2024, 12, 1)
    incidents: dict[str, list[str]] = {t: [] for t in teams}
    # What a casualty copies from its incident (app/services/incident_links.py): the
    # change path would keep these; the bulk load computes them here, without touching
    # the random stream (the same records as before the copies existed).
    event_of: dict[str, dict[str, Any]] = {}
    batch: list[dict[str, Any]] = []
    kinds = [k for k, _ in KINDS]
    weights = [w for _, w in KINDS]
    for i in range(n):
        kind = rng.choices(kinds, weights)[0]
        team = teams[0] if rng.random() < 0.6 else rng.choice(teams[1:])
        d = day0 + timedelta(days=rng.randrange(730))
        r = rng.random()
        start, end = (d.isoformat(), d.isoformat())
        if r > 0.85:
            start, end = d.replace(day=1).isoformat(), d.isoformat()[:7] + "-28"
        place_id, path = rng.choice(places) if rng.random() < 0.9 else (None, None)
        rid = str(uuid.UUID(int=rng.getrandbits(128)))
        row: dict[str, Any] = {
            "id": rid,
            "kind": kind,
            "team_id": team,
            "state": state,
            "created_by": "bench",
            "updated_seq": i + 1,
            "etag": "",
            "visible": rng.random() > 0.02,
            "deleted": False,
            "has_conflicts": rng.random() < 0.01,
            "needs_review": False,
            "place_id": place_id,
            "place_path": path,
            "occurred_start": start,
            "occurred_end": end,
            "verification_status": rng.choice(
                ["reported", "single_source", "corroborated", "confirmed", "discounted"]
            ),
            "sensitivity": "confidential",
            "created_origin": f"dev-{rng.randrange(40)}",
            "family_notified": False,
            "linked_killed": 0,  # filled once every casualty is in (_fill_sums)
            "linked_injured": 0,
        }
        if kind == "incident":
            kmin = rng.randrange(0, 30)
            row.update(
                killed_min=kmin,
                killed_max=kmin + rng.randrange(10),
                injured_min=rng.randrange(0, 40),
                event_type="shelling_artillery_missile",
            )
            incidents[team].append(rid)
            event_of[rid] = row
        elif kind == "casualty":
            row.update(
                outcome=rng.choice(["killed", "killed", "injured", "died_of_wounds"]),
                count=rng.choice([1, 1, 1, 2, 3]),
                sex=rng.choice(["female", "male", "unknown"]),
                age_group=rng.choice(["child", "adult", "elderly", "unknown"]),
                civilian_status=rng.choice(["civilian", "non_civilian", "unknown"]),
                cause=rng.choice(["shelling_artillery", "air_strike", "gunfire_sniper", "unknown"]),
                incident_id=(
                    rng.choice(incidents[team]) if incidents[team] and rng.random() < 0.45 else None
                ),
            )
        elif kind == "missing_person":
            fate = rng.choice(["missing", "detained_held", "released", "confirmed_dead"])
            row.update(
                disappearance_type=rng.choice(["arrested_detained", "missing_unknown", "captured"]),
                fate_status=fate,
                family_notified=rng.random() < 0.5,
                fate_date=(d + timedelta(days=rng.randrange(60))).isoformat()
                if rng.random() < 0.5
                else None,
            )
        else:
            row.update(
                priority=rng.choice(["low", "medium", "high", "critical"]),
                status=rng.choice(["open", "partially_fulfilled", "fulfilled", "cancelled"]),
                item_category=rng.choice(["medicine", "blood_product", "food", "fuel_power"]),
                site_type=rng.choice(["hospital", "bakery", "shelter", "school"]),
                unit=rng.choice(["box", "bag_450ml", "litre"]),
                quantity_needed=rng.randrange(1, 1000),
                quantity_committed=rng.randrange(0, 100),
                quantity_delivered=rng.randrange(0, 50),
            )
        if kind == "casualty":
            row.update(event_values(row, event_of.get(row["incident_id"] or "")))
        batch.append(row)
        if len(batch) >= 20_000:
            yield batch
            batch = []
    if batch:
        yield batch


def _load(app: Any, n: int, teams: list[str], places: list[tuple[str, str]]) -> float:
    from app.extensions import db
    from app.models import Record

    started = time.perf_counter()
    columns = {c.name for c in Record.__table__.columns}
    base = datetime(2025, 1, 1, tzinfo=UTC)
    with app.app_context():
        for batch in _rows(n, teams, places):
            full = [{c: row.get(c) for c in columns} for row in batch]
            for row in full:
                row["created_at"] = row["updated_at"] = base + timedelta(seconds=row["updated_seq"])
            db.session.execute(Record.__table__.insert(), full)
            db.session.commit()
        _fill_sums()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE records")
        else:
            db.session.execute(db.text("ANALYZE"))
            db.session.commit()
    return time.perf_counter() - started


def _fill_sums() -> None:
    """Each incident's linked sums, once every casualty is in (timed: what the cache
    costs to fill in SQL)."""
    from app.extensions import db
    from app.services import incident_links

    started = time.perf_counter()
    incident_links.refresh_all_sums()
    db.session.commit()
    print(f"  incidents' linked sums filled in {time.perf_counter() - started:.0f} s", flush=True)


_SERVER_PID: list[int] = []  # the PostgreSQL backend serving this process, if any


def _server_cpu() -> float:
    """CPU seconds of the PostgreSQL backend process (0 on SQLite: it runs in-process)."""
    if not _SERVER_PID:
        return 0.0
    fields = Path(f"/proc/{_SERVER_PID[0]}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _best(fn: Any, repeat: int = 3) -> tuple[float, float, Any]:
    """Best wall and CPU seconds of `fn` (CPU: this process plus the database server's)."""
    best_wall, best_cpu, out = float("inf"), float("inf"), None
    for _ in range(repeat):
        w, c, s = time.perf_counter(), time.process_time(), _server_cpu()
        out = fn()
        best_wall = min(best_wall, time.perf_counter() - w)
        best_cpu = min(best_cpu, time.process_time() - c + _server_cpu() - s)
    return best_wall, best_cpu, out


def _raw(url: str, sql: str, team: str) -> float:
    """Best of 3 wall seconds of `sql` through the plain driver."""
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.split("///", 1)[1])
        q = sql.format(t="?").replace("AND visible", "AND visible = 1")

        def run() -> Any:
            return conn.execute(q, (team,)).fetchall()
    else:
        import psycopg

        conn = psycopg.connect(url.replace("postgresql+psycopg", "postgresql"))
        q = sql.format(t="%s")

        def run() -> Any:
            return conn.execute(q, (team,)).fetchall()

    wall, _cpu, _ = _best(run, repeat=1)
    conn.close()
    return wall


def _reuse(url: str) -> tuple[Any, str, list[str]]:
    """A database loaded by an earlier run: its app, coordinator and teams. A file
    loaded by an older version is upgraded first; the incident copies a hub gets by a
    cache rebuild (the bench's rows have no change log) are filled in SQL, timed."""
    from app import create_app, migrate
    from app.extensions import db
    from app.models import Team, User

    before = migrate.current_revision(url)
    migrate.upgrade(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        import sqlalchemy as sa

        if before != migrate.current_revision(url):
            from app.services import incident_links

            started = time.perf_counter()
            incident_links.refresh_all_events()
            db.session.commit()
            print(
                f"  upgraded from {before}: casualty copies filled in "
                f"{time.perf_counter() - started:.0f} s",
                flush=True,
            )
            _fill_sums()
            db.session.execute(sa.text("ANALYZE"))
            db.session.commit()

        user = db.session.scalar(sa.select(User).where(User.username == "bench-coordinator"))
        teams = list(
            db.session.scalars(
                sa.select(Team.id).where(Team.name.like("Bench team %")).order_by(Team.name)
            )
        )
        return app, user.id, teams


def run(
    url: str, n: int, reuse: bool = False, pg_parallel: bool = False
) -> list[tuple[str, float, float, float]]:
    """Load n records into `url` (unless `reuse`) and time every chart; returns
    (chart, wall, cpu, raw)."""
    if reuse:
        app, user_id, teams = _reuse(url)
    else:
        app, user_id, teams, places = _setup(url)
        print(f"loading {n:,} records ...", flush=True)
        print(f"  loaded in {_load(app, n, teams, places):.0f} s", flush=True)
    from app.extensions import db
    from app.models import User
    from app.security.principal import Principal
    from app.services import dashboard

    results = []
    with app.app_context():
        principal = Principal(user=db.session.get(User, user_id), via="session")
        _SERVER_PID.clear()
        if db.engine.dialect.name == "postgresql":
            _SERVER_PID.append(int(db.session.scalar(db.text("SELECT pg_backend_pid()"))))
            if not pg_parallel:  # the CPU measure sees this backend only
                db.session.execute(db.text("SET max_parallel_workers_per_gather = 0"))
                db.session.commit()  # a SET rolled back would be undone

        def chart(name: str, args: dict[str, Any]) -> Any:
            # One transaction per chart, as a request has: a SET LOCAL ends with it. The
            # session keeps its one connection (and backend) in the pool.
            out = dashboard.chart(principal, name, args)
            db.session.rollback()
            return out

        print(f"load average {os.getloadavg()}", flush=True)
        print(f"{'chart':34} {'wall s':>8} {'cpu s':>8} {'raw SQL s':>10}  rows")
        for name, spec in dashboard.CHARTS.items():
            wall, cpu, out = _best(lambda name=name: chart(name, {}))
            raw = _raw(url, BASELINES[BASELINE_OF.get(spec.group, "any")], teams[0])
            results.append((name, wall, cpu, raw))
            flag = "" if wall < 1 else "  OVER 1 s"
            print(
                f"{name:34} {wall:8.3f} {cpu:8.3f} {raw:10.3f}  {len(out['rows'])}{flag}",
                flush=True,
            )
        filtered = {"date_from": date(2025, 6, 1), "date_to": date(2025, 6, 30)}
        wall, cpu, _ = _best(lambda: chart("casualties_by_day", filtered))
        print(f"{'casualties_by_day (one month)':34} {wall:8.3f} {cpu:8.3f}")
        if (
            _SERVER_PID
            and int(db.session.scalar(db.text("SELECT pg_backend_pid()"))) != (_SERVER_PID[0])
        ):
            print("WARNING: the session changed backend: PostgreSQL CPU figures are wrong")
        print(f"load average {os.getloadavg()}", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--backend", default="sqlite", choices=("sqlite", "postgres", "both"))
    parser.add_argument("--keep", type=Path, help="directory for the SQLite file (kept)")
    parser.add_argument(
        "--pg-parallel", action="store_true", help="let PostgreSQL use parallel workers"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="time the SQLite file in --keep again, no load"
    )
    args = parser.parse_args()
    if args.backend in ("sqlite", "both"):
        folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-dash-"))
        folder.mkdir(parents=True, exist_ok=True)
        db_file = folder / "dashboard.db"
        if not args.reuse:
            db_file.unlink(missing_ok=True)
        print(f"== SQLite ({db_file})")
        run(f"sqlite:///{db_file}", args.size, reuse=args.reuse)
    if args.backend in ("postgres", "both"):
        from support.postgres import fresh_database

        print("== PostgreSQL")
        with fresh_database("postgresql+psycopg://postgres@127.0.0.1:5432/postgres") as url:
            run(url, args.size, pg_parallel=args.pg_parallel)


if __name__ == "__main__":
    main()
