"""What a field worker sees at a glance (issue 9, item 2): online or offline, changes
waiting, the last successful sync (still said after a reload), conflicts waiting, changes
the hub refused with its reason, each record's own state, progress during a long sync,
and a warning when changes have waited for days — in Arabic and English."""

from __future__ import annotations

import time
from typing import Any

from browser.harness import ARTIFACTS, PASSWORD, Hub, login, shot

CASUALTY = (
    "{full_name: %r, sex: 'male', outcome: 'injured', civilian_status: 'civilian', cause: %r}"
)


def _screens() -> str:
    (ARTIFACTS / "screenshots").mkdir(parents=True, exist_ok=True)
    return "screenshots"


def _state(phone: Any, rid: str) -> dict[str, Any]:
    return dict(phone.eval("(id) => tawthiq.recordSyncState(id)", rid))


def test_status_strip_and_record_states(devices: Any, live: Hub) -> None:
    user = live.user(live.team())
    phone = devices(user)
    phone.page.set_viewport_size({"width": 360, "height": 740})
    phone.setup()
    p = phone.page
    p.wait_for_selector("#net[data-online=true]")
    p.wait_for_function("() => document.querySelector('#sync-state').dataset.lastOk !== ''")
    first_ok = int(p.get_attribute("#sync-state", "data-last-ok") or 0)
    assert abs(first_ok / 1000 - time.time()) < 60

    # A record that reached the hub, then edited here and at the hub at the same time.
    shared = phone.eval(
        "() => tawthiq.createRecord('incident', {event_type: 'shelling_artillery_missile',"
        " description: 'قصف على الحي'})"
    )
    phone.wait_sent()
    assert _state(phone, shared) == {"state": "sent", "waiting": 0}

    phone.context.set_offline(True)
    p.wait_for_selector("#net[data-online=false]")
    create = "() => tawthiq.createRecord('casualty', %s)"
    good = phone.eval(create % (CASUALTY % ("سامر", "shelling_artillery")))
    bad = phone.eval(create % (CASUALTY % ("خطأ", "not_a_cause")))
    phone.eval("(id) => tawthiq.updateRecord(id, {description: 'قصف بالهاون'})", shared)
    assert _state(phone, good) == {"state": "waiting", "waiting": 1}
    assert _state(phone, shared)["state"] == "waiting"
    p.wait_for_selector("#pending[data-count='3']")
    assert "Offline" in p.inner_text("#net")

    s, csrf = login(live.url, user["username"], PASSWORD)
    r = s.patch(
        f"{live.url}/api/v1/records/{shared}",
        json={"description": "قصف مدفعي، ثلاث قذائف"},
        headers={"X-CSRF-Token": csrf},
        timeout=10,
    )
    assert r.status_code == 200, r.text

    phone.context.set_offline(False)
    p.wait_for_function("() => tawthiq.replica.refused === 1 && tawthiq.replica.outboxSize === 1")
    phone.sync()  # pulls the hub's edit of the shared record
    p.wait_for_function("(id) => tawthiq.recordSyncState(id).state === 'conflict'", arg=shared)
    assert _state(phone, good) == {"state": "sent", "waiting": 0}
    refused = _state(phone, bad)
    assert refused["state"] == "rejected" and "cause" in refused["reason"]

    p.wait_for_selector("#conflicts[data-count='1']:not([hidden])")
    p.wait_for_selector("#status[data-refused='1']")
    p.click("#refused summary")
    item = p.wait_for_selector(f"#refused li[data-record='{bad}']")
    assert "cause" in item.inner_text() and "خطأ" in item.inner_text()
    assert "Held by the server" in item.inner_text()
    p.wait_for_selector("#sync-state:has-text('Last sync')")  # not while a sync runs
    shot(p, f"{_screens()}/status-strip-en-360")
    p.click("#lang")
    p.wait_for_selector("html[dir=rtl]")
    p.click("#refused summary")
    p.wait_for_selector(f"#refused li[data-record='{bad}']")
    assert "تعارضات بانتظار الحل" in p.inner_text("#conflicts")
    p.wait_for_selector("#sync-state:has-text('آخر مزامنة')")
    shot(p, f"{_screens()}/status-strip-ar-360")
    p.click("#lang")

    # Offline reload: the last successful sync comes from the sealed metadata, and each
    # record's state from the outbox kept on disk (the refusal reason included).
    phone.context.set_offline(True)
    # No run can succeed from now on; the last one that did is what must be said again.
    p.wait_for_function("() => !tawthiq.scheduler.state.syncing")
    last_ok = phone.status()["lastOkAt"]
    assert last_ok
    p.reload()
    phone.unlock()
    p.wait_for_selector("#net[data-online=false]")
    p.wait_for_function(
        "(t) => document.querySelector('#sync-state').dataset.lastOk === String(t)", arg=last_ok
    )
    p.wait_for_selector("#sync-state:has-text('Last sync')")
    assert _state(phone, bad)["state"] == "rejected"
    assert "cause" in _state(phone, bad)["reason"]
    assert _state(phone, shared)["state"] == "conflict"
    assert _state(phone, good)["state"] == "sent"
    assert not phone.errors, phone.errors


