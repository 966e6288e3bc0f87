"""Headless Chromium for the end-to-end tests, driven by Playwright against pytest-django's live server.

Chromium is the system's (Debian's package), not one Playwright downloads: set NPSAPP_CHROMIUM to
use another binary. Without Chromium or Playwright the browser tests skip, except under CI=true,
where that is a failure. Every page a test opens is saved as a screenshot in
test-artifacts/browser/<test-name>.png when the test ends, whether it passed or failed.
"""

import os
import re
from pathlib import Path

import pytest
from django.db import connections

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = os.environ.get("NPSAPP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
# Long enough for a page on a busy two-core CI runner, short enough that a missing element fails fast.
TIMEOUT_MS = 10_000


def _missing_browser() -> str:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -r requirements-dev.txt)"
    if not os.access(CHROMIUM, os.X_OK):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, or set NPSAPP_CHROMIUM)"
    return ""


@pytest.fixture(scope="session")
def browser():
    missing = _missing_browser()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the browser tests must run in CI: {missing}", pytrace=False)
        pytest.skip(f"browser tests skipped: {missing}")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop running in this thread for as long as it lives,
    # and Django refuses ORM calls from a thread with a running loop. Every test here is
    # synchronous (the loop only drives the browser), so the check is a false alarm; it is
    # switched off while the browser is up and restored after. No code in the project is async.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    finally:
        # While the loop runs, Django keeps its connections apart from the ones made before it
        # started: close them now, or the test database cannot be dropped at the end.
        connections.close_all()
        playwright.stop()
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _artifact_name(node_name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", node_name).strip("-")


@pytest.fixture
def make_page(browser, live_server, request):
    """Open a page in a fresh browser context (own cookies, own settings).

    Keywords: viewport (dict), locale ("en-GB", "fr-FR"…), java_script_enabled (bool).
    """
    contexts = []

    def open_page(*, viewport=DESKTOP, locale="en-GB", java_script_enabled=True):
        context = browser.new_context(
            viewport=viewport,
            locale=locale,
            java_script_enabled=java_script_enabled,
            base_url=live_server.url,
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    base = _artifact_name(request.node.name)
    pages = [page for context in contexts for page in context.pages]
    for number, page in enumerate(pages):
        suffix = "" if number == 0 else f"-{number + 1}"
        try:
            page.screenshot(path=str(ARTIFACTS / f"{base}{suffix}.png"), full_page=True)
        except Exception as exc:  # noqa: BLE001 - a page that crashed must not hide the test's own failure
            (ARTIFACTS / f"{base}{suffix}.txt").write_text(f"no screenshot: {exc}\n")
    failed = getattr(request.node, "report_call", None) is not None and request.node.report_call.failed
    page_source = ARTIFACTS / f"{base}.html"
    if failed and pages:
        # What the browser had when the test failed, to read beside the screenshot.
        page_source.write_text(f"<!-- {pages[-1].url} -->\n{pages[-1].content()}")
    else:
        page_source.unlink(missing_ok=True)  # from an earlier failed run
    for context in contexts:
        context.close()


@pytest.fixture
def page(make_page, request):
    """One page; parametrize indirectly to change it: {"viewport": PHONE, "locale": "fr-FR", ...}."""
    return make_page(**getattr(request, "param", {}))


@pytest.fixture
def screenshot(request):
    """Save an intermediate state: screenshot(page, "form") writes <test-name>-form.png."""

    def save(page, label: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{_artifact_name(request.node.name)}-{_artifact_name(label)}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
