"""The browser's pull asks for the next page while it checks and stores this one, and
acknowledges only what it stored (docs/sync.md, "pull")."""

from __future__ import annotations

from typing import Any

from browser.harness import Hub, login

PULL_IN_SMALL_PAGES = """async () => {
  const { SyncClient, HttpTransport } = await import('/static/js/sync-client.js');
  const r = tawthiq.replica;
  const transport = new HttpTransport(tawthiq.identity.device.token);
  const pull = transport.pull.bind(transport);
  const requests = [];
  // Each request as it leaves: what it acknowledges against what is stored then.
  transport.pull = async (since, limit, ack) => {
    requests.push({ since, ack: ack ?? null, stored: await r.checkpoint('probe') });
    return pull(since, limit, ack);
  };
  const client = new SyncClient({ replica: r, vault: tawthiq.vault, transport, pageSize: 2 });
  const report = { pushed: 0, pulled: 0, repaired: 0, problems: 0, forgotten: 0 };
  await client.pull('probe', report, null);
  return { requests, pulled: report.pulled, checkpoint: await r.checkpoint('probe'),
    held: [...r.states.keys()] };
}"""


def test_browser_pull_is_pipelined_and_acks_what_it_stored(devices: Any, live: Hub) -> None:
    """Seven records pulled two at a time: every one arrives; each request acknowledges at
    most the checkpoint stored when it left, some run ahead of it, the last is the closing
    request, and the hub's monitor then shows exactly the device's checkpoint."""
    team = live.team()
    writer = live.user(team)
    api, csrf = login(live.url, writer["username"], writer["password"])
    made = []
    for i in range(7):
        r = api.post(
            f"{live.url}/api/v1/records",
            json={
                "kind": "incident",
                "team_id": team,
                "event_type": "armed_clash",
                "killed_max": i,
            },
            headers={"X-CSRF-Token": csrf},
            timeout=10,
        )
        assert r.status_code == 201, r.text
        made.append(r.json()["id"])
    phone = devices(live.user(team, "coordinator"))
    phone.setup()
    got = phone.eval(PULL_IN_SMALL_PAGES)
    assert set(made) <= set(got["held"])
    requests = got["requests"]
    assert all(q["ack"] is None or q["ack"] <= q["stored"] for q in requests), requests
    assert any(q["ack"] is not None and q["ack"] < q["since"] for q in requests), requests
    assert requests[-1]["ack"] == requests[-1]["since"] == got["checkpoint"], requests
    mine = phone.eval("() => tawthiq.identity.device.id")
    monitor = phone.user["api"].get(f"{live.url}/api/v1/sync/peers", timeout=10).json()
    device = next(d for d in monitor["devices"] if d["id"] == mine)
    assert device["last_pull_seq"] == got["checkpoint"]
