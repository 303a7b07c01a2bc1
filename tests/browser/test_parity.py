"""The browser's ports agree with the Python originals: field classes, Arabic
normalisation, the REST-to-patch codec, and materialisation on randomized histories
(many more than the fixed vectors). Plus the IndexedDB upgrade path."""

from __future__ import annotations

import itertools
import json
import random
from typing import Any

import pytest

from app.services.record_codec import diff_patch
from app.text.arabic import normalise_arabic, tokens
from sync import KINDS, Change, Replica, materialise


@pytest.fixture(scope="module")
def page(browser: Any, live: Any) -> Any:
    p = browser.new_page()
    p.set_default_timeout(10_000)
    p.goto(f"{live.url}/static/test/blank.html")
    yield p
    p.close()


def test_field_classes_match(page: Any) -> None:
    js = page.evaluate("async () => (await import('/static/js/sync/fields.js')).KINDS")
    py = {
        k: {
            "counters": sorted(s.counters),
            "collections": sorted(s.collections),
            "identity": sorted(s.identity),
        }
        for k, s in KINDS.items()
    }
    assert {k: {c: sorted(v) for c, v in spec.items()} for k, spec in js.items()} == py


TEXTS = [
    "مُحَمَّد عَبْدُ الرَّحْمٰن",
    "أحمد إبراهيم آل ٱلشيخ",
    "فاطمة الزهراء",
    "مستشفى الشفاء",
    "مسؤول رئيس جزء",
    "محـــمد",
    "٠١٢٣٤٥٦٧٨٩ ۰۱۲",
    "Ḥimṣ Khaldiyeh",
    "Bab al-Sba'a",
    "STRASSE Straße",
    "ﻻ ﺍﻟﺴﻼﻡ",
    "a\u200cb\u200fc\ufeffd",
    "  many   spaces\n\ttabs ",
    "O-, AB+ (blood)",
    "جورة الشياح",
    "Jurat al-Shayah",
    "الم",
    "el",
    "😀 emoji ✓",
    "ی ک persian",
    "ΣΊΣΥΦΟΣ ς",
    "İstanbul",
    "x" * 3,
    "",
]


def test_arabic_normalisation_matches(page: Any) -> None:
    got = page.evaluate(
        """async (texts) => {
            const m = await import('/static/js/text/arabic.js');
            return texts.map((t) => [m.normaliseArabic(t), m.tokens(t, {dropArticles: true})]);
        }""",
        TEXTS,
    )
    want = [[normalise_arabic(t), tokens(t, drop_articles=True)] for t in TEXTS]
    assert got == want


CODEC_CASES: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
    (
        "casualty",
        {},
        {
            "full_name": "محمد",
            "alternate_names": ["أبو أحمد", "ابو احمد"],
            "documentation": ["photo", "witness_statement"],
            "age_years": 30,
        },
        False,
    ),
    (
        "casualty",
        {"full_name": "محمد", "alternate_names": ["أبو أحمد"], "sex": "male"},
        {"full_name": "محمد", "alternate_names": ["أبو خالد"], "sex": None},
        False,
    ),
    (
        "casualty",
        {"full_name": "محمد", "sex": "male", "alternate_names": ["x"]},
        {"full_name": "محمود"},
        True,
    ),
    (
        "supply_need",
        {"quantity_delivered": 100, "quantity_committed": 0},
        {"quantity_delivered": 250, "quantity_committed": 0, "item_name": "خبز"},
        False,
    ),
    (
        "missing_person",
        {"notes": [{"note_id": "11111111-1111-4111-8111-111111111111", "text": "رآه جار"}]},
        {
            "notes": [
                {"note_id": "11111111-1111-4111-8111-111111111111", "text": "رآه جار يوم الخميس"},
                {"note_id": "22222222-2222-4222-8222-222222222222", "text": "اتصال"},
            ]
        },
        False,
    ),
]


def test_codec_matches(page: Any) -> None:
    got = page.evaluate(
        """async (cases) => {
            const m = await import('/static/js/sync/codec.js');
            const out = [];
            for (const [kind, cur, want, replace] of cases) {
              out.push(await m.diffPatch(kind, cur, want, {replace}));
            }
            return out;
        }""",
        CODEC_CASES,
    )
    want = [diff_patch(k, c, w, replace=r) for k, c, w, r in CODEC_CASES]
    assert got == want


