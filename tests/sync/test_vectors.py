"""The committed conformance vectors are current, and the Python client passes them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sync import Change, ChangeError, RecordState, apply_change, link_merges, materialise
from sync.canonical import canonical_json, sha256_hex

VECTORS = Path(__file__).resolve().parents[1] / "vectors"


def test_vectors_are_current(tmp_path: Path) -> None:
    """Regenerating the vectors with the command gives the committed bytes exactly."""
    subprocess.run([sys.executable, "-m", "sync.vectors", str(tmp_path)], check=True)
    fresh = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*.json")}
    held = {p.relative_to(VECTORS): p.read_bytes() for p in VECTORS.rglob("*.json")}
    assert sorted(fresh) == sorted(held), "run: python -m sync.vectors tests/vectors"
    stale = [str(p) for p in fresh if fresh[p] != held[p]]
    assert not stale, f"stale vectors {stale}; run: python -m sync.vectors tests/vectors"


def test_vectors_stay_small() -> None:
    """The whole set stays under 1 MB."""
    assert sum(p.stat().st_size for p in VECTORS.rglob("*.json")) < 1_000_000


@pytest.mark.parametrize("path", sorted(VECTORS.glob("materialise/*.json")), ids=lambda p: p.stem)
def test_materialise_vectors(path: Path) -> None:
    """Both implementations reproduce the expected records and hashes from the JSON alone."""
    vector = json.loads(path.read_text(encoding="utf-8"))
    changes = [Change.from_dict(d) for d in vector["changes"]]
    assert {c.op_id: c.content_hash for c in changes} == vector["hashes"]
    naive = {rid: s.public_dict() for rid, s in materialise(changes).items()}
    assert naive == vector["expected"]
    states: dict[str, RecordState] = {}
    for c in changes:
        states[c.record_id] = apply_change(states.get(c.record_id), c)
    assert {rid: s.public_dict() for rid, s in link_merges(states).items()} == vector["expected"]


@pytest.mark.parametrize("path", sorted(VECTORS.glob("canonical/*.json")), ids=lambda p: p.stem)
def test_canonical_vectors(path: Path) -> None:
    """Canonical text and sha256 of each input are as recorded."""
    vector = json.loads(path.read_text(encoding="utf-8"))
    assert canonical_json(vector["input"]) == vector["canonical"]
    assert sha256_hex(vector["input"]) == vector["sha256"]


@pytest.mark.parametrize("path", sorted(VECTORS.glob("rejections/*.json")), ids=lambda p: p.stem)
def test_rejection_vectors(path: Path) -> None:
    """Each malformed change is refused, naming the recorded part."""
    vector = json.loads(path.read_text(encoding="utf-8"))
    with pytest.raises(ChangeError) as info:
        Change.from_dict(vector["change"])
    assert info.value.field == vector["error_field"]
