"""The app's orjson encoder that `sync.canonical` hashes with gives exactly the reference
canonical bytes, so a content hash never depends on whether it is registered."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from support.json_values import json_values, text

from app import jsonfast
from sync import canonical, compute_content_hash, new_change
from sync.canonical import CanonicalError, _fast_path_ok, reference_canonical_json


@given(json_values)
def test_sorted_bytes_equal_the_reference_inside_the_fast_path(value: Any) -> None:
    try:
        fast = _fast_path_ok(value)
    except CanonicalError:
        return
    assert canonical.canonical_bytes(value) == reference_canonical_json(value).encode()
    if fast:
        assert jsonfast.sorted_bytes(value) == reference_canonical_json(value).encode()


@given(st.dictionaries(text, json_values, max_size=6))
def test_content_hash_is_the_same_with_and_without_the_encoder(patch: dict[str, Any]) -> None:
    change = dict(
        op_id="op-1",
        record_id="rec-1",
        kind="incident",
        origin_id="dev-a",
        origin_seq=1,
        action="create",
        hlc="001700000000000-000000-dev-a",
        device_time=1,
        author="u-1",
    )
    try:
        with_encoder = compute_content_hash(
            {**new_change(**change, patch={}).to_dict(), "patch": patch}
        )
    except CanonicalError:
        return
    canonical.use_sorted_encoder(None)
    try:
        without = compute_content_hash({**new_change(**change, patch={}).to_dict(), "patch": patch})
    finally:
        canonical.use_sorted_encoder(jsonfast.sorted_bytes)
    assert with_encoder == without


def test_the_app_registers_it() -> None:
    assert canonical._sorted_encoder is jsonfast.sorted_bytes
