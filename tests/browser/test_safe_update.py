"""An app update never strands unsynced data (issue 9, item 7).

A private server serves the shell from a copy of static/ and fails every push through
its fault hook (TAWTHIQ_FAULTS). The phone makes changes offline; they cannot reach the
hub. A new version is deployed — its db.js has one more IndexedDB upgrade step — and
waits for the user, saying the unsent changes stay. The user accepts; after the reload
and unlock the database was upgraded step by step and the outbox, keys and checkpoints
are as they were. With the fault removed the changes reach the hub exactly once. A later
version, with nothing pending and the app locked, goes in by itself.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser.harness import ARTIFACTS, PASSWORD, Device, Hub, login, shot, wait_until
from support.server import ServerProcess

from app.web import STATIC_DIR

SW_VERSION = """async () => {
  const worker = navigator.serviceWorker.controller;
  if (!worker) return null;
  const channel = new MessageChannel();
  const answer = new Promise((resolve) => {
    channel.port1.onmessage = (e) => resolve(e.data.version);
  });
  worker.postMessage({ type: 'version' }, [channel.port2]);
  return answer;
}"""

KEPT = """async () => {
  const { transact, request } = await import('/static/js/db.js');
  const db = tawthiq.vault.db;
  const got = await transact(db, ['outbox', 'checkpoints', 'kv'], 'readonly', (s) => ({
    outbox: request(s.outbox.getAll()), checkpoints: request(s.checkpoints.getAll()),
    vault: request(s.kv.get('vault')) }));
  return { version: db.version, stores: [...db.objectStoreNames].sort(),
    outbox: (await got.outbox).map((e) => e.op_id),
    checkpoints: await got.checkpoints, wrapped: Array.from((await got.vault).wrapped),
    origin: tawthiq.identity?.origin_id ?? null };
}"""

# One more upgrade step, as a newer release would append it (db.js: append, never edit).
NEXT_STEP = """  // (a newer release) 3 -> 4: a new store, and an index on the outbox.
  (db, tx) => {
    db.createObjectStore('release_probe');
    tx.objectStore('outbox').createIndex('probe', 'op_id');
  },
];
export const DB_VERSION = UPGRADES.length;"""


@pytest.fixture
def shell(tmp_path: Path) -> Path:
    """A private copy of the app shell that this test deploys new versions into."""
    copy = tmp_path / "static"
    shutil.copytree(STATIC_DIR, copy)
    return copy


@pytest.fixture
def failing_hub(tmp_path: Path, shell: Path) -> Iterator[Hub]:
    """A hub serving `shell`, whose every sync push fails inside its transaction."""
    proc = ServerProcess(
        tmp_path / "data",
        TAWTHIQ_STATIC_DIR=str(shell),
        TAWTHIQ_FAULTS="push.before_commit=error",
    )
    hub = Hub(proc)
    yield hub
    proc.stop()


def _history(hub: Hub, user: dict[str, Any], rid: str) -> int:
    r = user["api"].get(f"{hub.url}/api/v1/records/{rid}/history", timeout=10)
    assert r.status_code == 200, r.text
    return len(r.json()["changes"])


def test_update_keeps_the_outbox(browser: Any, failing_hub: Hub, shell: Path) -> None:
    hub = failing_hub
    user = hub.user(hub.team())
    s, csrf = login(hub.url, user["username"], PASSWORD)
    r = s.post(
        f"{hub.url}/api/v1/records",
        json={
            "kind": "incident",
            "event_type": "shelling_artillery_missile",
            "team_id": user["team_id"],
            "description": "على الطريق العام",
        },
        headers={"X-CSRF-Token": csrf},
        timeout=10,
    )
    assert r.status_code == 201, r.text
    earlier = r.json()["id"]

    phone = Device(browser, hub, user)
    try:
        _run(phone, hub, user, earlier, shell)
    finally:
        phone.context.close()


def _run(phone: Device, hub: Hub, user: dict[str, Any], earlier: str, shell: Path) -> None:
    p = phone.page
    p.set_viewport_size({"width": 360, "height": 740})
    phone.setup()
    p.wait_for_function("(id) => Boolean(tawthiq.view(id))", arg=earlier)
    p.wait_for_function("() => tawthiq.scheduler.state.lastOkAt !== null")

    phone.context.set_offline(True)
    made = phone.eval(
        """async (earlier) => [
          await tawthiq.createRecord('casualty', {full_name: 'سامر الحمصي', sex: 'male',
            outcome: 'injured', civilian_status: 'civilian', cause: 'shelling_artillery'}),
          await tawthiq.createRecord('supply_need', {item_name: 'أكياس دم O-', unit: 'bag',
            quantity_needed: 200}),
          await tawthiq.updateRecord(earlier, {location_detail: 'حي الوعر'}).then(() => earlier),
        ]""",
        earlier,
    )
    created = made[:2]
    phone.context.set_offline(False)
    phone.sync()
    p.wait_for_function("() => tawthiq.scheduler.failures > 0")
    assert phone.status()["pending"] == 3
    assert set(hub.records(user)) == {earlier}  # the fault kept everything off the hub
    before = phone.eval(KEPT)
    assert len(before["outbox"]) == 3 and before["version"] == 3
    assert before["checkpoints"] and before["checkpoints"][0]["hub_seq"] > 0
    old_version = phone.eval(SW_VERSION)

    # Deploy a new version while the pushes still fail.
    db_js = shell / "js" / "db.js"
    source = db_js.read_text()
    tail = "];\nexport const DB_VERSION = UPGRADES.length;"
    assert source.count(tail) == 1
    db_js.write_text(source.replace(tail, NEXT_STEP))
    phone.eval("async () => (await navigator.serviceWorker.getRegistration()).update()")
    p.wait_for_selector("#update:not([hidden]) #update-now")
    assert "3 changes not yet sent stay on this device" in p.inner_text("#update")
    (ARTIFACTS / "screenshots").mkdir(parents=True, exist_ok=True)
    shot(p, "screenshots/update-offer-en-360")
    p.click("#lang")
    p.wait_for_selector("#update:has-text('تبقى 3 تغييرات')")
    p.wait_for_selector("#pending[data-count='3']")
    shot(p, "screenshots/update-offer-ar-360")
    p.click("#lang")
    p.wait_for_selector("#update:has-text('3 changes not yet sent')")
    # Waiting, not active: the page still runs the old version on the old database.
    assert phone.eval(
        "async () => Boolean((await navigator.serviceWorker.getRegistration()).waiting)"
    )
    assert phone.eval(SW_VERSION) == old_version
    assert phone.eval("() => tawthiq.vault.db.version") == 3

    # A second tab of the old version, at its lock screen, holds the database open.
    other = phone.context.new_page()
    other.on("pageerror", lambda e: phone.errors.append(str(e)))
    other.goto(f"{hub.url}/")
    other.wait_for_selector("#unlock-form")

    p.click("#update-now")
    phone.unlock()
    new_version = phone.eval(SW_VERSION)
    assert new_version and new_version != old_version
    # The upgrade made the other tab let go and reload into the new version (not "wiped").
    wait_until(other, f"async () => (await ({SW_VERSION})()) === {new_version!r}")
    other.wait_for_selector("#unlock-form")
    assert other.query_selector("#notice") is None
    other.close()
    after = phone.eval(KEPT)
    assert after["version"] == 4 and "release_probe" in after["stores"]
    for key in ("outbox", "checkpoints", "wrapped", "origin"):
        assert after[key] == before[key], key
    assert phone.status()["pending"] == 3
    # The hub still refuses: the changes stay queued through failed runs.
    p.wait_for_function("() => tawthiq.scheduler.failures > 0")
    assert phone.status()["pending"] == 3

    # The fault is removed (the server restarts without it, same port and data).
    hub.proc.stop()
    del hub.proc.extra_env["TAWTHIQ_FAULTS"]
    hub.proc.start()
    p.click("#sync-now")
    phone.wait_sent(timeout_ms=30_000)
    on_hub = hub.records(user)
    assert set(on_hub) == {earlier, *created}
    views = phone.views()
    for rid in on_hub:
        assert on_hub[rid]["values"] == views[rid]["values"], rid
    assert on_hub[earlier]["values"]["location_detail"] == "حي الوعر"
    assert {rid: _history(hub, user, rid) for rid in on_hub} == {
        earlier: 2,
        created[0]: 1,
        created[1]: 1,
    }

    # Nothing pending and the app locked: the next version goes in without asking.
    p.click("#lock")
    p.wait_for_selector("#unlock-form")
    (shell / "app.css").write_text((shell / "app.css").read_text() + "\n/* next release */\n")
    phone.eval("async () => (await navigator.serviceWorker.getRegistration()).update()")
    wait_until(
        p, f"async () => {{ const v = await ({SW_VERSION})(); return v && v !== {new_version!r}; }}"
    )
    p.wait_for_selector("#unlock-form")
    assert not p.is_visible("#update-now")
    assert not phone.errors, phone.errors
