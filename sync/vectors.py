"""Conformance vectors: JSON files every other client (the browser first) must pass.

``python -m sync.vectors OUT_DIR`` writes them. Building is pure (:func:`build_vectors`
returns ``{relative path: JSON value}``); only :func:`main` touches the disk. Suites are
registered in :data:`SUITES`, so later issues can add protocol exchanges beside these.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .canonical import canonical_json, sha256_hex
from .changes import Change, ChangeError, blank_for_purge, new_change
from .hlc import format_hlc
from .materialise import RecordState, apply_change, link_merges, materialise

__all__ = ["SUITES", "build_vectors", "dump", "main"]

Vectors = dict[str, Any]


class _Writer:
    """Terse construction of the changes a vector needs."""

    def __init__(self) -> None:
        self.seq: dict[str, int] = {}

    def __call__(
        self,
        op: str,
        action: str,
        patch: dict[str, Any] | None = None,
        deps: Iterable[str] = (),
        *,
        origin: str = "dev-a",
        t: int = 1_700_000_000_000,
        kind: str = "casualty",
        record: str = "rec-1",
        author: str = "reporter-1",
        schema_version: int = 1,
    ) -> Change:
        self.seq[origin] = self.seq.get(origin, 0) + 1
        return new_change(
            op_id=op,
            record_id=record,
            kind=kind,
            origin_id=origin,
            origin_seq=self.seq[origin],
            action=action,
            patch=patch or {},
            hlc=format_hlc(t, 0, origin),
            device_time=t,
            author=author,
            deps=deps,
            schema_version=schema_version,
        )


def _fold(changes: Iterable[Change]) -> dict[str, RecordState]:
    states: dict[str, RecordState] = {}
    for c in changes:
        states[c.record_id] = apply_change(states.get(c.record_id), c)
    return link_merges(dict(sorted(states.items())))


def _case(name: str, description: str, delivery: list[Change]) -> tuple[str, Any]:
    expected = materialise(delivery)
    if _fold(delivery) != expected:  # the two implementations must agree on every vector
        raise AssertionError(f"naive and incremental disagree on vector {name}")
    return f"materialise/{name}.json", {
        "name": name,
        "description": description,
        "changes": [c.to_dict() for c in delivery],
        "expected": {rid: s.public_dict() for rid, s in expected.items()},
        "hashes": {c.op_id: c.content_hash for c in delivery},
    }


def _materialise_suite() -> Vectors:
    w = _Writer()
    day = 86_400_000
    t0 = 1_700_000_000_000
    cases: list[tuple[str, Any]] = []

    create = w("c1", "create", {
        "full_name": "محمد عبد الرحمن الحمصي", "full_name_latin": "Mohammad Abd al-Rahman",
        "sex": "male", "outcome": "killed", "age_years": 34, "place_id": "SY0401",
        "alternate_names": {"add": [{"eid": "n1", "value": "أبو أحمد"}]},
        "documentation": {"add": [{"eid": "photo", "value": "photo"}]},
    })
    cases.append(_case("create_arabic", "One create with Arabic names and collections.",
                       [create]))

    a = w("a1", "patch", {"full_name": "محمد الحمصي"}, ["c1"], origin="dev-a", t=t0 + 10)
    b = w("b1", "patch", {"full_name": "محمّد الحمصي"}, ["c1"], origin="dev-b", t=t0 + 20)
    c = w("x1", "patch", {"location_detail": "حي الخالدية"}, ["c1"], origin="dev-c", t=t0 + 5)
    cases.append(_case(
        "identity_conflict",
        "Two concurrent writes to full_name: both kept, dev-b (higher hlc) shown first, "
        "needs_review; a concurrent write to another field merges by itself.",
        [create, a, b, c]))

    same = w("b2", "patch", {"full_name": "محمد الحمصي"}, ["c1"], origin="dev-b", t=t0 + 30)
    cases.append(_case("same_value_no_conflict",
                       "Concurrent writes of the same value are not a conflict.",
                       [create, a, same]))

    third = w("d1", "patch", {"full_name": "M. al-Homsi"}, ["c1"], origin="dev-d", t=t0 + 40)
    resolve = w("r1", "resolve", {"full_name": "محمد الحمصي"}, ["a1", "b1"],
                origin="coord", t=t0 + 100, author="coordinator-1")
    cases.append(_case(
        "resolve_sees_two_of_three",
        "A resolve that saw a1 and b1 supersedes exactly those; d1, unseen, stays a "
        "candidate beside the resolved value.",
        [create, a, b, third, resolve]))

    need = w("s1", "create", {"item_name": "أكياس دم O-", "unit": "bag",
                              "quantity_needed": "200", "quantity_delivered": {"delta": 0}},
             kind="supply_need", record="need-1")
    d1 = w("s2", "patch", {"quantity_delivered": {"delta": 100}}, ["s1"], origin="team-1",
           kind="supply_need", record="need-1")
    d2 = w("s3", "patch", {"quantity_delivered": {"delta": 100}, "quantity_committed":
                           {"delta": 50}}, ["s1"], origin="team-2", kind="supply_need",
           record="need-1")
    cases.append(_case("counters_sum", "Two teams each deliver 100 bags: 200 delivered.",
                       [need, d1, d2]))

    add = w("e1", "patch", {"alternate_names": {"add": [{"eid": "n2", "value": "أبو خالد"}]}},
            ["c1"], origin="dev-a")
    rem = w("e2", "patch", {"alternate_names": {"remove": ["n1", "n2"]}}, ["c1"],
            origin="dev-b")
    cases.append(_case(
        "collection_add_wins",
        "A remove concurrent with an add removes only what it had seen: n1 goes, n2 stays.",
        [create, add, rem]))

    delete = w("del1", "delete", {"reason": "duplicate entry"}, ["c1"], origin="dev-b",
               t=t0 + 50)
    cases.append(_case("delete_vs_edit",
                       "A delete concurrent with an edit is flagged; the record stays visible.",
                       [create, a, delete]))
    settle = w("r2", "resolve", {}, ["a1", "del1"], origin="coord", t=t0 + 60)
    cases.append(_case("delete_vs_edit_resolved",
                       "A resolve that saw both closes the contest; the delete stands.",
                       [create, a, delete, settle]))
    undelete = w("u1", "undelete", {}, ["a1", "del1"], origin="coord", t=t0 + 70)
    cases.append(_case("undelete", "An undelete that saw the delete brings the record back.",
                       [delete, create, undelete, a]))

    dup = w("m0", "create", {"full_name": "محمد الحمصي"}, record="rec-2", origin="dev-c")
    merge = w("m1", "merge_into", {"target": "rec-1"}, ["m0"], record="rec-2", origin="coord")
    cases.append(_case("merge_into",
                       "A duplicate merged into rec-1: both histories kept, linked both ways.",
                       [create, dup, merge]))

    purge = w("p1", "purge", {"reason": "erasure request"}, ["a1", "b1"], origin="coord")
    cases.append(_case(
        "purge",
        "A purge blanks the record; a copy of an earlier change already blanked by it "
        "(purged_by, empty patch, hash unchecked) stands in for the original.",
        [blank_for_purge(create, "p1"), a, purge, b]))

    c2 = w("k2", "patch", {"sex": "unknown"}, ["c1"], t=t0 + 1)
    c3 = w("k3", "patch", {"sex": "female"}, ["k2"], t=t0 + 2)
    cases.append(_case("missing_dep",
                       "k3 arrives without k2, its dep: applied anyway, k2 listed as missing.",
                       [c3, create]))
    cases.append(_case(
        "out_of_order_duplicated",
        "The same history delivered backwards with repeats: k3 supersedes k2 once k2 links "
        "them.", [c3, create, c3, c2, create]))

    newer = w("n1", "patch",
              {"full_name": "محمد", "partner_reference": {"org": "SARC", "score": "1.50"}},
              ["c1"], schema_version=2)
    cases.append(_case("unknown_field_kept",
                       "A field from a newer schema is kept and shown as a plain field.",
                       [create, newer]))

    ahead = w("sk1", "patch", {"outcome": "injured"}, ["c1"], origin="dev-skewed",
              t=t0 + 3 * day)
    behind = w("sk2", "patch", {"outcome": "died_of_wounds"}, ["c1"], origin="dev-b",
               t=t0 + 1000)
    cases.append(_case(
        "clock_skew",
        "A device three days ahead is accepted; it only wins the provisional tie-break.",
        [create, behind, ahead]))
    return dict(cases)


def _canonical_suite() -> Vectors:
    inputs: list[tuple[str, Any]] = [
        ("arabic_and_decimals", {"الاسم": "فاطمة", "quantity": "12.50", "n": -7}),
        ("utf16_key_order", {"\uffff": 1, "\U0001f600": 2, "a": 3, "": 4, "ع": 5}),
        ("escapes", {"s": '"\\\b\f\n\r\t\x00\x1f\x7f/\u2028</script>'}),
        ("nesting_and_literals", [None, True, False, 0, 9007199254740991, [], {}, [{"b": 1,
                                                                                  "a": [2]}]]),
        ("empty_object", {}),
    ]
    out: Vectors = {}
    for name, value in inputs:
        out[f"canonical/{name}.json"] = {
            "name": name,
            "input": value,
            "canonical": canonical_json(value),
            "sha256": sha256_hex(value),
        }
    return out


def _rejections_suite() -> Vectors:
    w = _Writer()
    good = w("ok1", "create", {"full_name": "أحمد", "quantity_needed": "1.5"}).to_dict()
    bad: list[tuple[str, dict[str, Any], str]] = []

    def variant(name: str, field: str, **changes: Any) -> None:
        d = dict(good)
        d.update(changes)
        bad.append((name, d, field))

    variant("hash_mismatch", "content_hash", content_hash="0" * 64)
    variant("float_in_patch", "patch", patch={"age_years": 3.5})
    variant("unknown_action", "action", action="overwrite")
    variant("hlc_of_other_origin", "hlc", hlc=format_hlc(1, 0, "someone-else"))
    variant("counter_not_delta", "patch.quantity_delivered", kind="supply_need",
            patch={"quantity_delivered": 5})
    variant("self_dep", "deps", deps=["ok1"])
    out: Vectors = {}
    for name, d, field in bad:
        try:
            Change.from_dict(d)
        except ChangeError as exc:
            if exc.field != field:
                raise AssertionError(f"{name}: rejected on {exc.field}, not {field}") from exc
        else:
            raise AssertionError(f"{name}: not rejected")
        out[f"rejections/{name}.json"] = {"name": name, "change": d, "error_field": field}
    return out


#: Suites by folder; a later issue adds e.g. ``"protocol": _protocol_suite``.
SUITES: dict[str, Callable[[], Vectors]] = {
    "canonical": _canonical_suite,
    "materialise": _materialise_suite,
    "rejections": _rejections_suite,
}


def build_vectors() -> Vectors:
    """Every vector file, as ``{relative path: JSON value}``."""
    out: Vectors = {}
    for suite in SUITES.values():
        out.update(suite())
    return dict(sorted(out.items()))


def dump(value: Any) -> str:
    """The exact text a vector file holds (stable across runs and platforms)."""
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write every vector under the directory given as the only argument."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m sync.vectors OUT_DIR", file=sys.stderr)
        return 2
    root = Path(args[0])
    for rel, value in build_vectors().items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump(value), encoding="utf-8", newline="\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
