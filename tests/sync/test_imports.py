"""sync/ is provably pure: it imports only the standard library and itself."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

SYNC = Path(__file__).resolve().parents[2] / "sync"


def test_sync_imports_only_the_standard_library() -> None:
    """Walk every module's imports (ast) against the standard library's names."""
    allowed = set(sys.stdlib_module_names) | {"__future__", "sync"}
    bad: list[str] = []
    files = sorted(SYNC.rglob("*.py"))
    assert files
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level > 0:
                    continue  # relative: inside sync
                names = [node.module or ""]
            else:
                continue
            bad.extend(f"{path.name}: {n}" for n in names if n.split(".")[0] not in allowed)
    assert not bad, bad
