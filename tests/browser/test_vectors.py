"""The browser's sync core passes every conformance vector in tests/vectors/ (Chromium).

The vector files are served to the page byte for byte by `page.route` (no test route in
the app); the page parses and runs them with the app's own modules and hands back what
it computed; the comparison happens here, against the expected values in the files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
SUITES = ("canonical", "materialise", "rejections", "protocol")
PATHS = sorted(str(p.relative_to(VECTORS)) for s in SUITES for p in (VECTORS / s).glob("*.json"))


@pytest.fixture(scope="module")
def results(browser: Any, live: Any) -> dict[str, Any]:
    """Every vector run once in one page."""
    page = browser.new_page()
    page.set_default_timeout(10_000)

    def serve(route: Any) -> None:
        rel = route.request.url.split("/__vectors__/", 1)[1]
        path = (VECTORS / rel).resolve()
        assert path.is_relative_to(VECTORS)
        route.fulfill(status=200, body=path.read_bytes(), content_type="application/json")

    page.route("**/__vectors__/**", serve)
    page.goto(f"{live.url}/static/test/blank.html")
    out = page.evaluate(
        """async (paths) => {
            const m = await import('/static/test/conformance.js');
            return m.runVectors('/__vectors__/', paths);
        }""",
        PATHS,
    )
    page.close()
    return dict(out)


def test_every_suite_has_vectors() -> None:
    for suite in SUITES:
        assert any(p.startswith(suite + "/") for p in PATHS), suite


@pytest.mark.parametrize("path", PATHS)
def test_vector(results: dict[str, Any], path: str) -> None:
    vector = json.loads((VECTORS / path).read_text(encoding="utf-8"))
    got = results[path]
    assert "exception" not in got, got
    suite = path.split("/")[0]
    if suite == "canonical":
        assert got["canonical"] == vector["canonical"]
        assert got["sha256"] == vector["sha256"]
    elif suite == "materialise":
        assert got["hashes"] == vector["hashes"]
        assert got["naive"] == vector["expected"]
        assert got["incremental"] == vector["expected"]
    elif suite == "rejections":
        assert got["error_field"] == vector["error_field"]
    else:
        check_protocol(vector, got)


HANDSHAKE_KEYS = ("origin_id", "schema_version", "have", "clock")


def check_state(where: str, got: dict[str, Any], expect: dict[str, Any]) -> None:
    """The stored client state is the vector's, and the replica's memory agrees with it."""
    assert got["state"] == expect, where
    extra = got["extra"]
    assert extra["outbox_size"] == len(expect["outbox"]), f"{where}: outboxSize"
    assert extra["refused"] == len(expect["problems"]), f"{where}: refused count"
    assert extra["views"] == sorted(expect["records"]), f"{where}: record views in memory"


def check_protocol(vector: dict[str, Any], got: dict[str, Any]) -> None:
    """The page's client made exactly the recorded requests and reached the recorded state
    after every answer (tests/sync/test_vectors.py does the same for the Python client)."""
    steps = vector["steps"]
    assert len(got["steps"]) == len(steps)
    for i, (step, done) in enumerate(zip(steps, got["steps"], strict=True)):
        where = f"step {i} ({step['action']})"
        assert done["action"] == step["action"], where
        if step["action"] == "hub_receives":
            continue
        if step["action"] == "write":
            assert done["change"] == step["change"], where
            check_state(where, done, step["expect"])
            continue
        assert done["error"] is None, f"{where}: {done['error']}"
        exchanges = step["exchanges"]
        assert len(done["requests"]) == len(exchanges), f"{where}: requests {done['requests']}"
        assert len(done["states"]) == len(exchanges), where
        for j, (ex, req, state) in enumerate(
            zip(exchanges, done["requests"], done["states"], strict=True)
        ):
            at = f"{where}, exchange {j}"
            want = ex["request"]
            assert req["endpoint"] == want["endpoint"], at
            if want["endpoint"] == "handshake":
                assert {k: req["body"][k] for k in HANDSHAKE_KEYS} == want["body"], at
            elif want["endpoint"] == "missing":
                assert req["body"]["have"] == want["body"]["have"], at
            elif want["endpoint"] == "pull":
                assert req["query"] == want["query"], at
            else:
                assert req["body"] == want["body"], at
            check_state(at, state, ex["expect"])
