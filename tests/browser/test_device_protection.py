"""Device protection: nothing readable at rest, wipe leaves nothing, logging out keeps
pending changes, wrong passphrases wipe by policy, and the app locks by itself."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser.harness import CHROMIUM, CHROMIUM_ARGS, PASSPHRASE, Device, Hub, shot, wait_until
from support.server import ServerProcess

# Reads every IndexedDB store, Cache Storage entry and web storage item *raw* (not
# through the app), with bytes as Latin-1 text so UTF-8 plaintext would show through.
DUMP = """async () => {
  const bytes = (u8) => Array.from(u8, (b) => String.fromCharCode(b)).join('');
  const flat = (v) => JSON.stringify(v, (k, x) => (x instanceof Uint8Array ? bytes(x)
    : x instanceof ArrayBuffer ? bytes(new Uint8Array(x)) : x));
  const out = {idb: {}, caches: {}, local: JSON.stringify({...localStorage}),
               session: JSON.stringify({...sessionStorage})};
  for (const info of await indexedDB.databases()) {
    const db = await new Promise((ok, no) => {
      const r = indexedDB.open(info.name); r.onsuccess = () => ok(r.result); r.onerror = no; });
    for (const name of db.objectStoreNames) {
      const rows = await new Promise((ok) => {
        const r = db.transaction(name).objectStore(name).getAll();
        r.onsuccess = () => ok(r.result); });
      out.idb[info.name + '/' + name] = flat(rows);
    }
    db.close();
  }
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const req of await cache.keys()) {
      const body = new Uint8Array(await (await cache.match(req)).arrayBuffer());
      out.caches[req.url] = bytes(body);
    }
  }
  return out;
}"""

CASUALTY = (
    "([name]) => tawthiq.createRecord('casualty', {full_name: name, sex: 'female',"
    " outcome: 'killed', civilian_status: 'civilian', cause: 'shelling_artillery',"
    " alternate_names: [name + ' ام احمد']})"
)


def _forms(text: str) -> list[str]:
    """The canary as the page reads it and as its UTF-8 bytes read as Latin-1."""
    return [text, text.encode("utf-8").decode("latin-1")]


def test_nothing_readable_at_rest(browser: Any, live: Hub, tmp_path: Path) -> None:
    """A canary name is in no store, cache or web storage, in the page or on disk."""
    latin = f"CANARY{uuid.uuid4().hex[:12]}"
    arabic = "كناري" + "".join("٠١٢٣٤٥٦٧٨٩"[int(c, 16) % 10] for c in uuid.uuid4().hex[:6])
    user = live.user(live.team())
    profile = tmp_path / "profile"
    if True:  # one more chromium, with its profile on disk where the test can read it
        context = browser.browser_type.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            locale="en-US",
        )
        phone = Device.__new__(Device)
        phone.hub, phone.user, phone.context, phone.errors = live, user, context, []
        context.set_default_timeout(10_000)
        phone.page = context.pages[0] if context.pages else context.new_page()
        phone.setup()
        phone.eval(CASUALTY, [latin])  # sent, and pulled back from the hub
        phone.wait_sent()
        phone.sync()
        context.set_offline(True)
        phone.eval(CASUALTY, [arabic])  # still queued
        origin = phone.eval("() => tawthiq.identity.origin_id")
        views = phone.views()
        assert {v["values"]["full_name"] for v in views.values()} == {latin, arabic}
        dump = phone.eval(DUMP)
        context.close()

    assert dump["idb"]["tawthiq/changes"] and dump["idb"]["tawthiq/records"]
    # Control: what is stored in plaintext on purpose (the origin id) is visible.
    assert origin in dump["idb"]["tawthiq/changes"]
    everything = [*dump["idb"].values(), *dump["caches"].values(), dump["local"], dump["session"]]
    for canary in (latin, arabic):
        for form in _forms(canary):
            assert not any(form in text for text in everything), canary
    assert not any("/api/" in url for url in dump["caches"])

    # On disk: the whole browser profile, as bytes.
    raw = b"".join(f.read_bytes() for f in profile.rglob("*") if f.is_file())
    assert origin.encode() in raw  # the control again: IndexedDB files are readable
    for canary in (latin, arabic):
        for encoded in (canary.encode("utf-8"), canary.encode("utf-16-le")):
            assert encoded not in raw, canary


def test_wipe_leaves_nothing(devices: Any, live: Hub) -> None:
    phone = devices(live.user(live.team()))
    phone.setup()
    phone.context.set_offline(True)
    phone.eval(CASUALTY, ["ليلى"])
    assert phone.eval("() => tawthiq.wipe()") == {"wiped": False, "pending": 1}
    messages: list[str] = []

    def answer(dialog: Any) -> None:
        messages.append(dialog.message)
        dialog.accept()

    phone.page.on("dialog", answer)
    phone.page.click("#wipe")
    phone.page.wait_for_selector("#notice")
    assert "1" in messages[0]
    left = phone.eval("""async () => ({
        dbs: (await indexedDB.databases()).map((d) => d.name),
        caches: await caches.keys(),
        workers: (await navigator.serviceWorker.getRegistrations()).length,
        local: localStorage.length})""")
    assert left == {"dbs": [], "caches": [], "workers": 0, "local": 0}
    shot(phone.page, "wiped")


def test_logout_keeps_pending_changes(devices: Any, live: Hub) -> None:
    user = live.user(live.team())
    phone = devices(user)
    phone.setup()
    phone.context.set_offline(True)
    rid = phone.eval(CASUALTY, ["نور"])
    phone.page.click("#logout")
    phone.page.wait_for_selector("#login-form")
    phone.context.set_offline(False)
    assert rid not in live.records(user)  # locked: nothing can be sent
    phone.login(PASSPHRASE)
    phone.page.wait_for_selector("#app")
    phone.wait_sent()
    assert live.records(user)[rid]["values"]["full_name"] == "نور"


@pytest.fixture
def strict_hub(tmp_path: Path) -> Iterator[Hub]:
    """A private hub whose deployment wipes a device after 3 wrong passphrases."""
    proc = ServerProcess(tmp_path / "strict-hub", TAWTHIQ_WIPE_AFTER_FAILED_UNLOCKS="3")
    hub = Hub(proc)
    yield hub
    proc.stop()


def test_wrong_passphrases_wipe_by_policy(devices: Any, strict_hub: Hub) -> None:
    """The hub's threshold reaches the device in a sync handshake (the only way a real
    device gets one); that many wrong passphrases in a row wipe it, a right one resets."""
    phone = devices(strict_hub.user(strict_hub.team()), strict_hub)
    phone.setup()
    # Every handshake of this hub says 3, so a late one cannot undo it (a value poked into
    # the device by hand was overwritten by the shared hub's 10 under load).
    wait_until(
        phone.page, "async () => (await tawthiq.vault.policy()).wipe_after_failed_unlocks === 3"
    )
    phone.page.click("#lock")
    for _ in range(2):
        assert phone.eval("(p) => tawthiq.unlock(p)", "wrong horse")["ok"] is False
    assert phone.eval("(p) => tawthiq.unlock(p)", PASSPHRASE) == {"ok": True}  # resets
    phone.eval("() => tawthiq.lock()")
    for tries in (1, 2):
        assert phone.eval("(p) => tawthiq.unlock(p)", "wrong horse") == {
            "ok": False,
            "failures": tries,
            "wipe": False,
        }
    third = phone.eval("(p) => tawthiq.unlock(p)", "wrong horse")
    assert third == {"ok": False, "failures": 3, "wiped": True}
    assert phone.eval("async () => (await indexedDB.databases()).length") == 0


def test_settings_written_at_once_lose_nothing(devices: Any, live: Hub) -> None:
    """A handshake storing the hub's threshold while the lock times change keeps both, and
    wrong passphrases tried at the same time each count (private database, no sync)."""
    phone = devices(live.user(live.team()))
    phone.open()
    out = phone.eval("""async () => {
      const { Vault } = await import('/static/js/vault.js');
      const { deleteDb } = await import('/static/js/db.js');
      const name = 'tawthiq-settings-test';
      await deleteDb(name);
      const vault = await Vault.open({ name });
      await vault.create('a passphrase for tests');
      await Promise.all([vault.setPolicy({ wipe_after_failed_unlocks: 3 }),
                         vault.setPolicy({ lock_idle_ms: 1000 }),
                         vault.setPolicy({ lock_hidden_ms: 2000 })]);
      const policy = await vault.policy();
      vault.lock();
      const tries = await Promise.all([1, 2, 3].map(() => vault.unlock('wrong horse')));
      const out = { policy, failures: tries.map((t) => t.failures).sort(),
                    wipe: tries.map((t) => t.wipe).sort(),
                    stored: await vault.get('unlock_failures') };
      vault.close();
      await deleteDb(name);
      return out;
    }""")
    assert out == {
        "policy": {"wipe_after_failed_unlocks": 3, "lock_idle_ms": 1000, "lock_hidden_ms": 2000},
        "failures": [1, 2, 3],
        "wipe": [False, False, True],
        "stored": 3,
    }


def test_locks_when_idle_and_when_hidden(devices: Any, live: Hub) -> None:
    phone = devices(live.user(live.team()))
    phone.setup()
    phone.eval("() => tawthiq.setLockTimes({idleMs: 300})")
    phone.page.wait_for_selector("#unlock-form")
    assert phone.eval("() => tawthiq.replica === null && tawthiq.vault.key === null")
    # The policy is plain settings: it can change while locked (so the unlock below does
    # not race a 300 ms idle timer on a busy machine).
    phone.eval("() => tawthiq.setLockTimes({idleMs: 600000, hiddenMs: 200})")
    phone.unlock()
    phone.eval("""() => {
        Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});
        document.dispatchEvent(new Event('visibilitychange'));
    }""")
    phone.page.wait_for_selector("#unlock-form")
    assert phone.eval("() => tawthiq.replica === null")
