"""Test-only fault injection for the sync write path.

Production never sets ``TAWTHIQ_FAULTS``; then nothing here is parsed and every hook,
``faults.point(...)``, is :func:`_off`, a function that returns at once. The fault tests
(``tests/e2e/test_sync_faults.py`` and friends) start a real ``tawthiq serve`` with it
set, to prove that kills, database errors and slow commits lose and duplicate nothing.

Grammar: ``TAWTHIQ_FAULTS="point=action[@k][,point=action[@k]...]"``.

Points (each a one-line hook in the code path named):

- ``push.change`` — in ``changelog.write``, for each change about to be stored, after the
  batch took its ``hub_seq`` range (the index is the change's 1-based place in the batch
  of fresh changes). Every write through the change log passes here, not only pushes.
- ``push.before_commit`` — in ``sync_push.push``, after the batch is written, before
  the commit (the batch holds its record locks and the counter row).
- ``push.after_commit`` — in the push view, after the commit, before the answer is sent.

Actions:

- ``kill`` — SIGKILL this process (no cleanup, no answer).
- ``error`` — run a statement the database refuses: a real driver error inside the
  open transaction, which aborts it as any database failure would.
- ``hold:PATH`` — touch ``PATH.reached``, then wait until ``PATH`` exists (bounded by
  ``TAWTHIQ_FAULTS_HOLD_SECONDS``, 60 by default), then carry on.
- ``sleep:SECONDS`` — wait that long, then carry on.

``@k`` fires the rule only on the k-th hit: for ``push.change`` the k-th change of a
batch; for the other points the k-th time this process reaches the point. Without
``@k`` the rule fires on every hit.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass

ENV = "TAWTHIQ_FAULTS"
POINTS = frozenset({"push.change", "push.before_commit", "push.after_commit"})
ACTIONS = frozenset({"kill", "error", "hold", "sleep"})


@dataclass(frozen=True)
class Rule:
    """One parsed rule: what to do at a point, and on which hit (None: every hit)."""

    point: str
    action: str
    arg: str = ""
    at: int | None = None


def parse(spec: str) -> dict[str, Rule]:
    """Parse a TAWTHIQ_FAULTS value; a typo is an error, never a silently inert fault."""
    rules: dict[str, Rule] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        point, sep, rest = item.partition("=")
        if not sep or point not in POINTS:
            raise ValueError(f"{ENV}: unknown fault point in {item!r}")
        at: int | None = None
        body, sep, count = rest.rpartition("@")
        if sep and count.isdigit() and int(count) >= 1:
            at, rest = int(count), body
        action, _, arg = rest.partition(":")
        if action not in ACTIONS or (action in ("hold", "sleep")) != bool(arg):
            raise ValueError(f"{ENV}: bad action in {item!r}")
        if action == "sleep":
            float(arg)
        rules[point] = Rule(point, action, arg, at)
    return rules


def _off(name: str, index: int | None = None) -> None:
    """The hook when no fault is configured: does nothing."""
    return None


_hits: dict[str, int] = {}
_lock = threading.Lock()


def _on(name: str, index: int | None = None) -> None:
    """The hook when faults are configured: count the hit and fire a matching rule."""
    rule = RULES.get(name)
    if rule is None:
        return
    with _lock:
        _hits[name] = _hits.get(name, 0) + 1
        nth = index if index is not None else _hits[name]
    if rule.at is None or rule.at == nth:
        _fire(rule)


def _fire(rule: Rule) -> None:
    import time

    if rule.action == "kill":
        import signal

        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    elif rule.action == "error":
        import sqlalchemy as sa

        from app.extensions import db

        db.session.execute(sa.text("SELECT tawthiq_injected_fault()"))
    elif rule.action == "sleep":
        time.sleep(float(rule.arg))
    elif rule.action == "hold":
        with open(rule.arg + ".reached", "a"):
            pass
        limit = float(os.environ.get("TAWTHIQ_FAULTS_HOLD_SECONDS", "60"))
        deadline = time.monotonic() + limit
        while not os.path.exists(rule.arg) and time.monotonic() < deadline:
            time.sleep(0.01)


_SPEC = os.environ.get(ENV)
RULES: dict[str, Rule] = parse(_SPEC) if _SPEC else {}
point = _on if RULES else _off
if RULES:
    print(f"tawthiq: FAULT INJECTION ACTIVE ({ENV}={_SPEC}); never in production", file=sys.stderr)