def _history(rnd: random.Random) -> list[Change]:
    """A random multi-device history: creates, patches, deletes, resolves, purges."""
    ids = itertools.count(1)
    now = [1_700_000_000_000]

    def clock() -> int:
        now[0] += rnd.randint(0, 3)
        return now[0]

    devices = [
        Replica(f"dev-{i}", f"user-{i}", clock=clock, new_id=lambda: f"op-{next(ids)}")
        for i in range(rnd.randint(2, 4))
    ]
    records = [("rec-1", "casualty"), ("rec-2", "supply_need"), ("rec-3", "missing_person")]
    values = ["أحمد", "محمد", "Ahmad", None, 7, {"a": [1, "ب"]}, True]
    for rid, kind in records:
        devices[0].write(
            rid,
            kind,
            "create",
            {"full_name": "أحمد"}
            if kind != "supply_need"
            else {"item_name": "خبز", "quantity_delivered": {"delta": 5}},
        )
    everything: dict[str, Change] = {}
    for _ in range(rnd.randint(5, 25)):
        d = rnd.choice(devices)
        rid, kind = rnd.choice(records)
        state = d.record(rid)
        roll = rnd.random()
        if state is None or roll < 0.15:
            d.receive(rnd.sample(list(everything.values()), k=min(len(everything), 5)))
        elif roll < 0.6:
            patch: dict[str, Any] = {
                rnd.choice(["full_name", "sex", "outcome", "note"]): rnd.choice(values)
            }
            if kind == "supply_need":
                patch = {"quantity_delivered": {"delta": rnd.randint(-5, 50)}}
            elif rnd.random() < 0.4:
                patch["alternate_names"] = {
                    "add": [{"eid": f"n{rnd.randint(1, 3)}", "value": rnd.choice(["ا", "ب"])}]
                }
            elif rnd.random() < 0.2 and state.values.get("alternate_names"):
                patch["alternate_names"] = {"remove": [state.values["alternate_names"][0]["eid"]]}
            d.write(rid, kind, "patch", patch)
        elif roll < 0.7:
            d.write(rid, kind, "delete" if rnd.random() < 0.7 else "undelete", {})
        elif roll < 0.85 and state.conflicts:
            d.resolve(
                rid,
                {f: c[-1].value for f, c in state.conflicts.items() if not f.startswith("@")}
                or {"full_name": "حل"},
            )
        elif roll < 0.88:
            d.write(rid, kind, "purge", {"reason": "erasure"})
        for c in d.log.values():
            everything.setdefault(c.op_id, c)
    for d in devices:
        for c in d.log.values():
            if c.op_id not in everything or c.purged_by is not None:
                everything[c.op_id] = c
    delivery = list(everything.values())
    delivery += rnd.sample(delivery, k=len(delivery) // 3)  # repeats
    rnd.shuffle(delivery)
    return delivery


def test_materialise_matches_on_random_histories(page: Any) -> None:
    rnd = random.Random(8)
    histories = [_history(rnd) for _ in range(40)]
    got = page.evaluate(
        """async (histories) => {
            const m = await import('/static/test/conformance.js');
            const out = [];
            for (const h of histories) out.push(await m.materialiseBoth(h));
            return out;
        }""",
        [[c.to_dict() for c in h] for h in histories],
    )
    for h, result in zip(histories, got, strict=True):
        want = {rid: s.public_dict() for rid, s in materialise(h).items()}
        want = json.loads(json.dumps(want))
        assert result["naive"] == want
        assert result["incremental"] == want


def test_indexeddb_upgrades_step_by_step(page: Any) -> None:
    """A database made by the first schema version is upgraded in place, data kept."""
    out = page.evaluate(
        """async () => {
            const m = await import('/static/js/db.js');
            const name = 'tawthiq-upgrade-test';
            await m.deleteDb(name);
            const v1 = await m.openDb({name, version: 1});
            await m.transact(v1, ['outbox', 'changes'], 'readwrite', (s) => {
              s.outbox.add({op_id: 'op-1', problem: null});
              s.changes.put({op_id: 'op-1', record_id: 'r', origin_id: 'o', origin_seq: 1});
            });
            v1.close();
            const db = await m.openDb({name});
            const got = await m.transact(db, ['outbox', 'changes', 'checkpoints'], 'readonly',
              (s) => Promise.all([m.request(s.outbox.index('op_id').get('op-1')),
                                  m.indexKeys(s.changes.index('origin'))]));
            const stores = [...db.objectStoreNames];
            db.close();
            await m.deleteDb(name);
            return {version: m.DB_VERSION, stores, got};
        }"""
    )
    assert out["version"] == 3
    assert out["stores"] == [
        "changes",
        "checkpoints",
        "dirty",
        "kv",
        "outbox",
        "records",
        "snapshot",
    ]
    assert out["got"] == [{"op_id": "op-1", "problem": None}, [["o", 1]]]
