"""Headless Chromium driven by Playwright for Python: Debian's `chromium` package, never a
browser download. A machine without it skips the browser tests, except under CI, which must
have it (.ci/run installs it)."""

import os
import shutil
from contextlib import contextmanager

import pytest

CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def chromium_binary() -> str:
    """The chromium binary; skips the test when there is none (or no Playwright), except on CI."""
    found = next((path for path in CHROMIUM_PATHS if os.path.exists(path)), None)
    found = found or shutil.which("chromium")
    missing = None
    if found is None:
        missing = "chromium is not installed (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "Playwright for Python is not installed (requirements-test.txt)"
    if missing is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{missing}; .ci/run installs it")
        pytest.skip(missing)
    return found


@contextmanager
def chromium():
    """A headless Chromium: yields Playwright's Browser."""
    binary = chromium_binary()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=binary, headless=True)
        try:
            yield browser
        finally:
            browser.close()
