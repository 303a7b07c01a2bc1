"""The coordinator dashboard in a real browser on the demo data: the figures drawn and
tabled equal the API's, a filter applies to every chart, a number drills down to the
records behind it, a chart's CSV downloads (BOM, formula-safe writer), the page works in
Arabic (RTL) and English on a phone and a laptop, and offline it shows the sealed last
figures with the time they were computed."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from browser.harness import ARTIFACTS, PASSWORD, Device, login_changing_password
from support.server import ServerProcess

SHOTS = ARTIFACTS / "screenshots"


@pytest.fixture(scope="module")
def demo_hub(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A server with the demo data set, and the Homs coordinator's password set."""
    proc = ServerProcess(tmp_path_factory.mktemp("demo-hub") / "data")
    proc.data_dir.mkdir(parents=True, exist_ok=True)
    setup = proc.cli("setup")
    assert setup.returncode == 0, setup.stderr
    admin = re.search(r"username: (\S+)\s+password: (\S+)", setup.stdout)
    assert admin, setup.stdout
    out = proc.cli("demo")
    assert out.returncode == 0, out.stderr
    m = re.search(r"homs-coordinator\s.*one-time password \(shown once\): (\S+)", out.stdout)
    assert m, out.stdout
    proc.start()
    session, _csrf = login_changing_password(proc.url, "homs-coordinator", m.group(1))
    admin_session, _csrf = login_changing_password(proc.url, *admin.groups())
    yield SimpleNamespace(url=proc.url, api=session, admin=admin_session)
    proc.stop()


def _table(page: Any, chart: str) -> list[list[str]]:
    return page.eval_on_selector_all(
        f"figure[data-chart={chart}] .dash-table tbody tr",
        "rows => rows.map(r => [...r.children].map(c => c.textContent.trim()))",
    )


def _shot(page: Any, name: str, width: int, height: int) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_timeout(300)  # Chart.js resizes on the next frame
    page.screenshot(path=str(SHOTS / f"{name}-{width}x{height}-full.png"), full_page=True)
    # And what the screen shows once scrolled to the first chart.
    page.eval_on_selector("figure[data-chart=casualties_by_day]", "e => e.scrollIntoView()")
    page.screenshot(path=str(SHOTS / f"{name}-{width}x{height}.png"))
    page.evaluate("window.scrollTo(0, 0)")


def test_dashboard_with_demo_data(browser: Any, demo_hub: Any) -> None:
    user = {"username": "homs-coordinator", "password": PASSWORD}
    phone = Device(browser, demo_hub, user)
    phone.setup()
    page = phone.page
    page.evaluate("location.hash = '#/dashboard'")
    page.wait_for_selector("#dash-stamp:not(:empty)")
    page.wait_for_function("() => !document.querySelector('#dash-stamp').textContent.includes('…')")
    assert "computed" in page.text_content("#dash-stamp")
    page.wait_for_selector("figure[data-chart=casualties_by_day] canvas")
    assert page.is_visible("#dash-rule")

    # The civilian-status table equals the API's figures for this coordinator.
    api = demo_hub.api.get(f"{demo_hub.url}/api/v1/dashboard/casualties_by_civilian_status").json()
    killed_col = api["columns"].index("killed")
    page.click("figure[data-chart=casualties_by_civilian_status] .dash-toggle")
    shown = _table(page, "casualties_by_civilian_status")
    assert [int(r[killed_col]) for r in shown] == [r[killed_col] for r in api["rows"]]
    assert sum(r[killed_col] for r in api["rows"]) > 0

    _shot(page, "dashboard-en", 1280, 800)
    _shot(page, "dashboard-en", 360, 740)
    page.set_viewport_size({"width": 1280, "height": 800})

    # A filter applies to every chart: verification "reported" only.
    page.select_option("#dash-verification", "reported")
    page.click("#dash-apply")
    page.wait_for_function("() => !document.querySelector('#dash-stamp').textContent.includes('…')")
    base = f"{demo_hub.url}/api/v1/dashboard"
    filtered = demo_hub.api.get(f"{base}/casualties_by_cause?verification=reported").json()
    page.click("figure[data-chart=casualties_by_cause] .dash-toggle")
    shown = _table(page, "casualties_by_cause")
    col = filtered["columns"].index("killed")
    assert [int(r[col]) for r in shown] == [r[col] for r in filtered["rows"]]
    # The filter reached the data-health chart too: fewer records than unfiltered.
    teams_shown = _table(page, "health_records_by_team")
    everything = demo_hub.api.get(f"{base}/health_records_by_team").json()
    assert int(teams_shown[0][-1]) < everything["rows"][0][-1]

    # Drill down: the first killed number lists records whose counts add up to it.
    button = page.query_selector("figure[data-chart=casualties_by_cause] button.dash-number")
    number = int(button.text_content())
    button.click()
    page.wait_for_selector("#dash-drill-list li")
    counted = page.eval_on_selector_all(
        "#dash-drill-list .counted", "els => els.map(e => e.textContent.match(/\\d+/)[0])"
    )
    assert sum(int(c) for c in counted) == number

    # Download the chart's CSV: a BOM, the same header, and an audited download.
    with page.expect_download() as info:
        page.click("figure[data-chart=casualties_by_cause] a.dash-csv")
    path = Path(info.value.path())
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode())
    header = raw.decode("utf-8-sig").splitlines()[0].split(",")
    assert header == filtered["columns"]
    audit = demo_hub.admin.get(f"{demo_hub.url}/api/v1/audit?action=dashboard_csv", timeout=10)
    entries = audit.json()["items"]
    assert [e["target_id"] for e in entries] == ["casualties_by_cause"]
    assert entries[0]["details"]["filters"]["verification"] == ["reported"]

    # Arabic, right to left, on a laptop and a phone.
    page.click("#lang")
    page.wait_for_function("() => document.documentElement.dir === 'rtl'")
    page.evaluate("location.hash = '#/records'")
    page.evaluate("location.hash = '#/dashboard'")
    page.wait_for_selector("figure[data-chart=casualties_by_day] canvas")
    page.wait_for_function("() => !document.querySelector('#dash-stamp').textContent.includes('…')")
    assert "لوحة" in page.text_content(".dashboard-screen h1")
    _shot(page, "dashboard-ar", 1280, 800)
    _shot(page, "dashboard-ar", 360, 740)

    # Offline: the last figures fetched come back from the vault, with their time.
    phone.context.set_offline(True)
    page.evaluate("location.hash = '#/records'")
    page.evaluate("location.hash = '#/dashboard'")
    page.wait_for_selector("#dash-stamp[data-offline=true]")
    assert page.query_selector("figure[data-chart=casualties_by_cause]")
    _shot(page, "dashboard-ar-offline", 360, 740)
    phone.context.set_offline(False)
    assert not phone.errors, phone.errors
    phone.close()
