"""A browser's bundle (WebCrypto primitives only) imports through POST /api/v1/bundles
and `tawthiq bundle import`; the hub tells browsers its keys at GET /api/v1/hub."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from click.testing import CliRunner
from support.browser_bundle import device_key, make_bundle
from support.devices import device

from app.cli import main


def _setup(app, make_team, login_as):
    team = make_team("Bab Amr")
    api = login_as("reporter", team)
    key, jwk = device_key()
    replica = device(api.user_obj.id)
    r = api.post(
        "/api/v1/devices",
        json={"name": "laptop", "origin_id": replica.origin_id, "public_key": jwk},
    )
    assert r.status_code == 201, r.get_json()
    token = r.get_json()["token"]
    dev_id = r.get_json()["device"]["id"]
    for i in range(3):
        replica.write(
            str(uuid.uuid4()),
            "incident",
            "create",
            {"team_id": team.id, "event_type": "armed_clash", "description": f"offline {i}"},
        )
    changes = [replica.log[o].to_dict() for o in replica.outbox]
    return api, key, token, dev_id, replica, changes


def test_browser_bundle_imports_once(app, client, make_team, login_as, tmp_path: Path) -> None:
    api, key, token, dev_id, replica, changes = _setup(app, make_team, login_as)
    auth = {"Authorization": f"Bearer {token}"}
    hub = client.get("/api/v1/hub", headers=auth)
    assert hub.status_code == 200
    info = hub.get_json()
    assert info["keys"]["p256"]["jwk"]["crv"] == "P-256" and info["fingerprint"]
    assert api.get("/api/v1/hub").status_code == 200  # a browser session may ask too
    assert client.get("/api/v1/hub").status_code == 401

    data = make_bundle(
        changes,
        device_id=dev_id,
        origin_id=replica.origin_id,
        signing_key=key,
        hub_id=info["hub_id"],
        hub_p256_jwk=info["keys"]["p256"]["jwk"],
        chunk=700,
    )
    post = {"headers": {**auth, "Content-Type": "application/octet-stream"}}
    r = client.post("/api/v1/bundles", data=data, **post)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["counts"]["accepted"] == 3
    assert r.get_json()["receipt"]["signature"]
    again = client.post("/api/v1/bundles", data=data, **post)
    assert again.get_json()["counts"] == {
        "accepted": 0,
        "duplicate": 3,
        "parked": 0,
        "id_collision": 0,
    }
    listed = api.get("/api/v1/records").get_json()["records"]
    assert {x["id"] for x in listed} >= {c["record_id"] for c in changes}

    # The CLI accepts a browser's bundle too (a courier brought the laptop's file).
    path = tmp_path / "laptop.bundle"
    path.write_bytes(data)
    obj: dict = {"config": {**app.config}}
    result = CliRunner().invoke(main, ["bundle", "import", str(path)], obj=obj)
    with obj["app"].app_context():
        from app.extensions import db

        db.engine.dispose()
    assert result.exit_code == 0, result.output
    assert "duplicate 3" in result.output

    # Signed by another key than the device's registered one: refused whole.
    other, _ = device_key()
    forged = make_bundle(
        changes,
        device_id=dev_id,
        origin_id=replica.origin_id,
        signing_key=other,
        hub_id=info["hub_id"],
        hub_p256_jwk=info["keys"]["p256"]["jwk"],
    )
    r = client.post("/api/v1/bundles", data=forged, **post)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "bundle_rejected"
    assert "wrongly signed" in r.get_json()["error"]["message"]
    # Cut short: refused whole.
    r = client.post("/api/v1/bundles", data=data[:-30], **post)
    assert r.status_code == 422 and "truncated" in r.get_json()["error"]["message"]
    assert json.dumps(r.get_json())  # the one error shape
