"""The pages in a real browser: Debian's chromium, headless, driven by playwright.

A real `subsidy serve` runs on loopback (with the real assistant when it is installed, else
a stand-in that answers from the same engine). Screenshots go to test-output/browser/.
Installed by scripts/install-browser-test-deps.sh; skips, saying why, only when chromium
or the playwright package is genuinely absent.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from calculators.engine import estimate
from knowledge import corpus
from knowledge.regions import money_regions
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


@pytest.fixture
def page(browser, server):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, accept_downloads=True, locale="zh-CN"
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda err: problems.append(str(err)))
    page.problems = problems  # type: ignore[attr-defined]
    page.base = server.base  # type: ignore[attr-defined]
    yield page
    context.close()
    assert problems == [], problems  # no CSP violation, no script error


def shot(page, name: str) -> None:
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


# ---------------------------------------------------------------- chat
def test_ask_a_question_and_see_the_amount_and_a_quote(page):
    page.goto(page.base + "/")
    page.fill("#message", "我们公司在天津，主导制定了一项国家标准，能拿多少钱？")
    page.fill("input[name=as_of]", "2022-06-01")
    page.click("#send")
    turn = page.locator("article.turn").last
    amount = turn.locator(".amount")
    amount.wait_for()
    assert amount.inner_text().strip() == "8 万元"
    assert "有效" in turn.locator(".badge").first.inner_text()
    quote = turn.locator("details.quote").first
    assert not quote.locator("blockquote").is_visible()
    quote.locator("summary").click()
    blockquote = quote.locator("blockquote")
    assert blockquote.is_visible()
    assert "8 万元" in blockquote.inner_text()
    assert page.url.endswith("/")  # the script sent it: no reload
    shot(page, "chat-answer")

    page.fill("#message", "那如果是修订呢？")
    page.click("#send")
    page.locator("article.turn").nth(1).locator(".amount").wait_for()
    assert page.locator("article.turn").count() == 2
    page.reload()
    assert page.locator("article.turn").count() == 2  # the conversation survives a reload
    shot(page, "chat-two-turns")


def test_expired_policy_shows_its_end_date(page):
    page.goto(page.base + "/")
    page.fill("#message", "我们公司在天津，主导制定了一项国家标准，能拿多少钱？")
    page.fill("input[name=as_of]", "2025-03-01")
    page.click("#send")
    badge = page.locator("article.turn .badge[data-status=expired]").first
    badge.wait_for()
    assert "已于 2024-08-28 失效" in badge.inner_text()
    shot(page, "chat-expired")


def test_script_in_a_message_is_shown_not_run(page):
    page.goto(page.base + "/")
    evil = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
    page.fill("#message", evil)
    page.click("#send")
    page.locator("article.turn .bubble.user").last.wait_for()
    assert page.evaluate("window.__pwned === undefined")
    assert page.locator("article.turn .bubble.user .message").last.inner_text() == evil
    page.reload()
    assert page.evaluate("window.__pwned === undefined")


# ---------------------------------------------------------------- estimate
def choose_row(row, type_name: str, **fields: str) -> None:
    row.locator("select.type-select").select_option(type_name)
    for name, value in fields.items():
        select = row.locator(f'fieldset[data-type="{type_name}"] select[data-field="{name}"]')
        assert select.is_visible(), f"{type_name}.{name} hidden"
        select.select_option(value)


def test_estimate_compare_all_cities_and_download_the_csv(page):
    page.goto(page.base + "/estimate")
    page.select_option("#city", "all")
    page.fill("input[name=as_of]", "2022-06-01")
    rows = page.locator("#rows [data-row]")
    choose_row(rows.nth(0), "standard", level="national", role="lead", action="draft")
    assert not rows.nth(0).locator('fieldset[data-type="good_behavior"]').is_visible()
    page.click("#add-row")
    page.click("#add-row")
    assert rows.count() == 3
    choose_row(rows.nth(1), "tc_secretariat", scope="national", body="TC")
    choose_row(rows.nth(2), "good_behavior", grade="5A")
    rows.nth(1).locator("button.remove-row").click()  # changed our mind
    assert rows.count() == 2
    page.click("#calculate")

    table = page.locator("#compare-table")
    table.wait_for()
    assert table.locator("tbody tr").count() == len(money_regions())
    achievements = [
        {"type": "standard", "level": "national", "role": "lead", "action": "draft", "count": 1},
        {"type": "good_behavior", "grade": "5A", "count": 1},
    ]
    expected = {
        r.id: estimate({"city": r.id, "as_of": "2022-06-01", "achievements": achievements})
        for r in money_regions()
    }
    best = max(expected.values(), key=lambda e: e.total_yuan)
    first_row = table.locator("tbody tr").first
    assert first_row.get_attribute("data-city") == best.city
    shot(page, "estimate-compare")

    with page.expect_download() as download_info:
        page.click("#export-csv")
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    target = OUT / "estimate-compare.csv"
    download.save_as(str(target))
    rows_csv = list(csv.DictReader(io.StringIO(target.read_bytes().decode("utf-8-sig"))))
    assert len(rows_csv) == 2 * len(money_regions())
    for row in rows_csv:
        est = expected[row["city"]]
        item = est.items[int(row["input_index"])]
        assert row["type"] == item.type
        assert row["amount_yuan"] == ("" if item.amount_yuan is None else str(item.amount_yuan))
        assert row["city_total_yuan"] == str(est.total_yuan)

    with page.expect_download() as xlsx_info:
        page.click("#export-xlsx")
    assert xlsx_info.value.suggested_filename.endswith(".xlsx")


def test_one_city_trace_and_print_report(page):
    page.goto(page.base + "/estimate")
    page.select_option("#city", "tianjin")
    page.fill("input[name=as_of]", "2022-06-01")
    choose_row(
        page.locator("#rows [data-row]").first, "standard", level="national", role="lead", action="draft"
    )
    page.click("#calculate")
    amount = page.locator(".results .amount")
    amount.wait_for()
    assert amount.inner_text().strip() == "8 万元"
    # only the chosen type's fields travelled
    assert "f0.good_behavior" not in page.url and "f0.standard.level=national" in page.url
    details = page.locator(".item-details").first
    details.locator("> summary").click()
    assert "第七条" in details.locator(".trace").inner_text()
    shot(page, "estimate-tianjin")

    page.emulate_media(media="print")
    assert page.locator("#estimate-form").is_hidden()
    assert page.locator(".report-head").is_visible()
    page.pdf(path=str(OUT / "estimate-report.pdf"))
    shot(page, "estimate-print")


# ---------------------------------------------------------------- policies
def test_policies_browser_and_a_document(page):
    page.goto(page.base + "/policies?as_of=2022-06-01")
    table = page.locator("#policies-table")
    assert table.locator("tbody tr").count() == len(corpus.load_documents())
    row = table.locator('tr[data-id="tianjin-subsidy-measures"]')
    assert "有效" in row.inner_text()
    shot(page, "policies")
    row.locator("a").click()
    page.wait_for_url("**/policies/tianjin-subsidy-measures*")
    assert page.locator("li.article").count() == len(corpus.articles_of("tianjin-subsidy-measures"))
    assert page.locator("h3", has_text="第七条").count() >= 1
    shot(page, "policy-tianjin")


def test_api_reference_page(page):
    page.goto(page.base + "/docs")
    assert page.locator("section.operation").count() >= 5
    assert page.locator("code", has_text="/api/estimate").count() >= 1
    shot(page, "api-docs")


def test_eval_html_report_opens_in_the_browser(browser, tmp_path):
    """`subsidy eval --html` writes a self-contained page: it renders offline with its tables."""
    import subprocess
    import sys

    html = tmp_path / "report.html"
    proc = subprocess.run(
        [sys.executable, "-m", "subsidy.cli", "eval", "--suite", "calc", "--html", str(html)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-500:]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
    page = context.new_page()
    page.goto(html.as_uri())
    assert page.locator("#suites tr").count() == 2  # header + calc
    assert "calc" in page.locator("#suites").inner_text()
    assert page.locator("#by-group tr").count() > 20
    page.screenshot(path=str(OUT / "eval-report.png"), full_page=False)
    context.close()
