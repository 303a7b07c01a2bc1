"""The change: the unit of history and of sync.

A :class:`Change` is validated when it is built, so every instance in memory has a
correct shape and, unless it was blanked by a purge, a content hash that matches its
content. This module never makes ids or reads a clock: callers pass them in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .canonical import CanonicalError, sha256_hex
from .fields import field_class
from .hlc import HLC_PATTERN

__all__ = [
    "ACTIONS",
    "FIELD_WRITING_ACTIONS",
    "SCHEMA_VERSION",
    "Change",
    "ChangeError",
    "blank_for_purge",
    "compute_content_hash",
    "new_change",
]

#: Schema version this library writes.
SCHEMA_VERSION = 1

ACTIONS = frozenset({"create", "patch", "delete", "undelete", "resolve", "merge_into", "purge"})
#: Actions whose patch holds field writes; the others hold action arguments only.
FIELD_WRITING_ACTIONS = frozenset({"create", "patch", "resolve"})

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")

# The keys of a change as it travels; content_hash and purged_by are not hashed
# (the first is the hash, the second is set later by a purge on every replica).
_HASHED_KEYS = (
    "op_id",
    "record_id",
    "kind",
    "origin_id",
    "origin_seq",
    "deps",
    "action",
    "patch",
    "hlc",
    "device_time",
    "author",
    "schema_version",
)
_ALL_KEYS = frozenset(_HASHED_KEYS) | {"content_hash", "purged_by"}


class ChangeError(ValueError):
    """A change that is not well formed; ``field`` names the part, ``reason`` says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_id(name: str, value: object) -> None:
    if not isinstance(value, str) or not _ID.match(value):
        raise ChangeError(name, "must be an id of 1-128 letters, digits or ._:-")


def _check_reason(patch: Mapping[str, Any], allowed: set[str], required: set[str]) -> None:
    extra = set(patch) - allowed
    if extra:
        raise ChangeError("patch", f"unexpected keys {sorted(extra)}")
    missing = required - set(patch)
    if missing:
        raise ChangeError("patch", f"missing keys {sorted(missing)}")
    reason = patch.get("reason")
    if "reason" in patch and (not isinstance(reason, str) or not reason):
        raise ChangeError("patch.reason", "must be a non-empty string")


def _check_counter(name: str, value: object) -> None:
    if not isinstance(value, dict) or set(value) != {"delta"} or not _is_int(value["delta"]):
        raise ChangeError(f"patch.{name}", 'a counter takes {"delta": <integer>}')


def _check_collection(name: str, value: object) -> None:
    where = f"patch.{name}"
    if not isinstance(value, dict) or not value or set(value) - {"add", "remove"}:
        raise ChangeError(where, 'a collection takes {"add": [...], "remove": [...]}')
    adds = value.get("add", [])
    removes = value.get("remove", [])
    if not isinstance(adds, list) or not isinstance(removes, list):
        raise ChangeError(where, "add and remove must be lists")
    added: set[str] = set()
    for element in adds:
        if not isinstance(element, dict) or not isinstance(element.get("eid"), str):
            raise ChangeError(where, 'each added element is an object with a string "eid"')
        _check_id(f"{where}.eid", element["eid"])
        if element["eid"] in added:
            raise ChangeError(where, f"element {element['eid']} added twice")
        added.add(element["eid"])
    removed: set[str] = set()
    for eid in removes:
        _check_id(f"{where}.remove", eid)
        if eid in removed or eid in added:
            raise ChangeError(where, f"element {eid} named twice")
        removed.add(eid)


