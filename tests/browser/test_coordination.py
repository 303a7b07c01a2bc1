"""The coordinator's and admin's screens, driven as people use them: a conflict made by
two phones offline is seen (both values, who, when, which device) and settled by a
coordinator, and the choice reaches the other phone; a record's history shows who
changed which field from what to what, online and offline; an admin revokes a device
in the UI and its next sync is refused; a reporter sees none of these screens and the
server refuses their calls anyway. Screenshots at phone and laptop sizes in both
languages go to test-artifacts/screenshots/."""

from __future__ import annotations

import uuid
from typing import Any

import requests
from browser.harness import ARTIFACTS, Device, Hub, login_changing_password, wait_until

SCREENSHOTS = ARTIFACTS / "screenshots"
SIZES = {"phone": (360, 740), "laptop": (1280, 800)}
COORDINATOR_SCREENS = {"conflicts", "review", "admin"}


def go(device: Device, route: str, ready: str) -> Any:
    """Open a route of the app (as a link would) and wait for `ready` inside the view."""
    device.page.evaluate("(h) => { location.hash = h; }", route)
    return device.page.wait_for_selector(f"#view {ready}")


def set_lang(device: Device, lang: str) -> None:
    p = device.page
    if p.evaluate("() => document.documentElement.lang") != lang:
        p.click("#lang")
        p.wait_for_function("(l) => document.documentElement.lang === l", arg=lang)


