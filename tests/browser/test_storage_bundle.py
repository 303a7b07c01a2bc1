"""Storage health and "Save unsynced changes to a file" (issue 9, item 6): the phone,
offline, writes a bundle signed by its key and encrypted to the hub's; the hub imports
it with the real CLI (`tawthiq bundle import`); the records arrive once, a repeat import
changes nothing, and the phone's later sync only meets duplicates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from browser.harness import ARTIFACTS, Hub, shot, wait_until


def _screens() -> str:
    (ARTIFACTS / "screenshots").mkdir(parents=True, exist_ok=True)
    return "screenshots"


def _history(hub: Hub, user: dict[str, Any], rid: str) -> list[Any]:
    r = user["api"].get(f"{hub.url}/api/v1/records/{rid}/history", timeout=10)
    assert r.status_code == 200, r.text
    body = r.json()
    return list(body["changes"])


def test_bundle_saved_in_browser_imports_once(devices: Any, live: Hub, tmp_path: Path) -> None:
    user = live.user(live.team())
    phone = devices(user)
    phone.page.set_viewport_size({"width": 360, "height": 740})
    phone.setup()
    p = phone.page
    # The first sync keeps the hub's public key sealed on the device.
    wait_until(p, "async () => Boolean(await tawthiq.hubKey())")

    phone.context.set_offline(True)
    ids = phone.eval(
        """async () => [
          await tawthiq.createRecord('incident', {event_type: 'shelling_artillery_missile',
            description: 'قصف على سوق الخضار'}),
          await tawthiq.createRecord('casualty', {full_name: 'محمد عبد الرحمن الحمصي',
            sex: 'male', outcome: 'killed', civilian_status: 'civilian',
            cause: 'shelling_artillery'}),
          await tawthiq.createRecord('missing_person', {full_name: 'فاطمة الزهراء',
            sex: 'female', disappearance_type: 'missing_unknown', last_seen_date: '2025-05-01'}),
        ]"""
    )
    phone.eval("(id) => tawthiq.updateRecord(id, {location_detail: 'حي الخالدية'})", ids[1])
    assert phone.status()["pending"] == 4

    p.click("#nav a[data-screen=storage]")
    p.wait_for_selector("#unsynced[data-pending='4']")
    usage = p.wait_for_selector("#usage")
    assert int(usage.get_attribute("data-quota") or 0) > 0
    assert p.get_attribute("#persistence", "data-persisted") in ("true", "false")
    shot(p, f"{_screens()}/storage-en-360")
    p.click("#lang")
    p.wait_for_selector("html[dir=rtl] #unsynced[data-pending='4']")
    shot(p, f"{_screens()}/storage-ar-360")
    p.set_viewport_size({"width": 1280, "height": 800})
    shot(p, f"{_screens()}/storage-ar-1280")
    p.set_viewport_size({"width": 360, "height": 740})
    p.click("#lang")
    p.wait_for_selector("html[dir=ltr] #save-bundle")

    with p.expect_download() as info:
        p.click("#save-bundle")
    download = info.value
    bundle = tmp_path / download.suggested_filename
    download.save_as(bundle)
    assert bundle.name.endswith(".bundle")
    p.wait_for_selector("#bundle-result[data-count='4']")
    raw = bundle.read_bytes()
    assert raw.startswith(b"TAWTHIQ-BUNDLE/1\n")
    for canary in ("محمد".encode(), "الخالدية".encode(), b"shelling"):
        assert canary not in raw  # encrypted: nothing readable but the header
    # Still queued: only the hub's answer removes a change from the outbox.
    assert phone.status()["pending"] == 4

    assert not live.records(user)  # nothing reached the hub yet
    first = live.proc.cli("bundle", "import", str(bundle))
    assert first.returncode == 0, first.stderr
    assert "accepted 4" in first.stdout, first.stdout
    on_hub = live.records(user)
    views = phone.views()
    assert set(on_hub) == set(ids)
    for rid in ids:
        assert on_hub[rid]["values"] == views[rid]["values"], rid
    histories = {rid: len(_history(live, user, rid)) for rid in ids}
    assert histories == {ids[0]: 1, ids[1]: 2, ids[2]: 1}

    again = live.proc.cli("bundle", "import", str(bundle))
    assert again.returncode == 0, again.stderr
    assert "duplicate 4" in again.stdout and "accepted" not in again.stdout, again.stdout
    assert live.records(user) == on_hub

    # Back online: the phone's own sync meets duplicates and empties its outbox.
    phone.context.set_offline(False)
    phone.wait_sent()
    assert live.records(user) == on_hub
    assert {rid: len(_history(live, user, rid)) for rid in ids} == histories
    assert not phone.errors, phone.errors


def test_low_storage_warns(devices: Any, live: Hub) -> None:
    """Nearly full storage raises a warning in the strip and on the storage screen.

    The browser's real quota (gigabytes here) cannot be filled in a test, so the page's
    `navigator.storage.estimate()` answers 980 MB used of 1 GB: what is tested is the
    app's reading of it, not the browser."""
    user = live.user(live.team())
    phone = devices(user)
    phone.context.add_init_script(
        "navigator.storage.estimate = async () => ({usage: 980 * 2 ** 20, quota: 2 ** 30});"
    )
    phone.setup()
    p = phone.page
    warning = p.wait_for_selector("#warn-storage")
    assert "running low" in warning.inner_text()
    warning.click()  # the warning leads to the storage screen
    p.wait_for_selector("#view[data-screen=storage] #storage-low")
    assert p.get_attribute("#usage", "data-quota") == str(2**30)
    assert "980 MB" in p.inner_text("#usage")
    assert not phone.errors, phone.errors
