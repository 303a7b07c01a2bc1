"""Micro-benchmark of sync/ materialisation. Plain script: prints figures.

    python bench/bench_sync_core.py [N_CHANGES] [N_RECORDS]

Builds N changes (default 100,000) over N_RECORDS records (default 5,000) written by
four devices that see each other's work only now and then (so conflicts, concurrent
counters and collections occur), then times: change construction (validation + hash),
incremental apply in a shuffled delivery order, and a naive rebuild of the whole set,
beside a raw baseline (a last-write-wins dict update over the same patches).
"""

from __future__ import annotations

import random
import sys
import time

from sync import Change, RecordState, apply_change, format_hlc, materialise, new_change


def build(n: int, records: int, rnd: random.Random) -> list[Change]:
    origins = ["dev-a", "dev-b", "dev-c", "dev-d"]
    seq = dict.fromkeys(origins, 0)
    heads: dict[tuple[str, str], list[str]] = {}  # what each device last saw per record
    kinds = ["casualty", "supply_need", "missing_person", "incident"]
    out: list[Change] = []
    for i in range(n):
        origin = rnd.choice(origins)
        rid = f"rec-{rnd.randrange(records)}"
        kind = kinds[hash(rid) % 4]
        seen = heads.get((origin, rid))
        if seen is None:
            action, deps = "create", []
            patch: dict[str, object] = {"full_name": "محمد الحمصي", "location_detail": "حمص"}
        else:
            action, deps = "patch", seen
            field = rnd.choice(["full_name", "location_detail", "description", "counter"])
            if field == "counter" and kind == "supply_need":
                patch = {"quantity_delivered": {"delta": rnd.randrange(1, 50)}}
            elif field == "counter" and kind in ("casualty", "missing_person"):
                patch = {"alternate_names": {"add": [{"eid": f"e{i}", "value": "أبو علي"}]}}
            else:
                patch = {field if field != "counter" else "description": f"نص {i}"}
        seq[origin] += 1
        change = new_change(
            op_id=f"op-{i}",
            record_id=rid,
            kind=kind,
            origin_id=origin,
            origin_seq=seq[origin],
            action=action,
            patch=patch,
            hlc=format_hlc(1_700_000_000_000 + i, 0, origin),
            device_time=i,
            author=f"u-{origin}",
            deps=deps,
        )
        out.append(change)
        heads[(origin, rid)] = [change.op_id]
        if rnd.random() < 0.5:  # another device syncs this record and sees our head
            other = rnd.choice(origins)
            mine = heads.get((other, rid), [])
            heads[(other, rid)] = [change.op_id] if rnd.random() < 0.7 else [*mine, change.op_id]
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    records = int(sys.argv[2]) if len(sys.argv) > 2 else 5_000
    rnd = random.Random(7)
    t = time.perf_counter()
    changes = build(n, records, rnd)
    build_s = time.perf_counter() - t
    print(
        f"built {n:,} changes over {records:,} records: {n / build_s:,.0f} changes/s "
        "(validation + content hash)"
    )

    delivery = list(changes)
    rnd.shuffle(delivery)

    t = time.perf_counter()
    lww: dict[str, dict[str, object]] = {}
    for c in delivery:
        lww.setdefault(c.record_id, {}).update(c.patch)
    base_s = time.perf_counter() - t
    print(f"baseline last-write-wins dict update: {n / base_s:,.0f} changes/s")

    t = time.perf_counter()
    states: dict[str, RecordState] = {}
    for c in delivery:
        states[c.record_id] = apply_change(states.get(c.record_id), c)
    inc_s = time.perf_counter() - t
    print(
        f"incremental apply_change (shuffled, missing deps included): "
        f"{n / inc_s:,.0f} changes/s ({inc_s:.2f} s)"
    )

    t = time.perf_counter()
    in_order: dict[str, RecordState] = {}
    for c in changes:
        in_order[c.record_id] = apply_change(in_order.get(c.record_id), c)
    ord_s = time.perf_counter() - t
    print(
        f"incremental apply_change (causal order, as on a live hub): "
        f"{n / ord_s:,.0f} changes/s ({ord_s:.2f} s)"
    )

    t = time.perf_counter()
    naive = materialise(changes)
    naive_s = time.perf_counter() - t
    print(f"naive rebuild of {n:,} changes: {naive_s:.2f} s ({n / naive_s:,.0f} changes/s)")

    conflicted = sum(bool(s.conflicts) for s in naive.values())
    agree = all(
        states[rid] == naive[rid].__class__(**{**vars(naive[rid]), "merged_from": []})
        for rid in naive
    )
    print(
        f"records: {len(naive):,}, with open conflicts: {conflicted:,}; "
        f"incremental equals naive: {agree}"
    )


if __name__ == "__main__":
    main()
