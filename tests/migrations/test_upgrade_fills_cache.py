"""`tawthiq setup` on a hub upgraded past a migration that adds records-cache columns
fills them from the change log, so the dashboard counts the old records too."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from support.server import ServerProcess


def _incidents_with_killed_min(db_file: Path) -> tuple[int, int]:
    with sqlite3.connect(db_file) as conn:
        row = conn.execute(
            "SELECT count(*), count(killed_min) FROM records WHERE kind = 'incident'"
        ).fetchone()
    return int(row[0]), int(row[1])


def test_setup_after_upgrade_rebuilds_the_cache_once(tmp_path: Path) -> None:
    hub = ServerProcess(tmp_path / "data")
    for args in (("setup",), ("demo",)):
        assert hub.cli(*args).returncode == 0
    db_file = tmp_path / "data" / "tawthiq.db"
    total, filled = _incidents_with_killed_min(db_file)
    assert filled >= 1  # the demo's incidents have casualty ranges

    # The hub as it was before the dashboard migration, then upgraded by `setup`.
    assert hub.cli("db", "downgrade", "0006rs").returncode == 0
    assert hub.cli("db", "upgrade").returncode == 0
    assert _incidents_with_killed_min(db_file) == (total, 0)  # what a bare upgrade leaves
    assert hub.cli("db", "downgrade", "0006rs").returncode == 0
    upgraded = hub.cli("setup")
    assert upgraded.returncode == 0, upgraded.stderr
    assert "Records cache rebuilt after the upgrade" in upgraded.stdout
    assert _incidents_with_killed_min(db_file) == (total, filled)

    again = hub.cli("setup")
    assert again.returncode == 0
    assert "rebuilt" not in again.stdout  # nothing to fill: no second rebuild


def _incident_copies(db_file: Path) -> tuple[int, int]:
    """(casualties dated by a copy, sum of incidents' linked killed)."""
    with sqlite3.connect(db_file) as conn:
        row = conn.execute(
            "SELECT (SELECT count(event_start) FROM records WHERE kind = 'casualty'),"
            " (SELECT coalesce(sum(linked_killed), 0) FROM records WHERE kind = 'incident')"
        ).fetchone()
    return int(row[0]), int(row[1])


def test_setup_after_upgrade_past_0008_fills_the_incident_copies(tmp_path: Path) -> None:
    """A hub upgraded from 0007 gets its casualties' copies of their incidents' columns
    and its incidents' linked sums filled by `setup`, as a new hub has them."""
    hub = ServerProcess(tmp_path / "data")
    for args in (("setup",), ("demo",)):
        assert hub.cli(*args).returncode == 0
    db_file = tmp_path / "data" / "tawthiq.db"
    filled = _incident_copies(db_file)
    assert filled[0] >= 1 and filled[1] >= 1  # the demo links casualties to incidents

    assert hub.cli("db", "downgrade", "0007_dashboard").returncode == 0
    assert hub.cli("db", "upgrade").returncode == 0
    assert _incident_copies(db_file) == (0, 0)  # what a bare upgrade leaves
    assert hub.cli("db", "downgrade", "0007_dashboard").returncode == 0
    upgraded = hub.cli("setup")
    assert upgraded.returncode == 0, upgraded.stderr
    assert "Records cache rebuilt after the upgrade" in upgraded.stdout
    assert _incident_copies(db_file) == filled
