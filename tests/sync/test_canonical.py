"""Canonical JSON (RFC 8785 subset) and content hashes, pinned by hand-built bytes."""

from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import given
from support.json_values import json_values

from sync import (
    CanonicalError,
    Change,
    canonical_bytes,
    canonical_json,
    compute_content_hash,
    new_change,
)
from sync.canonical import reference_canonical_json


def test_keys_sort_by_utf16_code_units() -> None:
    """U+1F600 (surrogates D83D DE00) sorts before U+FFFF in UTF-16, unlike in code points."""
    obj = {"\uffff": 1, "\U0001f600": 2, "b": 3, "a": 4, "": 5, "ع": 6}
    assert reference_canonical_json(obj) == canonical_json(obj)
    assert canonical_json(obj) == '{"":5,"a":4,"b":3,"ع":6,"\U0001f600":2,"\uffff":1}'


def test_string_escapes_follow_json_stringify() -> None:
    """Short escapes, lowercase \\u00xx for other controls, everything else literal."""
    s = '"\\\b\f\n\r\t\x00\x1f\x7f/\u2028é ٣'
    assert reference_canonical_json(s) == canonical_json(s)
    assert canonical_json(s) == '"\\"\\\\\\b\\f\\n\\r\\t\\u0000\\u001f\x7f/\u2028é ٣"'


def test_scalars_and_nesting() -> None:
    """Integers print plainly, no whitespace anywhere."""
    assert canonical_json([None, True, False, 0, -7, 9007199254740991, [], {}]) == (
        "[null,true,false,0,-7,9007199254740991,[],{}]"
    )


@pytest.mark.parametrize("bad", [1.5, 2**53, -(2**53), "\ud800", {1: "x"}, b"x", {"k": (1.0,)}])
def test_refuses_what_a_change_may_not_hold(bad: object) -> None:
    """Floats, unsafe integers, lone surrogates and non-JSON types have no canonical form."""
    with pytest.raises(CanonicalError):
        canonical_json(bad)


@given(json_values)
def test_canonical_is_json_that_reads_back(value: object) -> None:
    """Canonical text parses back to the same value and is a fixed point."""
    text = canonical_json(value)
    assert text == reference_canonical_json(value)  # fast path equals the reference
    assert json.loads(text) == value
    assert canonical_json(json.loads(text)) == text


# A change written out by hand, byte for byte, in canonical order: the hash is computed
# from these bytes with hashlib alone, independently of sync.canonical.
HAND_BUILT = (
    '{"action":"create","author":"u-7","deps":[],"device_time":1700000000000,'
    '"hlc":"001700000000000-000000-dev-a","kind":"supply_need","op_id":"op-1",'
    '"origin_id":"dev-a","origin_seq":1,"patch":{"item_name":"أكياس دم O-",'
    '"quantity_committed":{"delta":200},"quantity_needed":"12.50","requesting_org":'
    '"مشفى \\"الحكمة\\"\\n"},"record_id":"rec-1","schema_version":1}'
)
# Pinned once, from the bytes above; must never change.
HAND_BUILT_HASH = "1ceccf5ae88043264867dd0b6eede4ce582c851c4f016addef6df9c22471d259"


def _hand_built_change() -> Change:
    return new_change(
        op_id="op-1",
        record_id="rec-1",
        kind="supply_need",
        origin_id="dev-a",
        origin_seq=1,
        action="create",
        patch={
            "requesting_org": 'مشفى "الحكمة"\n',
            "quantity_needed": "12.50",
            "item_name": "أكياس دم O-",
            "quantity_committed": {"delta": 200},
        },
        hlc="001700000000000-000000-dev-a",
        device_time=1_700_000_000_000,
        author="u-7",
    )


def test_content_hash_matches_hand_built_bytes() -> None:
    """The content hash is sha256 over exactly the bytes written above."""
    change = _hand_built_change()
    assert canonical_bytes(change.hashed_dict()) == HAND_BUILT.encode("utf-8")
    assert change.content_hash == hashlib.sha256(HAND_BUILT.encode("utf-8")).hexdigest()
    assert compute_content_hash(change.to_dict()) == change.content_hash


def test_content_hash_is_pinned() -> None:
    """A fixed change has a fixed hash, on every run and platform."""
    assert _hand_built_change().content_hash == HAND_BUILT_HASH
