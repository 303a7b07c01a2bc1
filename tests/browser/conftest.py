"""Browser tests: Debian chromium driven by Python Playwright, against a real server.

Every test here is marked `browser`. Without /usr/bin/chromium they skip loudly (a
warning names what is missing); under CI=true they fail instead, so CI never passes by
skipping. One browser per module; one server for the whole run (`live`), plus private
servers for the tests that stop theirs.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser.harness import CHROMIUM, CHROMIUM_ARGS, NO_CHROMIUM, Device, Hub
from support.server import ServerProcess


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


def need_chromium() -> None:
    """Skip (or fail under CI=true) when Debian's chromium is not installed."""
    if not os.access(CHROMIUM, os.X_OK):
        if os.environ.get("CI") == "true":
            pytest.fail(NO_CHROMIUM)
        warnings.warn(NO_CHROMIUM, stacklevel=2)
        pytest.skip(NO_CHROMIUM)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless chromium per test module."""
    need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """One real server for the run (SQLite in a temporary data folder)."""
    need_chromium()
    proc = ServerProcess(tmp_path_factory.mktemp("hub") / "data")
    hub = Hub(proc)
    yield hub
    proc.stop()


@pytest.fixture
def devices(browser: Any, live: Hub) -> Iterator[Any]:
    """Make devices (browser contexts) for users of `live`; closed after the test."""
    made: list[Device] = []

    def make(user: dict[str, Any], hub: Hub | None = None, **options: Any) -> Device:
        d = Device(browser, hub or live, user, **options)
        made.append(d)
        return d

    yield make
    for d in made:
        d.context.close()
