"""Hub to hub: pulls with a per-peer checkpoint, and USB bundles, as plain values.

The reference of what the app does over HTTP and with encrypted files (the crypto and
the files stay in the app): a hub pulls another hub's pages after its checkpoint for
that peer and stores each page before moving the checkpoint; a bundle is a manifest
(source, seq range, have-vector, counts, a digest of the changes) and the changes; its
import verifies the digest first and is refused whole when it does not match, applies
through the push path (insert-if-absent, so a repeat or an old bundle changes nothing)
and answers a receipt; the receipt moves the source's checkpoint for that peer only
when the bundle continued from it.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

from .canonical import sha256_hex
from .changes import Change
from .memory_hub import InMemoryHub

__all__ = [
    "Bundle",
    "BundleRejected",
    "Receipt",
    "apply_receipt",
    "export_bundle",
    "hub_pull",
    "import_bundle",
]


class BundleRejected(Exception):
    """The bundle was refused whole (nothing applied)."""


@dataclass(frozen=True)
class Bundle:
    """A bundle in memory: its manifest and its changes (a JSON-lines file in the app)."""

    manifest: dict[str, Any]
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class Receipt:
    """What the receiving hub took from a bundle, for the courier to carry back."""

    source: str
    receiver: str
    seq_from: int
    seq_to: int
    counts: dict[str, int] = field(default_factory=dict)
    have: dict[str, int] = field(default_factory=dict)


def _digest(changes: tuple[Change, ...]) -> str:
    return sha256_hex([c.to_dict() for c in changes])


def hub_pull(
    dst: InMemoryHub,
    src: InMemoryHub,
    checkpoints: MutableMapping[str, int],
    limit: int,
    max_pages: int | None = None,
) -> int:
    """`dst` pulls `src`'s pages after its checkpoint for `src`; returns changes seen.

    Each page is stored before the checkpoint moves, so stopping anywhere repeats a page
    at worst and never skips one.
    """
    seen = pages = 0
    while max_pages is None or pages < max_pages:
        page = src.pull(checkpoints.get(src.hub_id, 0), limit)
        dst.push(page.changes)
        checkpoints[src.hub_id] = page.hub_seq
        seen += len(page.changes)
        pages += 1
        if not page.more:
            break
    return seen


def export_bundle(src: InMemoryHub, since: int, recipient: str) -> Bundle:
    """The changes `src` holds after `since`, with their manifest."""
    changes = tuple(src.changes()[max(since, 0) :])
    manifest = {
        "source": src.hub_id,
        "recipient": recipient,
        "seq_range": {"after": since, "to": src.hub_seq},
        "have": src.have.vector(),
        "counts": {"changes": len(changes)},
        "sha256": _digest(changes),
    }
    return Bundle(manifest, changes)


def import_bundle(dst: InMemoryHub, bundle: Bundle) -> Receipt:
    """Check a bundle whole, then store its changes; returns the receipt."""
    manifest = bundle.manifest
    if manifest.get("recipient") != dst.hub_id:
        raise BundleRejected(f"addressed to {manifest.get('recipient')}, not {dst.hub_id}")
    if manifest.get("counts", {}).get("changes") != len(bundle.changes):
        raise BundleRejected("truncated: the manifest counts other changes")
    if manifest.get("sha256") != _digest(bundle.changes):
        raise BundleRejected("altered: the changes do not match the manifest")
    counts: dict[str, int] = {}
    for result in dst.push(bundle.changes):
        counts[result.status] = counts.get(result.status, 0) + 1
    seq = manifest["seq_range"]
    return Receipt(
        str(manifest["source"]), dst.hub_id, seq["after"], seq["to"], counts, dst.have.vector()
    )


def apply_receipt(checkpoints: MutableMapping[str, int], receipt: Receipt) -> bool:
    """At the source: move the checkpoint for the receiver past the bundle, if it
    continued from the checkpoint (a bundle that skipped a range moves nothing)."""
    current = checkpoints.get(receipt.receiver, 0)
    if receipt.seq_from <= current < receipt.seq_to:
        checkpoints[receipt.receiver] = receipt.seq_to
        return True
    return False
