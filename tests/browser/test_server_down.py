"""The hub goes down while the phone is online: sync fails gracefully (no page error,
the change stays queued, retries back off), and succeeds once the hub is back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browser.harness import Hub, shot


@pytest.fixture
def own_hub(live: Hub) -> Iterator[Hub]:
    """The run's hub, which this test stops and starts again (same port and data)."""
    yield live
    if live.proc.proc is None or live.proc.proc.poll() is not None:
        live.proc.start()


def test_sync_survives_a_stopped_server(devices: Any, own_hub: Hub) -> None:
    user = own_hub.user(own_hub.team())
    phone = devices(user, own_hub)
    phone.setup()
    own_hub.proc.stop()

    rid = phone.eval(
        "() => tawthiq.createRecord('casualty', {full_name: 'سامر الحمصي', sex: 'male',"
        " outcome: 'injured', civilian_status: 'civilian', cause: 'shelling_artillery'})"
    )
    phone.sync()
    status = phone.status()
    assert status["pending"] == 1
    assert status["lastError"]["code"] == "network"
    # Retries continue by themselves, backing off.
    phone.page.wait_for_function("() => tawthiq.scheduler.failures >= 2", timeout=15_000)
    phone.page.wait_for_selector("#pending[data-count='1']")
    shot(phone.page, "server-down")

    # Nothing lost across a reload either.
    phone.page.reload()
    phone.unlock()
    assert phone.status()["pending"] == 1

    own_hub.proc.start()
    phone.page.click("#sync-now")
    phone.wait_sent()
    phone.page.wait_for_function("() => tawthiq.scheduler.state.lastError === null")
    held = own_hub.records(user)
    assert held[rid]["values"]["full_name"] == "سامر الحمصي"
