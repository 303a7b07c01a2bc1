"""Tawthiq's sync core: changes, materialisation, conflicts and a reference client.

Standard library only; no IO, no clock reads, no id generation (they are passed in).
See ``sync/README.md`` for the rules and ``docs/sync-core.md`` for the design.
"""

from .canonical import (
    MAX_SAFE_INTEGER,
    CanonicalError,
    canonical_bytes,
    canonical_json,
    sha256_hex,
)
from .changes import (
    ACTIONS,
    FIELD_WRITING_ACTIONS,
    SCHEMA_VERSION,
    Change,
    ChangeError,
    blank_for_purge,
    compute_content_hash,
    new_change,
)
from .client import FetchedPage, PullAhead, Replica, SyncReport, Transport, pull_pipelined
from .fields import KINDS, KindSpec, field_class, kind_spec
from .hlc import Hlc, format_hlc, parse_hlc, recv, tick
from .hubs import (
    Bundle,
    BundleRejected,
    Receipt,
    apply_receipt,
    export_bundle,
    hub_pull,
    import_bundle,
)
from .materialise import (
    DELETED,
    MERGED_INTO,
    Candidate,
    OpInfo,
    RecordState,
    apply_change,
    apply_changes,
    link_merges,
    materialise,
    winner_key,
)
from .memory_hub import InMemoryHub
from .protocol import PUSH_STATUSES, HaveVector, Hello, HubInfo, PullPage, PushResult

__all__ = [
    "ACTIONS",
    "DELETED",
    "FIELD_WRITING_ACTIONS",
    "KINDS",
    "MAX_SAFE_INTEGER",
    "MERGED_INTO",
    "PUSH_STATUSES",
    "SCHEMA_VERSION",
    "Bundle",
    "BundleRejected",
    "Candidate",
    "CanonicalError",
    "Change",
    "ChangeError",
    "FetchedPage",
    "HaveVector",
    "Hello",
    "Hlc",
    "HubInfo",
    "InMemoryHub",
    "KindSpec",
    "OpInfo",
    "PullAhead",
    "PullPage",
    "PushResult",
    "Receipt",
    "RecordState",
    "Replica",
    "SyncReport",
    "Transport",
    "apply_change",
    "apply_changes",
    "apply_receipt",
    "blank_for_purge",
    "canonical_bytes",
    "canonical_json",
    "compute_content_hash",
    "export_bundle",
    "field_class",
    "format_hlc",
    "hub_pull",
    "import_bundle",
    "kind_spec",
    "link_merges",
    "materialise",
    "new_change",
    "parse_hlc",
    "pull_pipelined",
    "recv",
    "sha256_hex",
    "tick",
    "winner_key",
]
