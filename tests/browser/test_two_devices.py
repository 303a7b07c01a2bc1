"""Two phones (two browser contexts, two reporters of one team) edit the same incident
while offline: different fields both survive; the same field keeps both candidates, on
the hub and on both phones, which end up agreeing with the hub exactly."""

from __future__ import annotations

from typing import Any

from browser.harness import Hub, shot


def _patch(phone: Any, rid: str, values: dict[str, Any]) -> None:
    phone.eval("([id, v]) => tawthiq.updateRecord(id, v)", [rid, values])


def test_concurrent_offline_edits(devices: Any, live: Hub) -> None:
    team = live.team()
    amal, badr = devices(live.user(team)), devices(live.user(team))
    amal.setup()
    badr.setup()
    rid = amal.eval(
        "() => tawthiq.createRecord('incident', {event_type: 'shelling_artillery_missile',"
        " description: 'قصف على الحي'})"
    )
    amal.wait_sent()
    badr.sync()
    badr.page.wait_for_function("(id) => Boolean(tawthiq.view(id))", arg=rid)

    amal.context.set_offline(True)
    badr.context.set_offline(True)
    _patch(amal, rid, {"description": "قصف مدفعي، ثلاث قذائف", "location_detail": "حي الخالدية"})
    _patch(badr, rid, {"description": "قصف بالهاون", "killed_min": 3})

    amal.context.set_offline(False)
    badr.context.set_offline(False)
    amal.wait_sent()
    badr.wait_sent()
    amal.sync()  # pull Badr's change, whichever phone reached the hub first
    badr.sync()

    hub = live.records(amal.user)[rid]
    assert hub["values"]["location_detail"] == "حي الخالدية"
    assert hub["values"]["killed_min"] == 3
    candidates = {c["value"] for c in hub["conflicts"]["description"]}
    assert candidates == {"قصف مدفعي، ثلاث قذائف", "قصف بالهاون"}

    for phone in (amal, badr):
        phone.page.wait_for_function(
            "(id) => Object.keys(tawthiq.view(id).conflicts).includes('description')", arg=rid
        )
        view = phone.views()[rid]
        assert view["values"] == hub["values"]
        assert view["conflicts"] == hub["conflicts"]
    badr.page.click(f"li.record[data-id='{rid}'] a.edit")
    badr.page.wait_for_selector(".conflict[data-field=description]")
    shot(badr.page, "two-devices-conflict")