def screenshots(device: Device, name: str, ready: str) -> None:
    """The current screen at both sizes in Arabic and English (then back to English)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    p = device.page
    for lang in ("en", "ar"):
        set_lang(device, lang)
        p.wait_for_selector(f"#view {ready}")
        for size, (width, height) in SIZES.items():
            p.set_viewport_size({"width": width, "height": height})
            p.screenshot(path=str(SCREENSHOTS / f"{name}-{lang}-{size}.png"), full_page=True)
    set_lang(device, "en")
    p.set_viewport_size({"width": 1280, "height": 800})
    p.wait_for_selector(f"#view {ready}")


def admin_user(live: Hub) -> dict[str, Any]:
    """A deployment admin (no team), with the known password."""
    s, csrf = live.admin
    name = f"admin{uuid.uuid4().hex[:8]}"
    r = s.post(
        f"{live.url}/api/v1/users",
        json={"username": name, "is_admin": True},
        headers={"X-CSRF-Token": csrf},
        timeout=10,
    )
    assert r.status_code == 201, r.text
    session, _ = login_changing_password(live.url, name, r.json()["one_time_password"])
    return {
        "username": name,
        "password": "correct horse battery staple",
        "id": r.json()["user"]["id"],
        "api": session,
    }


def test_conflict_seen_and_resolved_by_coordinator(devices: Any, live: Hub) -> None:
    """Two reporters change the same field offline; the coordinator sees both values with
    who, when and device, keeps one; the other phone then shows it with no conflict."""
    team = live.team()
    amal, badr = devices(live.user(team)), devices(live.user(team))
    huda = devices(live.user(team, "coordinator"))
    for phone in (amal, badr, huda):
        phone.setup()
    rid = amal.eval(
        "() => tawthiq.createRecord('casualty', {full_name: 'محمد أحمد',"
        " sex: 'male', outcome: 'killed', civilian_status: 'civilian',"
        " cause: 'shelling_artillery'})"
    )
    amal.wait_sent()
    badr.sync()
    # A coordinator assigns it to Badr so that he may edit it too (person records).
    huda.sync()
    huda.page.wait_for_function("(id) => Boolean(tawthiq.view(id))", arg=rid)
    huda.eval("([id, u]) => tawthiq.updateRecord(id, {assigned_to: u})", [rid, badr.user["id"]])
    huda.wait_sent()
    badr.sync()
    badr.page.wait_for_function("(id) => Boolean(tawthiq.view(id))", arg=rid)

    amal.context.set_offline(True)
    badr.context.set_offline(True)
    amal.eval(
        "(id) => tawthiq.updateRecord(id, {full_name: 'محمد أحمد الحمصي', age_years: 30})", rid
    )
    badr.eval("(id) => tawthiq.updateRecord(id, {full_name: 'محمد بن أحمد', age_years: 35})", rid)
    amal.context.set_offline(False)
    badr.context.set_offline(False)
    amal.wait_sent()
    badr.wait_sent()
    huda.sync()
    huda.page.wait_for_function(
        "(id) => (tawthiq.view(id).conflicts.full_name || []).length === 2", arg=rid
    )

    block = go(
        huda,
        "#/conflicts",
        f".conflict-record[data-id='{rid}'] .conflict-field[data-field=full_name]",
    )
    cards = {
        c.query_selector(".value").inner_text(): {
            "who": c.query_selector(".who").inner_text(),
            "when": c.query_selector(".when").inner_text(),
            "device": c.query_selector(".device").inner_text(),
        }
        for c in block.query_selector_all(".candidate")
    }
    assert set(cards) == {"محمد أحمد الحمصي", "محمد بن أحمد"}
    assert cards["محمد أحمد الحمصي"]["who"] == amal.user["username"]
    assert cards["محمد بن أحمد"]["who"] == badr.user["username"]
    for card in cards.values():
        assert any(ch.isdigit() for ch in card["when"]), card
        assert card["device"].startswith("Tawthiq web"), card  # the device's registered name
    assert huda.page.is_visible(f".conflict-record[data-id='{rid}'] .badge")  # identity first
    screenshots(huda, "conflicts", f".conflict-record[data-id='{rid}'] .candidate")

    # The record's own page shows the same candidates, beside its values and history.
    go(huda, f"#/record/{rid}", "#record-conflicts .conflict-field[data-field=full_name]")
    values = huda.page.eval_on_selector_all(
        "#record-conflicts .conflict-field[data-field=full_name] .candidate .value",
        "els => els.map(e => e.textContent)",
    )
    assert sorted(values) == sorted(cards)
    screenshots(huda, "record-detail-conflict", "#history")

    # The coordinator settles it offline: the choice is a change like any edit.
    huda.context.set_offline(True)
    go(huda, "#/conflicts", f".conflict-record[data-id='{rid}']")
    block = huda.page.wait_for_selector(
        f".conflict-record[data-id='{rid}'] .conflict-field[data-field=full_name]"
    )
    chosen = next(
        c
        for c in block.query_selector_all(".candidate")
        if c.query_selector(".value").inner_text() == "محمد بن أحمد"
    )
    chosen.query_selector("button.choose").click()
    huda.page.wait_for_selector(
        f".conflict-record[data-id='{rid}'] .conflict-field[data-field=full_name]", state="detached"
    )
    # Neither age is right: the coordinator types another, in Arabic-Indic digits.
    age = f".conflict-record[data-id='{rid}'] .conflict-field[data-field=age_years]"
    huda.page.fill(f"{age} input[name=age_years]", "٣٣")
    huda.page.click(f"{age} button.resolve-new")
    huda.page.wait_for_selector(f".conflict-record[data-id='{rid}']", state="detached")
    assert huda.eval("() => tawthiq.replica.outboxSize") == 2  # two resolves, waiting
    huda.context.set_offline(False)
    huda.wait_sent()

    hub = live.records(huda.user)[rid]
    assert hub["conflicts"] == {}
    assert hub["values"]["full_name"] == "محمد بن أحمد"
    assert hub["values"]["age_years"] == 33
    amal.sync()
    amal.page.wait_for_function("(id) => !Object.keys(tawthiq.view(id).conflicts).length", arg=rid)
    go(amal, f"#/record/{rid}", "#history")
    assert amal.page.inner_text("dl.values dd[data-field=full_name]") == "محمد بن أحمد"
    assert amal.page.inner_text("dl.values dd[data-field=age_years]") == "33"
    assert amal.page.query_selector("#record-conflicts") is None
    # The resolution is in the history, by the coordinator.
    resolved = amal.page.wait_for_selector("#history .history-entry[data-action=resolve]")
    assert huda.user["username"] in resolved.inner_text()
    for phone in (amal, badr, huda):
        assert not phone.errors, phone.errors


def test_record_history_online_and_offline(devices: Any, live: Hub) -> None:
    """The record detail lists each change: field, old → new, who; from the hub online and
    from the device's own log offline, with the same content."""
    team = live.team()
    mariam = devices(live.user(team))
    mariam.setup()
    rid = mariam.eval(
        "() => tawthiq.createRecord('incident', {event_type: 'armed_clash',"
        " description: 'اشتباك قرب السوق'})"
    )
    mariam.eval(
        "(id) => tawthiq.updateRecord(id, {description: 'اشتباك عند مدخل السوق', killed_min: 2})",
        rid,
    )
    mariam.wait_sent()

    def entries() -> list[dict[str, Any]]:
        return [
            {
                "action": e.get_attribute("data-action"),
                "who": e.query_selector(".who").inner_text(),
                "fields": {
                    c.get_attribute("data-field"): (
                        c.query_selector(".from").inner_text(),
                        c.query_selector(".to").inner_text(),
                    )
                    for c in e.query_selector_all("li.change")
                },
            }
            for e in mariam.page.query_selector_all("#history .history-entry")
        ]

    go(mariam, f"#/record/{rid}", "#history[data-source=hub]")
    online = entries()
    assert [e["action"] for e in online] == ["patch", "create"]  # newest first
    assert online[0]["who"] == mariam.user["username"]
    assert online[0]["fields"]["description"] == ("اشتباك قرب السوق", "اشتباك عند مدخل السوق")
    assert online[0]["fields"]["killed_min"] == ("—", "2")
    assert online[1]["fields"]["event_type"] == ("—", "Armed clash")
    assert mariam.page.get_attribute("#edit-record", "href") == f"#/records/edit/{rid}"
    label = mariam.page.inner_text("#history li.change[data-field=killed_min] .field")
    assert label and label != "killed_min"  # a translated label, not the code

    mariam.context.set_offline(True)
    mariam.page.evaluate("() => tawthiqUi.refresh()")
    mariam.page.wait_for_selector("#history[data-source=device]")
    assert entries() == online

    set_lang(mariam, "ar")
    mariam.page.wait_for_selector("#history[data-source=device]")
    assert mariam.page.evaluate("() => document.documentElement.dir") == "rtl"
    arabic = mariam.page.inner_text("#history li.change[data-field=event_type] .to")
    assert arabic != "Armed clash" and any("\u0600" <= ch <= "\u06ff" for ch in arabic)
    set_lang(mariam, "en")
    mariam.context.set_offline(False)
    mariam.page.evaluate("() => tawthiqUi.refresh()")
    screenshots(mariam, "record-detail", "#history[data-source=hub]")
    assert not mariam.errors, mariam.errors


