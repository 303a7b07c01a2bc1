"""USB bundles between hubs, through the real CLI commands (in-process).

Hubs A, B and C each have their own SQLite database and data folder (their keys). They
know each other only by courier: `tawthiq hub id --export` files and `peer add --keys`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from support.local_hubs import LocalHub

from app.extensions import db


@pytest.fixture
def hubs(tmp_path: Path):
    a, b, c = (LocalHub(tmp_path, n) for n in "abc")
    a.team("Khaldiyeh")
    a.team("A private")
    b.team("Waer")
    c.team("Rastan")
    a.coordinator("Khaldiyeh", "A private")
    b.coordinator("Waer")
    for hub in (a, b, c):
        hub.cli("hub", "id", "--export", str(tmp_path / f"{hub.name}.json"))
    khaldiyeh = a.teams["Khaldiyeh"]
    # A shares Khaldiyeh (and, by mistake, its private team) with B; B takes Khaldiyeh only.
    a.cli(
        "peer",
        "add",
        "B",
        "--keys",
        str(tmp_path / "b.json"),
        "--teams",
        f"Khaldiyeh,{a.teams['A private']}",
    )
    a.cli("peer", "add", "C", "--keys", str(tmp_path / "c.json"), "--teams", "Khaldiyeh")
    b.cli(
        "peer",
        "add",
        "A",
        "--keys",
        str(tmp_path / "a.json"),
        "--teams",
        khaldiyeh,
        "--readers",
        "Waer",
    )
    return a, b, c, tmp_path


def test_round_trip_repeat_receipt_and_rule(hubs) -> None:
    a, b, _c, tmp = hubs
    mine = [a.create("Khaldiyeh", f"report {i}", killed_max=i) for i in range(5)]
    private = a.create("A private", "PRIVATE-CANARY")
    bundle = tmp / "a-to-b.bundle"
    out = a.cli("bundle", "export", "--peer", "B", "-o", str(bundle)).output
    assert "7 changes" not in out and "6 changes" in out  # 5 + the private one (A's rule)
    assert b"PRIVATE-CANARY" not in bundle.read_bytes() and b"report" not in bundle.read_bytes()

    result = b.cli("bundle", "import", str(bundle))
    assert "accepted 5" in result.output and "parked 1" in result.output
    first_receipt = Path(f"{bundle}.receipt.json").read_text()
    assert set(mine) <= set(b.records()) and private not in b.records()
    theirs = {rid: s for rid, s in a.records().items() if rid in mine}
    assert {rid: s for rid, s in b.records().items() if rid in mine} == theirs
    parked = b.run(lambda: db.session.execute(sa.text("SELECT reason FROM parked_changes")).all())
    assert parked == [(f"team {a.teams['A private']} is not shared with peer A",)]
    # Remote team made locally, marked with its origin hub.
    origin = b.run(
        lambda: db.session.execute(
            sa.text("SELECT origin_hub FROM teams WHERE id = :t"), {"t": a.teams["Khaldiyeh"]}
        ).scalar()
    )
    assert origin and origin.startswith("hub-")

    before = b.snapshot()
    again = b.cli("bundle", "import", str(bundle))
    assert "imported before: nothing new" in again.output and "duplicate 5" in again.output
    assert b.snapshot() == before

    receipt = Path(f"{bundle}.receipt.json")
    assert json.loads(receipt.read_text())["receipt"]["counts"]["duplicate"] == 5
    receipt.write_text(first_receipt)
    doc = json.loads(first_receipt)
    assert doc["receipt"]["counts"]["accepted"] == 5
    out = a.cli("bundle", "receipt", str(receipt)).output
    seq_to = json.loads(json.dumps(doc))["receipt"]["seq_range"]["to"]
    assert f"checkpoint now {seq_to}" in out
    # The next bundle for B starts after the receipt's checkpoint: only what is new.
    a.create("Khaldiyeh", "later")
    out = a.cli("bundle", "export", "--peer", "B", "-o", str(tmp / "next.bundle")).output
    assert "1 changes" in out
    # A receipt forged by someone else is refused.
    doc["receipt"]["counts"]["accepted"] = 99
    receipt.write_text(json.dumps(doc))
    bad = a.cli("bundle", "receipt", str(receipt), ok=False)
    assert bad.exit_code != 0 and "not signed by peer B" in bad.output


def test_old_bundle_changes_nothing_and_passphrase(hubs) -> None:
    a, b, _c, tmp = hubs
    a.create("Khaldiyeh", "first")
    old = tmp / "old.bundle"
    a.cli("bundle", "export", "--peer", "B", "-o", str(old))
    a.create("Khaldiyeh", "second")
    env = {"BUNDLE_PASS": "correct horse battery staple"}
    new = tmp / "new.bundle"
    a.cli("bundle", "export", "--since", "0", "--to-peer", "B", "-o", str(new))
    locked = tmp / "locked.bundle"
    a.cli(
        "bundle",
        "export",
        "--peer",
        "B",
        "--passphrase-env",
        "BUNDLE_PASS",
        "-o",
        str(locked),
        env=env,
    )
    b.cli("bundle", "import", str(new))
    before = b.snapshot()
    b.cli("bundle", "import", str(old))
    after = b.snapshot()
    assert after["changes"] == before["changes"] and after["records"] == before["records"]

    wrong = b.cli(
        "bundle",
        "import",
        str(locked),
        "--passphrase-env",
        "BUNDLE_PASS",
        ok=False,
        env={"BUNDLE_PASS": "wrong"},
    )
    assert wrong.exit_code != 0 and "wrong passphrase" in wrong.output
    none = b.cli("bundle", "import", str(locked), ok=False)
    assert none.exit_code != 0 and "passphrase" in none.output
    ok = b.cli("bundle", "import", str(locked), "--passphrase-env", "BUNDLE_PASS", env=env)
    assert "duplicate 2" in ok.output


def _reject(hub: LocalHub, path: Path, expect: str) -> None:
    before = hub.snapshot()
    result = hub.cli("bundle", "import", str(path), ok=False)
    assert result.exit_code != 0, result.output
    assert expect in result.output, result.output
    assert hub.snapshot() == before


def test_damaged_forged_and_misaddressed_bundles_are_rejected_whole(hubs, monkeypatch) -> None:
    from app.services import bundles

    a, b, _c, tmp = hubs
    monkeypatch.setattr(bundles, "CHUNK", 16 * 1024)  # several chunks from little data
    for i in range(30):
        a.create("Khaldiyeh", f"report {i} " + "ب" * 1000)
    good = tmp / "good.bundle"
    a.cli("bundle", "export", "--peer", "B", "-o", str(good))
    data = good.read_bytes()
    assert len(data) > 3 * 16 * 1024

    cut = tmp / "cut.bundle"
    for size in (10, len(data) // 2, len(data) - 20_000):
        cut.write_bytes(data[:size])
        _reject(b, cut, "truncated")
    whole_chunk = tmp / "no-last.bundle"
    header_end = data.index(b"\n", len(b"TAWTHIQ-BUNDLE/1\n")) + 1
    first_len = int.from_bytes(data[header_end : header_end + 4], "big")
    whole_chunk.write_bytes(data[: header_end + 4 + first_len])  # only the first chunk
    _reject(b, whole_chunk, "truncated")

    flipped = tmp / "flipped.bundle"
    for where in (header_end + 100, len(data) // 2, len(data) - 5):
        raw = bytearray(data)
        raw[where] ^= 0x01
        flipped.write_bytes(bytes(raw))
        _reject(b, flipped, "altered")
    raw = bytearray(data)
    raw[len(b"TAWTHIQ-BUNDLE/1\n") + 30] ^= 0x01  # inside the clear-text header
    flipped.write_bytes(bytes(raw))
    _reject(b, flipped, "Rejected")
    flipped.write_bytes(data + b"x")
    _reject(b, flipped, "altered")

    # Re-signed with another key: (1) the manifest shows that key; (2) it shows A's key
    # but the signature was made with another one.
    from app.services import hub_keys

    real = hub_keys.load(a.dir)
    other = hub_keys.load(tmp / "intruder")
    with monkeypatch.context() as m:
        m.setattr(hub_keys, "current", lambda: other)
        m.setattr(hub_keys, "load", lambda _d: other)
        forged = tmp / "forged1.bundle"
        a.cli("bundle", "export", "--since", "0", "--to-peer", "B", "-o", str(forged))
    _reject(b, forged, "wrongly signed")
    with monkeypatch.context() as m:
        intruder = other.signing
        m.setattr(type(real), "sign", lambda self, d: hub_keys.b64u(intruder.sign(d)))
        forged = tmp / "forged2.bundle"
        a.cli("bundle", "export", "--since", "0", "--to-peer", "B", "-o", str(forged))
    _reject(b, forged, "signature does not verify")

    to_c = tmp / "to-c.bundle"
    a.cli("bundle", "export", "--peer", "C", "-o", str(to_c))
    _reject(b, to_c, "wrongly addressed")
    _reject(b, tmp / "a.json", "not a Tawthiq bundle")

    b.cli("bundle", "import", str(good))  # the untouched one still goes in
    assert len(b.records()) == 30


def test_hub_id_prints_fingerprint_and_keys_are_private(hubs) -> None:
    a, _b, _c, _tmp = hubs
    out = a.cli("hub", "id").output
    assert "fingerprint:" in out and "hub id:      hub-" in out
    for name in ("hub_ed25519.pem", "hub_x25519.pem", "hub_p256.pem"):
        assert (a.dir / name).stat().st_mode & 0o777 == 0o600
    assert os.path.exists(a.dir / "hub_p256.pem")
