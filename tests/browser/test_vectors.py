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
SUITES = ("canonical", "materialise", "rejections")
PATHS = sorted(
    str(p.relative_to(VECTORS)) for s in SUITES for p in (VECTORS / s).glob("*.json")
)


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
    else:
        assert got["error_field"] == vector["error_field"]
