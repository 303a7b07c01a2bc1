"""Records benchmark (issue 4). Plain script: prints figures.

    python bench/bench_records.py [--records N] [--clients C] [--search-records M]
                                  [--skip api,search] [--search-db URL]
                                  [--database-url URL]

Figures and what they led to: docs/records-speed.md.

What it does, in order:

1. Creates N records (default 100,000) through the HTTP API of a real `tawthiq serve`
   subprocess (waitress), a mix of the four kinds with realistic Arabic names, from C
   client threads (default 4), each its own logged-in keep-alive session, as a hub sees
   several browsers. Prints records/s, p50/p95 latency, the server's CPU seconds (from
   /proc) and the load average, then counts the rows in `changes`, `records` and
   `record_name_tokens` to prove every create was validated and written.
2. Name search at M person records (default 1,000,000). The records and their name
   tokens are FIXTURE-LOADED with Core bulk inserts straight into `records` and
   `record_name_tokens` (not through the API: that would take hours; on SQLite with no
   journal and no fsync); tokens are made by the app's own `name_tokens` (checked
   against `record_name_tokens` on a sample). Then 22 searches (rare, common and broad
   names, Arabic and Latin, name chains) go through `record_queries.list_records` as a
   coordinator of 2 of 4 teams (capped count + first page of 50) and through
   GET /api/v1/records?q=… in-process, with the query plan of one broad search.
3. Raw baselines from the same run: sqlite3 `executemany` of the same N bodies into a
   plain table in one transaction; the app's own search SQL through bare sqlite3 on the
   same file; and a naive indexed prefix lookup (INTERSECT of token ranges + count) on
   a plain two-column token table of the same size.

--database-url postgresql+psycopg://postgres@127.0.0.1:5432/<db> runs the same on
PostgreSQL in a fresh database `tawthiq_bench_<random>`, dropped at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # support.server: the real `tawthiq serve`
sys.path.insert(0, str(Path(__file__).resolve().parent))

from arabic_names import QUERIES, NameGenerator  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402

PASSWORD = "bench password 1234"  # noqa: S105 (a throwaway user in a temp database)
TEAMS = 4  # search test: records spread over 4 teams; the coordinator leads 2 of them


def say(msg: str = "") -> None:
    print(msg, flush=True)


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


# --- databases -------------------------------------------------------------------------


class Workspace:
    """Temp folder plus fresh databases: SQLite files, or one PostgreSQL database."""

    def __init__(self, admin_url: str | None) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="tawthiq-bench-"))
        self.admin_url = admin_url
        self.pg_name: str | None = None
        self.pg_url: str | None = None
        if admin_url:
            self.pg_name = f"tawthiq_bench_{uuid.uuid4().hex[:10]}"
            admin = sa.create_engine(
                admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
            )
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{self.pg_name}"'))
            admin.dispose()
            self.pg_url = (
                sa.engine.make_url(admin_url)
                .set(database=self.pg_name)
                .render_as_string(hide_password=False)
            )

    @property
    def backend(self) -> str:
        return "postgresql" if self.pg_url else "sqlite"

    def fresh_url(self, tag: str) -> str:
        """An empty database: a new SQLite file, or the PostgreSQL one emptied."""
        if self.pg_url is None:
            return f"sqlite:///{self.dir / (tag + '.db')}"
        engine = sa.create_engine(self.pg_url, poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
        return self.pg_url

    def close(self) -> None:
        if self.pg_name and self.admin_url:
            admin = sa.create_engine(
                self.admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
            )
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)'))
            admin.dispose()
        shutil.rmtree(self.dir, ignore_errors=True)


def make_app(url: str, data_dir: Path) -> Any:
    return create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret", "DATA_DIR": data_dir}
    )


def prepare(app: Any, n_teams: int = 1) -> dict[str, Any]:
    """Tables (from the models, as the tests do), teams, a reporter and a coordinator."""
    from app.security.passwords import hash_password
    from app.services import accounts

    with app.app_context():
        db.create_all()
        teams = [accounts.create_team(None, f"Team {i + 1}") for i in range(n_teams)]
        users = {}
        roles = (("reporter", "reporter", teams[:1]), ("coord", "coordinator", teams[:2]))
        for name, role, led in roles:
            user, _ = accounts.create_user(
                None, name, memberships=[{"team_id": t.id, "role": role} for t in led]
            )
            user.password_hash = hash_password(PASSWORD)
            user.must_change_password = False
            users[name] = user.id
        db.session.commit()
        out = {"teams": [t.id for t in teams], "users": users}
        db.session.remove()
        db.engine.dispose()
    return out


def existing_ids(app: Any) -> dict[str, Any]:
    """Teams and users of a search database loaded by an earlier run."""
    with app.app_context():
        teams = db.session.scalars(sa.text("SELECT id FROM teams ORDER BY name")).all()
        users = dict(db.session.execute(sa.text("SELECT username, id FROM users")).all())
        records = db.session.scalar(sa.text("SELECT count(*) FROM records"))
        db.session.remove()
    return {"teams": list(teams), "users": users, "records": int(records or 0)}


def count_rows(app: Any) -> dict[str, int]:
    with app.app_context():
        out = {
            t: int(db.session.scalar(sa.text("SELECT count(*) FROM " + t)) or 0)  # noqa: S608
            for t in ("changes", "records", "record_name_tokens")
        }
        out["changes_rest_create"] = int(
            db.session.scalar(
                sa.text("SELECT count(*) FROM changes WHERE via = 'rest' AND action = 'create'")
            )
            or 0
        )
        db.session.remove()
    return out


# --- record bodies ---------------------------------------------------------------------

EVENT_TYPES = ["shelling_artillery_missile", "air_drone_strike", "armed_clash", "arrests"]
CAUSES = ["shelling_artillery", "air_strike", "gunfire_sniper", "building_collapse"]
PLACES_AR = ["حي الخالدية", "باب عمرو", "الوعر", "حي القصور", "جورة الشياح", "الإنشاءات"]


class Bodies:
    """REST bodies of the four kinds (casualty 35%, missing 25%, incident 25%, supply 15%)."""

    def __init__(self, seed: int = 11) -> None:
        self.rnd = random.Random(seed)
        self.names = NameGenerator(seed)
        self.today = datetime.now(UTC).date()

    def _date(self) -> str:
        return (self.today - timedelta(days=self.rnd.randrange(30, 4000))).isoformat()

    def person_fields(self) -> dict[str, Any]:
        p = self.names.person()
        out: dict[str, Any] = {"full_name": p.full_name, "sex": p.sex}
        for key in ("full_name_latin", "given_name", "father_name", "family_name", "mother_name"):
            value = getattr(p, key)
            if value:
                out[key] = value
        if p.alternate_names:
            out["alternate_names"] = p.alternate_names
        return out

    def body(self) -> dict[str, Any]:
        rnd = self.rnd
        roll = rnd.random()
        when = self._date()
        if roll < 0.35:
            outcome = rnd.choice(["killed", "injured", "died_of_wounds"])
            body = {
                "kind": "casualty",
                "outcome": outcome,
                "civilian_status": rnd.choice(["civilian", "unknown"]),
                "cause": rnd.choice(CAUSES),
                "occurred_date": when,
                "age_years": rnd.randrange(0, 90),
                "location_detail": rnd.choice(PLACES_AR),
                **self.person_fields(),
            }
            if outcome != "injured":
                body["date_of_death"] = when
            return body
        if roll < 0.60:
            return {
                "kind": "missing_person",
                "disappearance_type": rnd.choice(["missing_unknown", "arrested_detained"]),
                "last_seen_date": when,
                "fate_status": rnd.choice(["missing", "unknown"]),
                "last_seen_location_detail": rnd.choice(PLACES_AR),
                "circumstances": "شوهد آخر مرة عند الحاجز قرب " + rnd.choice(PLACES_AR),
                **self.person_fields(),
            }
        if roll < 0.85:
            low = rnd.randrange(0, 40)
            return {
                "kind": "incident",
                "event_type": rnd.choice(EVENT_TYPES),
                "occurred_date": when,
                "killed_min": low,
                "killed_max": low + rnd.randrange(0, 10),
                "injured_min": low * 2,
                "description": "قصف على " + rnd.choice(PLACES_AR) + " في ساعات الليل",
            }
        return {
            "kind": "supply_need",
            "requesting_site_type": rnd.choice(["hospital", "field_hospital", "bakery"]),
            "sector": rnd.choice(["health", "food_security"]),
            "item_category": rnd.choice(["medicine", "food", "medical_kit"]),
            "item_name": rnd.choice(["أنسولين", "طحين", "ضمادات", "مضادات حيوية"]),
            "unit": rnd.choice(["علبة", "كيس", "صندوق"]),
            "quantity_needed": rnd.randrange(1, 500),
            "priority": rnd.choice(["low", "medium", "high", "critical"]),
            "status": "open",
        }


# --- 1. creates through the API --------------------------------------------------------


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (and its finished children) from /proc."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    ticks = sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def bench_http(url: str, data_dir: Path, bodies: Bodies, n: int, clients: int) -> int:
    """A real `tawthiq serve`; n creates from `clients` threads, each its own keep-alive
    session (as a hub sees browsers), with the server's CPU seconds and the load."""
    import requests
    from support.server import ServerProcess

    server = ServerProcess(data_dir, url, SECRET_KEY="bench-secret").start()  # noqa: S106
    failures: list[str] = []
    try:
        assert server.proc is not None

        def session() -> tuple[Any, str]:
            s = requests.Session()
            r = s.post(
                f"{server.url}/api/v1/session",
                json={"username": "reporter", "password": PASSWORD},
                headers={"X-CSRF-Token": "login"},
                timeout=30,
            )
            assert r.status_code == 200, r.text
            return s, r.json()["csrf_token"]

        done = [0]
        t0 = time.perf_counter()
        cpu0 = proc_cpu_seconds(server.proc.pid)
        step = max(1, n // 10)
        lock = threading.Lock()

        def run(s: Any, csrf: str, items: list[dict[str, Any]], lat: list[float]) -> None:
            headers = {"X-CSRF-Token": csrf}
            for body in items:
                t = time.perf_counter()
                r = s.post(f"{server.url}/api/v1/records", json=body, headers=headers, timeout=60)
                lat.append(time.perf_counter() - t)
                if r.status_code != 201:
                    failures.append(f"{r.status_code} {r.text[:200]}")
                with lock:
                    done[0] += 1
                    if done[0] % step == 0:
                        el = time.perf_counter() - t0
                        cpu = proc_cpu_seconds(server.proc.pid) - cpu0  # type: ignore[union-attr]
                        print(
                            f"    … {done[0]:,} in {el:.0f} s ({done[0] / el:,.0f}/s; server "
                            f"CPU {cpu:.0f} s; load {load_average()})",
                            file=sys.stderr,
                            flush=True,
                        )

        items = [bodies.body() for _ in range(n)]
        parts = [items[i::clients] for i in range(clients)]
        lats: list[list[float]] = [[] for _ in range(clients)]
        # Log in one after another: this benchmark measures creates, not logins.
        logins = [session() for _ in range(clients)]
        threads = [
            threading.Thread(target=run, args=(*logins[i], parts[i], lats[i]))
            for i in range(clients)
        ]
        load_before = load_average()
        t0 = time.perf_counter()
        cpu0 = proc_cpu_seconds(server.proc.pid)
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        elapsed = time.perf_counter() - t0
        cpu = proc_cpu_seconds(server.proc.pid) - cpu0
        lat = [x for part in lats for x in part]
        if len(lat) != n:
            raise SystemExit(f"HTTP client died: {len(lat)} of {n} sent")
        if failures:
            log = server.log_path.read_text()
            errors = sorted({line for line in log.splitlines() if "Error:" in line})
            say(
                f"  !! {len(failures)} of {n} creates FAILED: {failures[0]}\n     server log: "
                + "\n     ".join(errors[:4])
            )
        say(
            f"  HTTP, real `tawthiq serve` (waitress, 4 threads), {clients} keep-alive client "
            f"sessions: {n:,} creates in {elapsed:.1f} s = {n / elapsed:,.0f} records/s; "
            f"latency p50 {ms(pct(lat, 50))} ms, p95 {ms(pct(lat, 95))} ms, "
            f"max {ms(max(lat))} ms"
        )
        say(
            f"  server CPU {cpu:.1f} s = {cpu / n * 1000:.2f} ms per create "
            f"(so ~{n / cpu:,.0f} creates/s per free core); "
            f"load average before {load_before}, after {load_average()}"
        )
    finally:
        server.stop()
    return n - len(failures)


# --- 2. name search at scale -----------------------------------------------------------


@lru_cache(maxsize=200_000)
def _word_tokens(word: str) -> frozenset[str]:
    from app.text.names import name_tokens

    return frozenset(name_tokens(word))


def tokens_of(values: dict[str, Any]) -> set[str]:
    """`record_name_tokens` of a person, per whitespace-split word with a cache (the
    normaliser never joins words, so this equals the app's result; checked on a sample)."""
    from app.services.record_columns import NAME_FIELDS

    texts = [values.get(f) for f in NAME_FIELDS] + list(values.get("alternate_names") or [])
    out: set[str] = set()
    for text in texts:
        if isinstance(text, str):
            for word in text.split():
                out.update(t[:100] for t in _word_tokens(word))
    return out


def fixture_state(rid: str, kind: str, values: dict[str, Any], author: str, i: int) -> dict:
    """A records-cache state shaped as `RecordState.to_dict()` of one create change."""
    op = str(uuid.UUID(int=random.getrandbits(128), version=4))
    origin = "hub-bench"
    hlc = f"{1_700_000_000_000 + i:015d}-000000-{origin}"

    def w(value: Any) -> list[dict[str, Any]]:
        return [{"op_id": op, "value": value, "hlc": hlc, "origin_id": origin, "author": author}]

    alternates = values.get("alternate_names") or []
    elements = {}
    stored = dict(values)
    if alternates:
        entries = [{"eid": f"n-{uuid.uuid4().hex[:24]}", "value": a} for a in alternates]
        stored["alternate_names"] = entries
        elements["alternate_names"] = {e["eid"]: w(e) for e in entries}
    return {
        "record_id": rid,
        "kind": kind,
        "values": stored,
        "conflicts": {},
        "deleted": False,
        "delete_conflict": False,
        "needs_review": False,
        "merged_into": None,
        "merged_from": [],
        "purged": False,
        "heads": [op],
        "missing_deps": [],
        "updated_at": hlc,
        "has_create": True,
        "ops": {op: {"deps": [], "action": "create", "content_hash": uuid.uuid4().hex * 2}},
        "writes": {k: w(v) for k, v in values.items() if k != "alternate_names"},
        "elements": elements,
        "counters": {},
    }


def fixture_engine(url: Any) -> sa.engine.Engine:
    """An engine for the bulk load: on SQLite no journal and no fsync (a fixture that a
    crash may lose), a 1 GB page cache; JSON stored as the app stores it."""
    from app.jsonfast import dumps as compact_json

    engine = sa.create_engine(url, json_serializer=compact_json, poolclass=sa.pool.NullPool)
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _fast(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-1000000"):
                dbapi_connection.execute("PRAGMA " + pragma)

        @sa.event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN")

    return engine


def load_search_fixture(app: Any, ids: dict[str, Any], m: int, batch: int = 20_000) -> int:
    """Bulk-load m person records and their name tokens with Core inserts (fixture)."""
    from app.models import NameToken, Record
    from app.services.record_columns import record_name_tokens
    from sync import RecordState

    bodies = Bodies(seed=23)
    rnd = random.Random(5)
    author = ids["users"]["reporter"]
    teams = ids["teams"]
    now = datetime.now(UTC)
    n_tokens = 0
    checked = 0
    t0 = time.perf_counter()
    with app.app_context():
        url = db.engine.url
        sqlite = db.engine.dialect.name == "sqlite"
        db.session.remove()
        db.engine.dispose()
        engine = fixture_engine(url)
        conn = engine.connect()
        for start in range(0, m, batch):
            rec_rows, tok_rows = [], []
            for i in range(start, min(m, start + batch)):
                rid = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
                kind = "casualty" if rnd.random() < 0.6 else "missing_person"
                values = bodies.person_fields()
                when = bodies._date()
                team = teams[i % len(teams)]
                values.update(team_id=team, verification_status="reported", source_count=1)
                if kind == "casualty":
                    values.update(
                        outcome=rnd.choice(["killed", "injured"]),
                        civilian_status="civilian",
                        cause=rnd.choice(CAUSES),
                        occurred_date=when,
                        count=1,
                        sensitivity="confidential",
                    )
                else:
                    values.update(
                        disappearance_type="missing_unknown",
                        last_seen_date=when,
                        fate_status="missing",
                        case_status="open",
                        sensitivity="confidential",
                    )
                state = fixture_state(rid, kind, values, author, i)
                tokens = tokens_of(values)
                if checked < 2_000:  # the cached tokeniser equals the app's
                    expect = record_name_tokens(RecordState.from_dict(state))
                    assert tokens == expect, (tokens, expect)
                    checked += 1
                rec_rows.append(
                    {
                        "id": rid,
                        "kind": kind,
                        "team_id": team,
                        "state": state,
                        "created_by": author,
                        "created_at": now,
                        "updated_at": now,
                        "updated_seq": i + 1,
                        "etag": uuid.uuid4().hex,
                        "visible": True,
                        "deleted": False,
                        "has_conflicts": False,
                        "needs_review": False,
                        "occurred_start": when,
                        "occurred_end": when,
                        "count": 1 if kind == "casualty" else None,
                        "outcome": values.get("outcome"),
                        "cause": values.get("cause"),
                        "sex": values["sex"],
                        "civilian_status": values.get("civilian_status"),
                        "disappearance_type": values.get("disappearance_type"),
                        "fate_status": values.get("fate_status"),
                        "verification_status": "reported",
                        "sensitivity": "confidential",
                    }
                )
                tok_rows.extend({"token": t, "record_id": rid} for t in tokens)
            rec_rows.sort(key=lambda r: r["id"])
            conn.execute(Record.__table__.insert(), rec_rows)
            conn.execute(NameToken.__table__.insert(), tok_rows)
            conn.commit()
            n_tokens += len(tok_rows)
            done = min(m, start + batch)
            if done % (m // 10 or 1) < batch:
                el = time.perf_counter() - t0
                print(f"    … loaded {done:,} records in {el:.0f} s", file=sys.stderr)
        if not sqlite:  # (SQLite: the app's next connection turns WAL back on)
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
        conn.close()
        engine.dispose()
    elapsed = time.perf_counter() - t0
    say(
        f"  fixture load (Core bulk insert, NOT the API; SQLite without journal or fsync): "
        f"{m:,} person records + "
        f"{n_tokens:,} name tokens in {elapsed:.0f} s ({m / elapsed:,.0f} records/s; "
        f"{n_tokens / m:.1f} tokens per record)"
    )
    return n_tokens


@contextlib.contextmanager
def captured_sql(engine: sa.engine.Engine) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def grab(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool):
        seen.append((statement, params))

    sa.event.listen(engine, "before_cursor_execute", grab)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", grab)


def category(total: int, exact: bool) -> str:
    if not exact:
        return "broad"
    return "common" if total >= 100 else "rare"


def bench_search(app: Any, ids: dict[str, Any], folder: Path) -> dict[str, dict[str, Any]]:
    """Timed name searches through list_records, and the same SQL through raw sqlite3."""
    from app.models import User
    from app.security.principal import Principal
    from app.services.record_queries import list_records

    out: dict[str, dict[str, Any]] = {}
    with app.app_context():
        coord = db.session.get(User, ids["users"]["coord"])
        principal = Principal(user=coord, via="session")
        # Warm up (first query pays for page-cache misses and statement compilation).
        list_records(principal, {"q": "محمد"})
        db.session.rollback()
        for q in QUERIES:
            times, cpus = [], []
            for _ in range(3):
                with captured_sql(db.engine) as seen:
                    t, c = time.perf_counter(), time.process_time()
                    page = list_records(principal, {"q": q})
                    times.append(time.perf_counter() - t)
                    cpus.append(time.process_time() - c)
                db.session.rollback()
            out[q] = {
                "app": statistics.median(times),
                "cpu": statistics.median(cpus),
                "total": page["total"],
                "exact": page["total_exact"],
                "sql": [(st, p) for st, p in seen if "record_name_tokens" in st],
            }
        plan_query = "محمد"
        plans = []
        conn = db.session.connection()
        for statement, params in out[plan_query]["sql"]:
            prefix = "EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite" else "EXPLAIN "
            plan = conn.exec_driver_sql(prefix + statement, params).all()
            plans.append((statement, plan))
        db.session.rollback()
        db.session.remove()

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        # The very statements the app sent, through bare sqlite3 on the same file: what
        # SQLite itself takes, without Flask, SQLAlchemy or JSON decoding.
        path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
        con = sqlite3.connect(path)
        con.execute("PRAGMA cache_size=-1000000")
        for row in out.values():
            times = []
            for _ in range(3):
                t = time.perf_counter()
                for statement, params in row["sql"]:
                    con.execute(statement, params).fetchall()
                times.append(time.perf_counter() - t)
            row["raw_same_sql"] = statistics.median(times)
        con.close()

    # The same searches through the API view (parsing, the page of 50 records as JSON).
    client = app.test_client()
    r = client.post(
        "/api/v1/session",
        json={"username": "coord", "password": PASSWORD},
        headers={"X-CSRF-Token": "login"},
    )
    assert r.status_code == 200, r.get_json()
    for q in QUERIES:
        t = time.perf_counter()
        r = client.get("/api/v1/records", query_string={"q": q})
        out[q]["api"] = time.perf_counter() - t
        assert r.status_code == 200, r.get_json()
    say(f"  query plan for q={plan_query!r} (count, then the newest-first page):")
    for statement, plan in plans:
        head = " ".join(statement.split())[:110]
        say(f"    {head} …")
        for line in plan:
            say("      " + " | ".join(str(x) for x in line))
    return out


def report_search(out: dict[str, dict[str, Any]], naive: dict[str, float]) -> None:
    say(
        f"  coordinator of 2 of {TEAMS} teams; capped count + first page of 50, median of 3."
        "\n  app = list_records; api = GET /api/v1/records?q= in-process; raw = the app's"
        " SQL through bare sqlite3;\n  naive = raw sqlite3 INTERSECT + count on a plain"
        " (token, record_id) table;\n  cpu = CPU time of this process during app (SQLite"
        " runs in-process, so it is the search's own work on a shared machine)"
    )
    say(
        f"    {'kind':<7}{'matches':>9}{'app ms':>9}{'cpu ms':>9}{'api ms':>9}{'raw ms':>9}"
        f"{'naive ms':>10}  query"
    )
    by_kind: dict[str, list[float]] = {}
    for q, row in out.items():
        kind = category(row["total"], row["exact"])
        by_kind.setdefault(kind, []).append(row["app"])
        matches = f"{row['total']:,}" + ("+" if not row["exact"] else "")
        raw = ms(row["raw_same_sql"]) if "raw_same_sql" in row else "-"
        say(
            f"    {kind:<7}{matches:>9}{ms(row['app']):>9}{ms(row['cpu']):>9}"
            f"{ms(row['api']):>9}{raw:>9}"
            f"{ms(naive[q]) if q in naive else '-':>10}  {q}"
        )
    for kind, times in sorted(by_kind.items()):
        say(
            f"  {kind:<7} {len(times):>2} queries: app p50 {ms(pct(times, 50))} ms, "
            f"max {ms(max(times))} ms"
        )
    every = [row["app"] for row in out.values()]
    apis = [row["api"] for row in out.values()]
    say(
        f"  all {len(every)}: list_records p50 {ms(pct(every, 50))} ms, p95 "
        f"{ms(pct(every, 95))} ms, max {ms(max(every))} ms; GET p50 {ms(pct(apis, 50))} ms, "
        f"p95 {ms(pct(apis, 95))} ms, max {ms(max(apis))} ms"
    )
    if naive:
        nv = list(naive.values())
        say(
            f"  naive raw INTERSECT + count: p50 {ms(pct(nv, 50))} ms, p95 {ms(pct(nv, 95))} ms,"
            f" max {ms(max(nv))} ms"
        )


# --- 3. raw baselines ------------------------------------------------------------------


def raw_insert_baseline(folder: Path, n: int) -> None:
    bodies = Bodies(seed=11)
    rows = [(str(uuid.uuid4()), json.dumps(bodies.body(), ensure_ascii=False)) for _ in range(n)]
    size = sum(len(r[1].encode()) for r in rows) / n
    con = sqlite3.connect(folder / "raw.db", isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("CREATE TABLE plain (id TEXT PRIMARY KEY, body TEXT)")
    t = time.perf_counter()
    con.execute("BEGIN")
    con.executemany("INSERT INTO plain VALUES (?, ?)", rows)
    con.execute("COMMIT")
    elapsed = time.perf_counter() - t
    con.close()
    say(
        f"  raw sqlite3 executemany, one transaction, {n:,} rows of ~{size:.0f}-byte JSON "
        f"(the same bodies): {n / elapsed:,.0f} rows/s"
    )


def raw_postgres_baseline(url: str, n: int) -> None:
    """psycopg executemany of n JSON rows in one transaction, and one row per commit."""
    import psycopg

    bodies = Bodies(seed=11)
    rows = [(str(uuid.uuid4()), json.dumps(bodies.body(), ensure_ascii=False)) for _ in range(n)]
    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn) as con:
        con.execute("CREATE TABLE raw_plain (id TEXT PRIMARY KEY, body TEXT)")
        con.commit()
        t = time.perf_counter()
        with con.cursor() as cur:
            cur.executemany("INSERT INTO raw_plain VALUES (%s, %s)", rows)
        con.commit()
        bulk = n / (time.perf_counter() - t)
        k = min(n, 1000)
        t = time.perf_counter()
        for i in range(k):
            con.execute("UPDATE raw_plain SET body = body WHERE id = %s", (rows[i][0],))
            con.commit()
        per_commit = k / (time.perf_counter() - t)
        con.execute("DROP TABLE raw_plain")
        con.commit()
    say(
        f"  raw psycopg executemany, one transaction, {n:,} rows: {bulk:,.0f} rows/s; "
        f"one small write per commit: {per_commit:,.0f} commits/s"
    )


def raw_search_baseline(folder: Path, app: Any) -> dict[str, float]:
    """A plain (token, record_id) table, indexed, with the search test's rows."""
    from app.text.names import query_tokens

    con = sqlite3.connect(folder / "raw_tokens.db", isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("PRAGMA cache_size=-1000000")
    con.execute("CREATE TABLE tokens (token TEXT, record_id TEXT)")
    con.execute("BEGIN")
    with app.app_context():
        result = (
            db.session.connection()
            .execution_options(yield_per=50_000)
            .execute(sa.text("SELECT token, record_id FROM record_name_tokens"))
        )
        for part in result.partitions():
            con.executemany("INSERT INTO tokens VALUES (?, ?)", [tuple(r) for r in part])
        db.session.remove()
    con.execute("COMMIT")
    con.execute("CREATE INDEX ix_tokens ON tokens (token, record_id)")
    total = con.execute("SELECT count(*) FROM tokens").fetchone()[0]
    times = []
    per_query: dict[str, float] = {}
    for q in QUERIES:
        toks = query_tokens(q)[:8]
        sql = " INTERSECT ".join(
            ["SELECT record_id FROM tokens WHERE token >= ? AND token < ?"] * len(toks)
        )
        params = [x for tok in toks for x in (tok, tok + "\U0010ffff")]
        best = []
        for _ in range(3):
            t = time.perf_counter()
            con.execute("SELECT count(*) FROM (" + sql + ")", params).fetchone()  # noqa: S608
            best.append(time.perf_counter() - t)
        times.append(statistics.median(best))
        per_query[q] = times[-1]
    plan = con.execute(
        "EXPLAIN QUERY PLAN SELECT record_id FROM tokens WHERE token >= ? AND token < ?",
        ("محمد", "محمد\U0010ffff"),
    ).fetchall()
    con.close()
    say(
        f"  raw sqlite3 indexed prefix lookup (INTERSECT + count) on a plain {total:,}-row "
        f"token table, same {len(QUERIES)} queries: p50 {ms(pct(times, 50))} ms, "
        f"p95 {ms(pct(times, 95))} ms, max {ms(max(times))} ms  [plan: {plan[0][-1]}]"
    )
    return per_query


# --- main ------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--search-records", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=4, help="HTTP client sessions")
    parser.add_argument("--database-url", default=None, help="PostgreSQL admin URL")
    parser.add_argument("--skip", default="", help="comma list of parts to skip: api,search")
    parser.add_argument(
        "--search-db",
        default=None,
        help="time searches on an already loaded search database URL (skips the load)",
    )
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))

    ws = Workspace(args.database_url)
    try:
        say(f"Tawthiq records benchmark on {ws.backend}; temp folder {ws.dir}")
        say(f"started {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
        say("\n== 3a. raw baseline (same run) ==")
        raw_insert_baseline(ws.dir, args.records)
        if ws.pg_url:
            raw_postgres_baseline(ws.fresh_url("raw"), args.records)

        if "api" not in skip:
            say("\n== 1. creating records through the API ==")
            url = ws.fresh_url("api")
            app = make_app(url, ws.dir / "data")
            prepare(app)
            bodies = Bodies()
            written = bench_http(url, ws.dir / "data", bodies, args.records, args.clients)
            counts = count_rows(app)
            say(
                f"  written: {counts['changes']:,} rows in changes "
                f"({counts['changes_rest_create']:,} REST creates; expected {written:,}), "
                f"{counts['records']:,} records, {counts['record_name_tokens']:,} name tokens"
            )
            expected = written
            if counts["changes"] != expected or counts["records"] != expected:
                raise SystemExit("MISMATCH: some creates were not written")
            with app.app_context():
                db.engine.dispose()

        if "search" not in skip:
            if args.search_db:
                app = make_app(args.search_db, ws.dir / "data2")
                ids = existing_ids(app)
                say(f"\n== 2. name search at {ids['records']:,} person records (reused DB) ==")
            else:
                say(f"\n== 2. name search at {args.search_records:,} person records ==")
                url = ws.fresh_url("search")
                app = make_app(url, ws.dir / "data2")
                ids = prepare(app, TEAMS)
                load_search_fixture(app, ids, args.search_records)
            out = bench_search(app, ids, ws.dir)
            say("\n== 3b. raw baseline (same run) ==")
            naive = raw_search_baseline(ws.dir, app)
            say("\n== 2+3b. name search figures beside the raw baselines ==")
            report_search(out, naive)
            with app.app_context():
                db.engine.dispose()
    finally:
        ws.close()


if __name__ == "__main__":
    main()