def test_long_sync_progress_and_old_changes_warning(devices: Any, live: Hub) -> None:
    """1,200 changes go up in batches and the strip counts them; a change written three
    days ago (device time) and still waiting raises the warning, also after a reload."""
    user = live.user(live.team())
    phone = devices(user)
    phone.setup()
    p = phone.page
    phone.context.set_offline(True)
    phone.eval(
        """async () => {
          const r = tawthiq.replica;
          const real = r.now;
          r.now = () => real() - 3 * 86400000;  // written three days ago
          await tawthiq.createRecord('incident', {event_type: 'shelling_artillery_missile'});
          r.now = real;
          const { diffPatch } = await import('/static/js/sync/codec.js');
          const patch = await diffPatch('incident', {}, { ...tawthiq.defaultsFor('incident'),
            event_type: 'shelling_artillery_missile', team_id: tawthiq.teamIds()[0] });
          const specs = [];
          for (let i = 0; i < 1199; i++) specs.push({ recordId: crypto.randomUUID(),
            kind: 'incident', action: 'create', patch });
          await r.writeMany(specs);
        }"""
    )
    p.wait_for_selector("#pending[data-count='1200']")
    warning = p.wait_for_selector("#warn-waiting")
    assert "waited 3 days" in warning.inner_text()

    p.reload()
    phone.unlock()
    p.wait_for_selector("#warn-waiting")
    # Every row of a long list can ask for its state: memory only, no decryption.
    states = phone.eval(
        """() => {
          const ids = [...tawthiq.replica.states.keys()];
          const t0 = performance.now();
          const got = ids.map((id) => tawthiq.recordSyncState(id).state);
          return { ms: performance.now() - t0, n: got.length, kinds: [...new Set(got)] };
        }"""
    )
    assert states["n"] == 1200 and states["kinds"] == ["waiting"]
    assert states["ms"] < 250, states
    phone.eval(
        """() => {
          window.seen = { events: [], shown: [] };
          tawthiq.addEventListener('status', () => {
            const pr = tawthiq.scheduler?.state.progress;
            if (pr) window.seen.events.push(pr.pushed);
          });
          new MutationObserver(() => {
            const el = document.querySelector('#progress');
            if (el && !el.hidden) window.seen.shown.push(el.querySelector('.counts').textContent);
          }).observe(document.querySelector('#status'), { subtree: true, attributes: true,
            childList: true, characterData: true });
        }"""
    )
    phone.context.set_offline(False)
    phone.wait_sent(timeout_ms=120_000)
    seen = phone.eval("() => window.seen")
    assert {500, 1000, 1200} <= set(seen["events"]), seen["events"]
    assert any("of 1,200" in text for text in seen["shown"]), seen["shown"][:5]
    p.wait_for_selector("#warnings[hidden]", state="attached")
    assert p.query_selector("#warn-waiting") is None
    p.wait_for_selector("#progress", state="hidden")
    assert phone.eval(
        "() => [...new Set([...tawthiq.replica.states.keys()]"
        ".map((id) => tawthiq.recordSyncState(id).state))]"
    ) == ["sent"]
    assert not phone.errors, phone.errors
