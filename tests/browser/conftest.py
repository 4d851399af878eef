"""Generic browser fixtures: headless Debian Chromium driven by Playwright (no downloaded browsers).

``browser`` (one per module) skips the test, with the reason, when /usr/bin/chromium or the ``playwright``
package is missing. ``ARTIFACTS`` is where tests save screenshots (git-ignored).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A launched Chromium (playwright.sync_api.Browser), one per test module (Playwright's sync API allows
    one running instance per thread, so modules never hold two at once)."""
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian package 'chromium'): the browser tests need it")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the 'playwright' package is not installed")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """The folder for screenshots and other test artifacts."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
