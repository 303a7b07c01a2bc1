"""The committed conformance vectors are current, and the Python client passes them."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from sync import (
    Change,
    ChangeError,
    Hello,
    HubInfo,
    PullPage,
    PushResult,
    RecordState,
    Replica,
    apply_change,
    link_merges,
    materialise,
)
from sync.canonical import canonical_json, sha256_hex
from sync.vectors import SUITES, client_state

VECTORS = Path(__file__).resolve().parents[1] / "vectors"


def test_vectors_are_current(tmp_path: Path) -> None:
    """Regenerating the vectors with the command gives the committed bytes exactly (in
    the suites' folders; other files beside them, like validation_cases.json, are
    written elsewhere)."""
    subprocess.run([sys.executable, "-m", "sync.vectors", str(tmp_path)], check=True)
    fresh = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*.json")}
    held = {
        p.relative_to(VECTORS): p.read_bytes()
        for suite in SUITES
        for p in (VECTORS / suite).rglob("*.json")
    }
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


class LostAnswer(Exception):
    """The vector says this answer never arrived."""


class ScriptedHub:
    """A transport that checks each request the client makes against the vector and
    answers with the recorded response; before each request it checks the state the
    client reached after the previous answer."""

    def __init__(self, replica: Replica, exchanges: list[dict[str, Any]]) -> None:
        self.replica, self.exchanges, self.done = replica, exchanges, 0

    def next(self, endpoint: str) -> dict[str, Any]:
        self.check_previous()
        assert self.done < len(self.exchanges), f"an extra {endpoint} request"
        exchange = self.exchanges[self.done]
        self.done += 1
        assert exchange["request"]["endpoint"] == endpoint
        return exchange

    def check_previous(self) -> None:
        if self.done:
            assert client_state(self.replica) == self.exchanges[self.done - 1]["expect"]

    @staticmethod
    def answer(exchange: dict[str, Any]) -> Any:
        if exchange["response"] is None:
            raise LostAnswer
        return exchange["response"]

    def handshake(self, hello: Hello) -> HubInfo:
        exchange = self.next("handshake")
        body = exchange["request"]["body"]
        assert body["origin_id"] == hello.origin_id and body["have"] == hello.have_vector
        assert body["schema_version"] == hello.schema_version and body["clock"] == hello.clock_ms
        r = self.answer(exchange)
        return HubInfo(r["hub_id"], r["hub_seq"], r["schema_version"], r["clock"])

    def push(self, changes: Sequence[Change]) -> list[PushResult]:
        exchange = self.next("push")
        assert [c.to_dict() for c in changes] == exchange["request"]["body"]["changes"]
        r = self.answer(exchange)
        return [PushResult(x["op_id"], x["status"], x.get("reason", "")) for x in r["results"]]

    def pull(self, since: int, limit: int) -> PullPage:
        exchange = self.next("pull")
        assert exchange["request"]["query"] == {"since": since, "limit": limit}
        r = self.answer(exchange)
        changes = [Change.from_dict(d) for d in r["changes"]]
        return PullPage(changes, r["hub_seq"], r["more"], list(r["forget"]))

    def missing(self, have_vector: Mapping[str, int]) -> list[Change]:
        exchange = self.next("missing")
        assert exchange["request"]["body"]["have"] == dict(have_vector)
        return [Change.from_dict(d) for d in self.answer(exchange)["changes"]]


@pytest.mark.parametrize("path", sorted(VECTORS.glob("protocol/*.json")), ids=lambda p: p.stem)
def test_protocol_vectors(path: Path) -> None:
    """The reference client makes exactly the recorded requests and reaches the recorded
    state after every answer."""
    vector = json.loads(path.read_text(encoding="utf-8"))
    now, next_op = [0], [""]
    client = vector["client"]
    replica = Replica(
        client["origin_id"], client["author"], clock=lambda: now[0], new_id=lambda: next_op[0]
    )
    peer = client["peer"]
    for step in vector["steps"]:
        action = step["action"]
        if action == "hub_receives":
            continue
        if action == "write":
            given = step["input"]
            now[0], next_op[0] = given["clock_ms"], given["op_id"]
            change = replica.write(
                given["record_id"], given["kind"], given["action"], given["patch"], given["deps"]
            )
            assert change.to_dict() == step["change"]
            assert client_state(replica, peer) == step["expect"]
            continue
        hub = ScriptedHub(replica, step["exchanges"])
        try:
            if action == "push":
                replica.push(hub, step["batch_size"])
            elif action == "pull":
                replica.pull(hub, peer, step["page_size"])
            elif action == "sync":
                replica.sync(hub, peer, step["page_size"])
            else:
                assert action == "repair"
                replica.repair(hub)
        except LostAnswer:
            pass
        assert hub.done == len(step["exchanges"]), "fewer requests than recorded"
        hub.check_previous()


def test_protocol_vectors_cover_the_cases() -> None:
    """Every push status, a lost answer, a duplicated batch, paging, forget and widening
    appear in the protocol vectors."""
    statuses, seen = set(), set()
    for path in VECTORS.glob("protocol/*.json"):
        for step in json.loads(path.read_text(encoding="utf-8"))["steps"]:
            for ex in step.get("exchanges", []):
                response = ex["response"]
                if response is None:
                    seen.add("lost")
                    continue
                statuses.update(r["status"] for r in response.get("results", []))
                seen.update(["delivered"] if "delivered" in ex else [])
                seen.update(["more"] if response.get("more") else [])
                seen.update(["forget"] if response.get("forget") else [])
    assert statuses == {"accepted", "duplicate", "parked", "id_collision"}
    assert {"lost", "delivered", "more", "forget"} <= seen
    names = {p.stem for p in VECTORS.glob("protocol/*.json")}
    assert {"access_widening", "paged_pull", "forget", "lost_answer_then_retry"} <= names