def _check_patch(
    kind: str, action: str, record_id: str, patch: object, deps: tuple[str, ...]
) -> None:
    if not isinstance(patch, dict):
        raise ChangeError("patch", "must be an object")
    if action in FIELD_WRITING_ACTIONS:
        if action == "patch" and not patch:
            raise ChangeError("patch", "a patch changes at least one field")
        if action == "resolve" and not deps:
            raise ChangeError("deps", "a resolve names the candidates it saw")
        for name, value in patch.items():
            if not isinstance(name, str) or not _NAME.match(name):
                raise ChangeError("patch", f"bad field name {name!r}")
            cls = field_class(kind, name)
            if cls == "counter":
                _check_counter(name, value)
            elif cls == "collection":
                _check_collection(name, value)
    elif action in ("delete", "undelete"):
        _check_reason(patch, {"reason"}, set())
    elif action == "merge_into":
        _check_reason(patch, {"target", "reason"}, {"target"})
        _check_id("patch.target", patch["target"])
        if patch["target"] == record_id:
            raise ChangeError("patch.target", "a record cannot merge into itself")
    elif action == "purge":
        _check_reason(patch, {"reason"}, {"reason"})


@dataclass(frozen=True, eq=True)
class Change:
    """One validated change. Build it with :func:`new_change` or :meth:`from_dict`.

    ``deps`` are the op ids of the record's changes the writer had seen as heads;
    ``device_time`` is the writer's wall clock in ms (display only); ``patch`` holds only
    the fields the change writes (see ``docs/sync-core.md`` for its encodings).
    """

    op_id: str
    content_hash: str
    record_id: str
    kind: str
    origin_id: str
    origin_seq: int
    deps: tuple[str, ...]
    action: str
    patch: dict[str, Any]
    hlc: str
    device_time: int
    author: str
    schema_version: int
    purged_by: str | None = field(default=None)

    def __hash__(self) -> int:
        return hash((self.op_id, self.content_hash))

    def __post_init__(self) -> None:
        for name in ("op_id", "record_id", "origin_id"):
            _check_id(name, getattr(self, name))
        if not isinstance(self.kind, str) or not _NAME.match(self.kind):
            raise ChangeError("kind", "must be a lowercase snake_case name")
        if not _is_int(self.origin_seq) or self.origin_seq < 1:
            raise ChangeError("origin_seq", "must be an integer >= 1")
        if not isinstance(self.deps, tuple):
            raise ChangeError("deps", "must be a tuple of op ids")
        for dep in self.deps:
            _check_id("deps", dep)
        if len(set(self.deps)) != len(self.deps):
            raise ChangeError("deps", "names an op id twice")
        if self.op_id in self.deps:
            raise ChangeError("deps", "a change cannot depend on itself")
        if self.action not in ACTIONS:
            raise ChangeError("action", f"must be one of {sorted(ACTIONS)}")
        m = HLC_PATTERN.match(self.hlc) if isinstance(self.hlc, str) else None
        if m is None or m.group(3) != self.origin_id:
            raise ChangeError("hlc", "must be a hybrid logical clock of this origin")
        if not _is_int(self.device_time):
            raise ChangeError("device_time", "must be an integer (ms since the epoch)")
        if not isinstance(self.author, str) or not self.author or len(self.author) > 200:
            raise ChangeError("author", "must be a non-empty string")
        if not _is_int(self.schema_version) or self.schema_version < 1:
            raise ChangeError("schema_version", "must be an integer >= 1")
        if not isinstance(self.content_hash, str) or not _HEX64.match(self.content_hash):
            raise ChangeError("content_hash", "must be 64 lowercase hex digits")
        if self.purged_by is not None:
            _check_id("purged_by", self.purged_by)
            # A blanked change keeps its id, deps and hash but no payload, so its hash
            # can no longer be checked: that is the one exemption.
            if self.patch != {}:
                raise ChangeError("patch", "a change blanked by a purge has an empty patch")
            return
        _check_patch(self.kind, self.action, self.record_id, self.patch, self.deps)
        try:
            expected = compute_content_hash(self)
        except CanonicalError as exc:
            raise ChangeError("patch", str(exc)) from exc
        if expected != self.content_hash:
            raise ChangeError("content_hash", "does not match the change's content")

    def hashed_dict(self) -> dict[str, Any]:
        """Return the part of the change that its content hash covers."""
        return {
            "op_id": self.op_id,
            "record_id": self.record_id,
            "kind": self.kind,
            "origin_id": self.origin_id,
            "origin_seq": self.origin_seq,
            "deps": list(self.deps),
            "action": self.action,
            "patch": self.patch,
            "hlc": self.hlc,
            "device_time": self.device_time,
            "author": self.author,
            "schema_version": self.schema_version,
        }

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready form of the change (``purged_by`` only when set)."""
        d = self.hashed_dict()
        d["content_hash"] = self.content_hash
        if self.purged_by is not None:
            d["purged_by"] = self.purged_by
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Change:
        """Validate a change as received (shape and hash) and build it.

        Raises :class:`ChangeError` naming the first part that is wrong.
        """
        if not isinstance(d, Mapping):
            raise ChangeError("change", "must be an object")
        extra = set(d) - _ALL_KEYS
        if extra:
            raise ChangeError(sorted(extra)[0], "unknown key in a change")
        missing = (set(_HASHED_KEYS) | {"content_hash"}) - set(d)
        if missing:
            raise ChangeError(sorted(missing)[0], "missing")
        deps = d["deps"]
        if not isinstance(deps, list):
            raise ChangeError("deps", "must be a list of op ids")
        return cls(
            op_id=d["op_id"],
            content_hash=d["content_hash"],
            record_id=d["record_id"],
            kind=d["kind"],
            origin_id=d["origin_id"],
            origin_seq=d["origin_seq"],
            deps=tuple(deps),
            action=d["action"],
            patch=d["patch"],
            hlc=d["hlc"],
            device_time=d["device_time"],
            author=d["author"],
            schema_version=d["schema_version"],
            purged_by=d.get("purged_by"),
        )


def compute_content_hash(change: Change | Mapping[str, Any]) -> str:
    """Return the sha256 of the canonical JSON of the hashed part of a change."""
    if isinstance(change, Change):
        return sha256_hex(change.hashed_dict())
    return sha256_hex({k: change[k] for k in _HASHED_KEYS})


def new_change(
    *,
    op_id: str,
    record_id: str,
    kind: str,
    origin_id: str,
    origin_seq: int,
    action: str,
    patch: Mapping[str, Any],
    hlc: str,
    device_time: int,
    author: str,
    deps: Iterable[str] = (),
    schema_version: int = SCHEMA_VERSION,
) -> Change:
    """Build a new change and compute its content hash. ``deps`` are sorted and deduplicated."""
    body: dict[str, Any] = {
        "op_id": op_id,
        "record_id": record_id,
        "kind": kind,
        "origin_id": origin_id,
        "origin_seq": origin_seq,
        "deps": sorted(set(deps)),
        "action": action,
        "patch": dict(patch),
        "hlc": hlc,
        "device_time": device_time,
        "author": author,
        "schema_version": schema_version,
    }
    try:
        body["content_hash"] = compute_content_hash(body)
    except CanonicalError as exc:
        raise ChangeError("patch", str(exc)) from exc
    return Change.from_dict(body)


def blank_for_purge(change: Change, purged_by: str) -> Change:
    """Return ``change`` with its payload emptied and ``purged_by`` set.

    Id, deps, clock and hash are kept, so the history stays linked and a blanked copy is
    still recognised as the same change.
    """
    return Change(
        op_id=change.op_id,
        content_hash=change.content_hash,
        record_id=change.record_id,
        kind=change.kind,
        origin_id=change.origin_id,
        origin_seq=change.origin_seq,
        deps=change.deps,
        action=change.action,
        patch={},
        hlc=change.hlc,
        device_time=change.device_time,
        author=change.author,
        schema_version=change.schema_version,
        purged_by=purged_by,
    )