def test_admin_revokes_device_and_reporter_is_refused(devices: Any, live: Hub) -> None:
    """An admin revokes a reporter's phone in the UI: its next sync is refused and its
    change stays queued. The admin creates a user whose one-time password, shown once,
    logs in. A reporter sees no coordinator/admin screen; the server refuses them."""
    team = live.team()
    reporter = devices(live.user(team))
    reporter.setup()
    origin = reporter.eval("() => tawthiq.identity.origin_id")
    admin = devices(admin_user(live))
    admin.setup()

    # The reporter: no coordinator or admin entries, and no way in by the address bar.
    nav = set(reporter.page.eval_on_selector_all("#nav a", "els => els.map(a => a.dataset.screen)"))
    assert "records" in nav and not nav & COORDINATOR_SCREENS
    for route in ("#/admin/users", "#/conflicts", "#/review"):
        shown = reporter.page.evaluate(
            "(h) => { location.hash = h; return tawthiqUi.route().screen.id; }", route
        )
        assert shown == "records", route
        reporter.page.wait_for_timeout(200)  # let the hashchange render
        assert (
            reporter.page.query_selector(".admin-screen, .conflicts-screen, .review-screen") is None
        ), route
    api = reporter.user["api"]
    for path in ("/users", "/audit", "/conflicts", "/sync/parked"):
        assert api.get(f"{live.url}/api/v1{path}", timeout=10).status_code == 403, path
    refused = reporter.eval("() => tawthiq.api('GET', '/users').then(() => 0, (e) => e.status)")
    assert refused == 403

    # The admin: every tab, and the reporter's phone among the devices.
    nav = set(admin.page.eval_on_selector_all("#nav a", "els => els.map(a => a.dataset.screen)"))
    assert "admin" in nav
    row = go(admin, "#/admin/devices", f"#devices-table tr[data-origin='{origin}']")
    assert row.get_attribute("data-revoked") == "false"
    screenshots(admin, "admin-devices", f"#devices-table tr[data-origin='{origin}']")
    admin.page.once("dialog", lambda d: d.accept())
    admin.page.click(f"#devices-table tr[data-origin='{origin}'] button.revoke")
    admin.page.wait_for_selector(f"#devices-table tr[data-origin='{origin}'][data-revoked=true]")

    rid = reporter.eval("() => tawthiq.createRecord('incident', {event_type: 'arrests'})")
    reporter.sync()
    wait_until(reporter.page, "() => tawthiq.status().then((s) => s.revoked)")
    assert reporter.eval("() => tawthiq.replica.outboxSize") == 1  # kept, not lost
    assert rid not in live.records(reporter.user)

    # The audit log names the revocation, on its first page; it pages and filters.
    go(admin, "#/admin/audit", "#audit-table")
    assert admin.page.query_selector("#audit-table tr[data-action=device_revoked]")
    for _ in range(25):  # a page of newer events pushes it to page 2
        live.team()
    admin.page.evaluate("() => tawthiqUi.refresh()")
    admin.page.wait_for_function(
        "() => !document.querySelector('#audit-table tr[data-action=device_revoked]')"
    )
    actions = admin.page.eval_on_selector_all(
        "#audit-table tbody tr", "els => els.map(e => e.dataset.action)"
    )
    assert actions == ["team_created"] * 25
    admin.page.click("#audit-next")
    admin.page.wait_for_selector("#audit-prev:enabled")
    assert admin.page.evaluate("() => location.hash") == "#/admin/audit/2"
    assert (
        admin.page.eval_on_selector_all(
            "#audit-table tbody tr", "els => els.map(e => e.dataset.action)"
        )[0]
        == "device_revoked"
    )
    admin.page.fill("#audit-action", "device_revoked")
    admin.page.press("#audit-action", "Enter")
    admin.page.wait_for_function("() => location.hash === '#/admin/audit/1/device_revoked'")
    admin.page.wait_for_selector("#view #audit-action[value=device_revoked]")  # re-rendered
    assert set(
        admin.page.eval_on_selector_all(
            "#audit-table tbody tr", "els => els.map(e => e.dataset.action)"
        )
    ) == {"device_revoked"}
    go(admin, "#/admin/audit", "#audit-table")
    screenshots(admin, "admin-audit", "#audit-table")

    # Offline the admin screens say they need the network (nothing of theirs is kept).
    admin.context.set_offline(True)
    go(admin, "#/admin/monitor", ".admin-screen")
    note = admin.page.wait_for_selector("#admin-monitor .needs-network")
    assert note.inner_text() == "This page needs the network."
    admin.context.set_offline(False)

    # A user made in the UI logs in with the one-time password shown once.
    go(admin, "#/admin/users", "#create-user")
    name = f"new{uuid.uuid4().hex[:8]}"
    admin.page.fill("#new-username", name)
    admin.page.select_option("#new-team", team)
    admin.page.select_option("#new-role", "reporter")
    admin.page.click("#create-user-submit")
    otp = admin.page.wait_for_selector("#one-time-password .otp-value").inner_text().strip()
    assert admin.page.inner_text("#one-time-password .otp-user") == name
    r = requests.post(
        f"{live.url}/api/v1/session",
        json={"username": name, "password": otp},
        headers={"X-CSRF-Token": "login"},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    assert r.json()["user"]["must_change_password"] is True
    admin.page.wait_for_selector(f"#users-table-slot tr[data-user='{name}']")
    screenshots(admin, "admin-users", "#create-user")
    for d in (reporter, admin):
        assert not d.errors, d.errors


def test_review_queue_verifies_and_assigns(devices: Any, live: Hub) -> None:
    """The coordinator's queue puts contested records first; Confirm writes the
    verification change; assigning a casualty to a reporter brings it to their phone."""
    team = live.team()
    huda = devices(live.user(team, "coordinator"))
    sami = devices(live.user(team))
    huda.setup()
    sami.setup()
    calm = huda.eval("() => tawthiq.createRecord('incident', {event_type: 'arrests'})")
    disputed = huda.eval(
        "() => tawthiq.createRecord('incident', {event_type: 'armed_clash',"
        " verification_status: 'contested'})"
    )
    person = huda.eval(
        "() => tawthiq.createRecord('casualty', {full_name: 'خالد العمر',"
        " sex: 'male', outcome: 'injured', civilian_status: 'civilian',"
        " cause: 'gunfire_sniper'})"
    )
    huda.wait_sent()

    go(huda, "#/review", f"#review-list li[data-id='{person}']")
    order = huda.page.eval_on_selector_all("#review-list > li", "els => els.map(e => e.dataset.id)")
    assert order[0] == disputed and set(order) >= {calm, disputed, person}
    # The reporter is offered by name (the team's members, fetched online).
    select = f"#review-list li[data-id='{person}'] select.assign-select"
    options = huda.page.eval_on_selector_all(
        f"{select} option", "els => els.map(o => o.textContent)"
    )
    assert sami.user["username"] in options
    screenshots(huda, "review", f"#review-list li[data-id='{person}']")

    huda.page.click(f"#review-list li[data-id='{calm}'] button[data-verify=confirmed]")
    huda.page.wait_for_function(
        "(id) => !document.querySelector(`#review-list li[data-id='${id}']`)", arg=calm
    )
    assert person not in sami.views()
    huda.page.select_option(select, sami.user["id"])
    huda.page.wait_for_function(
        "([id, u]) => tawthiq.view(id).values.assigned_to === u", arg=[person, sami.user["id"]]
    )
    huda.wait_sent()
    hub = live.records(huda.user)
    assert hub[calm]["values"]["verification_status"] == "confirmed"
    assert hub[person]["values"]["assigned_to"] == sami.user["id"]
    sami.sync()
    sami.page.wait_for_function("(id) => Boolean(tawthiq.view(id))", arg=person)
    assert sami.views()[person]["values"]["full_name"] == "خالد العمر"

    # A reporter cannot discount: the hub parks the change, and the coordinator's admin
    # tabs (team, devices, parked, monitor; no users or audit) show it with the reason.
    sami.page.wait_for_function("(id) => Boolean(tawthiq.view(id))", arg=disputed)
    sami.eval("(id) => tawthiq.updateRecord(id, {verification_status: 'discounted'})", disputed)
    sami.sync()
    sami.page.wait_for_function("() => tawthiq.replica.refused === 1")
    go(huda, "#/admin", ".admin-screen")
    tabs = huda.page.eval_on_selector_all(
        ".admin-screen .tabs a", "els => els.map(a => a.dataset.tab)"
    )
    assert tabs == ["team", "devices", "parked", "monitor"]
    go(huda, "#/admin/team", "#admin-team td[data-label]")
    assert sami.user["username"] in huda.page.inner_text("#admin-team")
    row = go(huda, "#/admin/parked", "#parked-table tbody tr")
    assert "only a coordinator may set verification to discounted" in row.inner_text()
    assert sami.user["username"] in row.inner_text()
    assert "Discounted" in row.inner_text()  # the content, for the team's coordinator
    screenshots(huda, "admin-parked", "#parked-table tbody tr")
    go(huda, "#/admin/monitor", "#monitor-table tbody tr")
    sami_device = sami.eval("() => tawthiq.identity.device.id")
    parked = huda.page.inner_text(f"#monitor-table tr[data-device='{sami_device}'] td:last-child")
    assert parked == "1"
    for d in (huda, sami):
        assert not d.errors, d.errors


def test_delete_conflict_kept_by_coordinator(devices: Any, live: Hub) -> None:
    """A reporter deletes a record offline while the coordinator edits it: the conflicts
    view offers to keep or delete; keeping brings it back, with the edit, everywhere."""
    team = live.team()
    amal = devices(live.user(team))
    huda = devices(live.user(team, "coordinator"))
    amal.setup()
    huda.setup()
    rid = amal.eval("() => tawthiq.createRecord('incident', {event_type: 'armed_clash'})")
    amal.wait_sent()
    huda.sync()
    huda.page.wait_for_function("(id) => Boolean(tawthiq.view(id))", arg=rid)
    amal.context.set_offline(True)
    huda.context.set_offline(True)
    amal.eval("(id) => tawthiq.deleteRecord(id)", rid)
    huda.eval("(id) => tawthiq.updateRecord(id, {description: 'ثلاثة جرحى'})", rid)
    amal.context.set_offline(False)
    huda.context.set_offline(False)
    amal.wait_sent()
    huda.wait_sent()
    huda.sync()
    huda.page.wait_for_function("(id) => tawthiq.view(id).delete_conflict", arg=rid)

    go(huda, "#/conflicts", f".conflict-record[data-id='{rid}'] .delete-conflict")
    huda.page.click(f".conflict-record[data-id='{rid}'] button.keep-record")
    huda.page.wait_for_selector(f".conflict-record[data-id='{rid}']", state="detached")
    huda.wait_sent()
    hub = live.records(huda.user)[rid]
    assert not hub["deleted"] and not hub["delete_conflict"]
    assert hub["values"]["description"] == "ثلاثة جرحى"
    amal.sync()
    amal.page.wait_for_function(
        "(id) => { const v = tawthiq.view(id); return !v.deleted && !v.delete_conflict; }", arg=rid
    )
    for d in (amal, huda):
        assert not d.errors, d.errors
