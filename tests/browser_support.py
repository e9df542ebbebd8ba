"""What the real-browser tests share: Debian's chromium driven by playwright, a real `subsidy serve`.

Import the fixtures into a test module (`from tests.browser_support import browser, server, page`);
each module starts its own server on loopback. Screenshots go to test-output/browser/.
The module skips, saying why, only when chromium or the playwright package is genuinely absent
(scripts/install-browser-test-deps.sh installs both).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_load import HAS_ASSISTANT, Server, free_port, shared_index_data_dir

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "test-output" / "browser"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}

if not CHROMIUM.exists():
    pytest.skip(
        "no /usr/bin/chromium (run scripts/install-browser-test-deps.sh: apt-get install chromium)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright not installed (run scripts/install-browser-test-deps.sh)"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data_dir = shared_index_data_dir(tmp_path_factory.mktemp("browser") / "data")
    server = Server(port=free_port(), data_dir=data_dir, fake_assistant=not HAS_ASSISTANT)
    server.start()
    yield server
    server.kill()


@pytest.fixture(scope="module")
def browser():
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_page(browser, server, viewport: dict[str, int], **options):
    """A fresh context (its own cookies) whose page records script errors and CSP violations."""
    context = browser.new_context(viewport=viewport, accept_downloads=True, locale="zh-CN", **options)
    page = context.new_page()
    page.set_default_timeout(30_000)
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda err: problems.append(str(err)))
    page.problems = problems  # type: ignore[attr-defined]
    page.base = server.base  # type: ignore[attr-defined]
    return context, page


@pytest.fixture
def page(browser, server):
    context, page = open_page(browser, server, DESKTOP)
    yield page
    context.close()
    assert page.problems == [], page.problems  # no CSP violation, no script error


@pytest.fixture
def phone(browser, server):
    context, page = open_page(browser, server, PHONE, is_mobile=True, has_touch=True)
    yield page
    context.close()
    assert page.problems == [], page.problems


def shot(page, name: str) -> None:
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def no_sideways_scroll(page) -> None:
    """The document is no wider than the viewport (tables scroll inside their own box, if at all)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    assert width <= viewport, f"{page.url}: document {width} px wide in a {viewport} px viewport"


def ask(page, message: str, as_of: str | None = None):
    """Send a chat message through the page's script; returns the new turn once its answer is in."""
    before = page.locator("article.turn").count()
    page.fill("#message", message)
    if as_of is not None:
        page.fill("input[name=as_of]", as_of)
    page.click("#send")
    turn = page.locator("article.turn").nth(before)
    turn.locator(".bubble.assistant").wait_for()
    return turn


def choose_row(row, type_name: str, **fields: str) -> None:
    row.locator("select.type-select").select_option(type_name)
    for name, value in fields.items():
        select = row.locator(f'fieldset[data-type="{type_name}"] select[data-field="{name}"]')
        assert select.is_visible(), f"{type_name}.{name} hidden"
        select.select_option(value)
