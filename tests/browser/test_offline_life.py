"""A phone's offline life against a real server: load online, log in, choose the
passphrase, go offline, work for days (reloads, closed pages, cleared cookies), come
back online and everything reaches the hub without a click."""

from __future__ import annotations

from typing import Any

from browser.harness import Hub, shot

KINDS = ("incident", "casualty", "missing_person", "supply_need")


def test_offline_life(devices: Any, live: Hub) -> None:
    team = live.team()
    user = live.user(team)
    phone = devices(user)
    phone.setup()
    shot(phone.page, "offline-01-ready")

    phone.context.set_offline(True)
    response = phone.page.reload()
    assert response is not None and response.from_service_worker
    phone.unlock()
    for kind in KINDS:
        phone.fill_form(kind)
    assert phone.status()["pending"] == 4
    shot(phone.page, "offline-02-four-records")

    # The page closes, cookies go, a new page opens, still offline.
    phone.page.close()
    phone.context.clear_cookies()
    page = phone.new_page()
    page.goto(f"{live.url}/")
    phone.unlock()
    assert len(phone.views()) == 4
    phone.fill_form("casualty", {"full_name": "أحمد الخالدي"})
    assert phone.status()["pending"] == 5

    on_device = phone.views()
    phone.context.set_offline(False)
    phone.wait_sent()
    shot(phone.page, "offline-03-sent")

    on_hub = live.records(user)
    assert set(on_hub) == set(on_device)
    for rid, view in on_device.items():
        assert on_hub[rid]["kind"] == view["kind"]
        assert on_hub[rid]["values"] == view["values"], rid
    assert {r["kind"] for r in on_hub.values()} == set(KINDS)


def test_refused_change_stays_with_the_hubs_reason(devices: Any, live: Hub) -> None:
    """A change the hub parks stays queued with the reason; the others go through."""
    user = live.user(live.team())
    phone = devices(user)
    phone.setup()
    phone.context.set_offline(True)
    bad = phone.eval(
        "() => tawthiq.createRecord('casualty', {full_name: 'خطأ', sex: 'male',"
        " outcome: 'killed', civilian_status: 'civilian', cause: 'not_a_cause'})"
    )
    good = phone.eval(
        "() => tawthiq.createRecord('incident', {event_type: 'shelling_artillery_missile'})"
    )
    phone.context.set_offline(False)
    phone.page.wait_for_function("() => tawthiq.replica.refused === 1")
    status = phone.status()
    assert status["pending"] == 1 and status["refused"] == 1
    refused = phone.eval("() => tawthiq.refusedChanges()")
    assert [r["record_id"] for r in refused] == [bad]
    assert refused[0]["status"] == "parked" and "cause" in refused[0]["reason"]
    held = live.records(user)
    assert good in held and bad not in held
    phone.page.click("#refused summary")
    phone.page.wait_for_selector("#refused li")
    phone.sync()  # "Sync now" sends it again: still refused, still kept
    assert phone.status()["pending"] == 1
