"""Receiving a batch pauses Python's cyclic collector and always gives it back."""

from __future__ import annotations

import gc
from typing import Any

import pytest

from sync import ChangeError
from sync.client import Replica


def _replica() -> Replica:
    return Replica("dev-b", "u-2", clock=lambda: 1_800_000_000_000, new_id=lambda: "x")


def test_collector_is_back_on_after_a_batch_and_after_a_failed_one(make_change: Any) -> None:
    assert gc.isenabled()
    seen: list[bool] = []
    replica = _replica()

    class Watching(list[Any]):
        def __iter__(self) -> Any:
            for c in super().__iter__():
                seen.append(gc.isenabled())
                yield c

    first = make_change("c1", "create", {"full_name": "أحمد"})
    replica.receive(Watching([first]))
    assert seen == [False]  # paused while the batch was applied
    assert gc.isenabled()
    assert replica.record("r1") is not None and replica.record("r1").values["full_name"] == "أحمد"

    clash = make_change("c1", "create", {"full_name": "محمود"})  # same op_id, other content
    with pytest.raises(ChangeError):
        replica.receive([clash])
    assert gc.isenabled()


def test_collector_left_off_when_the_caller_turned_it_off(make_change: Any) -> None:
    gc.disable()
    try:
        _replica().receive([make_change("c1", "create", {"full_name": "أحمد"})])
        assert not gc.isenabled()
    finally:
        gc.enable()
