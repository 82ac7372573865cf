"""Browser tests: the real app served on loopback, driven by Debian's headless Chromium.

Every test in this folder is marked ``browser`` (CI runs them on SQLite only). They need
``/usr/bin/chromium``, the ``playwright`` Python package (its driver only: no browser is
ever downloaded) and the ``axe-core`` npm package (``npm ci`` at the repository root).
When one is missing the folder is skipped with the reason, except under CI (``CI=true``),
where a missing install fails the run so that it is noticed.

The app under test is built by the shared ``make_app`` fixture on the test's own database,
with CSRF protection switched on, and served by werkzeug in a background thread. Data is
made with the shared fixtures (``make_round``, ``make_link``, ``make_user``) on the same
database.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
AXE_SCRIPT = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO_ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]
# WCAG 2.0, 2.1 and 2.2 level A and AA rules.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PASSWORD = "correct horse battery staple"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark every test of this folder ``browser`` (before ``-m`` deselects by marker)."""
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


def _missing() -> list[str]:
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    if not AXE_SCRIPT.exists():
        missing.append(f"axe-core at {AXE_SCRIPT.relative_to(REPO_ROOT)} (run `npm ci` in the repository root)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright Python package (pip install '.[test]')")
    return missing


@pytest.fixture(scope="session")
def _requirements():
    missing = _missing()
    if missing:
        reason = "browser tests need " + "; ".join(missing)
        if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
            pytest.fail(reason + " — CI=true, so this fails rather than skips", pytrace=False)
        pytest.skip(reason)


@pytest.fixture(scope="session")
def browser(_requirements):
    """One headless Chromium for the session (Debian's; Playwright never downloads one)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class LiveServer:
    """The app served by werkzeug on a free loopback port, in a background thread."""

    def __init__(self, app):
        from werkzeug.serving import WSGIRequestHandler, make_server

        class QuietHandler(WSGIRequestHandler):
            def log_request(self, *args, **kwargs):  # no access log; errors are still logged
                pass

        self.app = app
        self.errors: list[str] = []
        self._server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="live-server", daemon=True)

        @app.errorhandler(500)
        def _remember(error):  # a server error fails the test that caused it
            self.errors.append(repr(getattr(error, "original_exception", error)))
            return "Internal Server Error", 500

    def start(self) -> "LiveServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __call__(self, path: str) -> str:
        return self.url + path


@pytest.fixture
def live_app(_requirements, make_app, database_url):
    """The app on this test's database with CSRF protection on, as a browser would meet it."""
    return make_app(database_url, WTF_CSRF_ENABLED=True)


@pytest.fixture
def live_server(live_app):
    """``live_server("/r/TOKEN")`` is the full URL of a path on the running app."""
    server = LiveServer(live_app).start()
    live_app.config["PUBLIC_BASE_URL"] = server.url  # share links are built from it (issue 11)
    yield server
    server.stop()
    assert not server.errors, f"the app failed while serving the test: {server.errors}"


@pytest.fixture
def context(browser):
    """A fresh browser context (cookies, storage) per test, at a desktop size."""
    context = browser.new_context(viewport={"width": 1024, "height": 800})
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    """A page in ``context``."""
    return context.new_page()


@pytest.fixture
def phone_page(browser):
    """A page the size of a small phone (360 × 740 CSS px)."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def artifacts() -> Path:
    """The folder for screenshots (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def _format_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation.get('impact')}): {violation['help']}  {violation['helpUrl']}")
        for node in violation["nodes"]:
            lines.append(f"    at {json.dumps(node['target'])}: {node['html'][:200]}")
            if node.get("failureSummary"):
                lines.append("      " + node["failureSummary"].replace("\n", "\n      "))
    return "\n".join(lines)


_AXE_SOURCE: list[str] = []


def _axe_source() -> str:
    if not _AXE_SOURCE:
        _AXE_SOURCE.append(AXE_SCRIPT.read_text(encoding="utf-8"))
    return _AXE_SOURCE[0]


def check_accessibility(page, what: str) -> None:
    """Run axe-core's WCAG 2.2 A/AA rules on ``page``; fail listing each violation.

    axe is evaluated through the DevTools protocol rather than added as a <script> tag
    (``page.add_script_tag``): an inline script tag would be refused by a
    Content-Security-Policy without 'unsafe-inline', while protocol evaluation is not
    subject to the page's policy, so the pages are checked with their real headers.
    """
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    violations = result["violations"]
    if violations:
        report = _format_violations(violations)
        print(f"axe-core violations on {what} ({page.url}):\n{report}")
        pytest.fail(f"axe-core found {len(violations)} WCAG 2.2 A/AA violation(s) on {what}:\n{report}", pytrace=False)


@pytest.fixture
def axe():
    """``axe(page, "what it is")`` fails the test if axe-core finds a WCAG 2.2 A/AA violation."""
    return check_accessibility

