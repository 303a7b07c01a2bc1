"""The push's quick value check gives exactly the verdict of `validate_record`.

`sync_push.quick_verdict` skips marshmallow's per-load bookkeeping on the hot path of a
push; a change it doubts goes through `validate_record` for the verdict and message. It
must never accept what `validate_record(kind, values, partial=True)` refuses, nor refuse
what it accepts: checked on every shared validation case (whole and field by field) and
on generated values, valid-shaped and arbitrary.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from marshmallow import ValidationError

from app.schemas.records import RECORD_KINDS, json_schema_for, validate_record
from app.services.sync_push import quick_verdict
from sync import field_class

CASES_FILE = Path(__file__).resolve().parents[1] / "cases" / "validation_cases.json"
DATA = json.loads(CASES_FILE.read_text(encoding="utf-8"))
TODAY = date.fromisoformat(DATA["today"])
SCHEMAS = {kind: json_schema_for(kind) for kind in RECORD_KINDS}


def _plain(kind: str, payload: Any) -> dict[str, Any]:
    """What a push checks of a patch: known fields, neither counters nor collections."""
    if not isinstance(payload, dict):
        return {}
    known = SCHEMAS[kind]["properties"]
    return {
        k: v
        for k, v in payload.items()
        if k in known and field_class(kind, k) not in ("counter", "collection")
    }


def _accepted(kind: str, values: dict[str, Any], today: date) -> bool:
    try:
        validate_record(kind, values, partial=True, today=today)
    except ValidationError:
        return False
    return True


def _subsets(kind: str, payload: Any) -> list[dict[str, Any]]:
    plain = _plain(kind, payload)
    return [plain] + [{k: v} for k, v in plain.items()]


SUBSETS = [
    (case["name"], case["kind"], values)
    for case in DATA["cases"]
    for values in _subsets(case["kind"], case["payload"])
    if values
]


def test_quick_verdict_matches_validate_record_on_the_shared_cases() -> None:
    """Each shared case, whole and one field at a time, gets the same verdict both ways."""
    differ = [
        (name, values)
        for name, kind, values in SUBSETS
        if quick_verdict(kind, values, TODAY) != _accepted(kind, values, TODAY)
    ]
    assert differ == []


def test_the_shared_cases_include_refusals_the_quick_check_sees() -> None:
    """The cases above are not all accepted: the quick check does refuse (and hand over)."""
    verdicts = [quick_verdict(kind, values, TODAY) for _n, kind, values in SUBSETS]
    assert True in verdicts and False in verdicts


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)


def _field_values(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    props = {
        name: prop
        for name, prop in SCHEMAS[kind]["properties"].items()
        if field_class(kind, name) not in ("counter", "collection")
    }
    shaped = {
        name: from_schema({k: v for k, v in prop.items() if not k.startswith("x-")}) | JSON_VALUES
        for name, prop in props.items()
        if prop.get("type") != "object"
    }
    return st.fixed_dictionaries({}, optional=shaped)


FIELD_VALUES = {kind: _field_values(kind) for kind in RECORD_KINDS}


@pytest.mark.parametrize("kind", RECORD_KINDS)
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(data=st.data())
def test_quick_verdict_matches_validate_record_on_generated_values(
    kind: str, data: st.DataObject
) -> None:
    """Generated patches (schema-shaped values mixed with arbitrary JSON) agree both ways."""
    values = data.draw(FIELD_VALUES[kind])
    today = data.draw(st.sampled_from([TODAY, date(2990, 1, 1), date(1990, 6, 1)]))
    assert quick_verdict(kind, values, today) == _accepted(kind, values, today)
