"""The installable shell: manifest and icons, a versioned precache that holds exactly
the shell (never an API answer), an update that waits for the user and removes the old
cache, and the Arabic right-to-left layout."""

from __future__ import annotations

import struct
from typing import Any

import requests
from browser.harness import Hub, shot, wait_until

from app.web import STATIC_DIR as STATIC
from app.web import shell_manifest


def test_manifest_and_icons(live: Hub) -> None:
    r = requests.get(f"{live.url}/static/manifest.webmanifest", timeout=10)
    assert r.headers["Content-Type"].startswith("application/manifest+json")
    manifest = r.json()
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == "/"
    for icon in manifest["icons"]:
        png = requests.get(f"{live.url}{icon['src']}", timeout=10).content
        assert png.startswith(b"\x89PNG")
        width, height = struct.unpack(">II", png[16:24])
        assert f"{width}x{height}" == icon["sizes"]
    assert any(i["purpose"] == "maskable" for i in manifest["icons"])
    sw = requests.get(f"{live.url}/sw.js", timeout=10)
    assert sw.headers["Cache-Control"] == "no-cache"
    assert shell_manifest()["version"] in sw.text


def test_precache_update_and_rtl(devices: Any, live: Hub) -> None:
    phone = devices(live.user(live.team()))
    phone.setup()
    page = phone.page
    caches = page.evaluate("""async () => {
        const out = {};
        for (const name of await caches.keys()) {
          out[name] = (await (await caches.open(name)).keys()).map((r) => new URL(r.url).pathname);
        }
        return out;
    }""")
    current = shell_manifest()
    assert list(caches) == [f"tawthiq-shell-{current['version']}"]
    assert sorted(next(iter(caches.values()))) == sorted(current["files"])

    # A new version of the shell (one more module file): the new worker installs, waits
    # for the user, then takes over, and the old cache goes.
    extra = STATIC / "js" / "zz-shell-update-test.js"
    try:
        extra.write_text("// written and removed by tests/browser/test_shell.py\n")
        newer = shell_manifest()["version"]
        assert newer != current["version"]
        page.evaluate("async () => (await navigator.serviceWorker.getRegistration()).update()")
        page.wait_for_selector("#update:not([hidden]) button")
        # Installed and waiting: both shells are cached, the old one still in use.
        assert sorted(page.evaluate("async () => await caches.keys()")) == sorted(
            [f"tawthiq-shell-{current['version']}", f"tawthiq-shell-{newer}"]
        )
        with page.expect_navigation():
            page.click("#update button")
        wait_until(
            page, "(name) => caches.keys().then((k) => k.join() === name)", f"tawthiq-shell-{newer}"
        )
    finally:
        extra.unlink(missing_ok=True)
    phone.unlock()

    page.click("#lang")
    assert page.evaluate("() => [document.documentElement.lang, document.documentElement.dir]") == [
        "ar",
        "rtl",
    ]
    phone.eval("""() => tawthiq.createRecord('casualty', {
        full_name: 'محمد عبد الرحمن الحمصي', sex: 'male', outcome: 'killed',
        civilian_status: 'civilian', cause: 'shelling_artillery'})""")
    page.wait_for_selector("li.record")
    page.click("li.record a.edit")
    page.wait_for_selector("#record-form")
    assert "الاسم" in page.inner_text("#record-form") or "اسم" in page.inner_text("#record-form")
    shot(page, "shell-arabic-rtl")
