"""The pages in a real browser: Debian's chromium, headless, driven by playwright.

A real `subsidy serve` runs on loopback (with the real assistant when it is installed, else
a stand-in that answers from the same engine). Screenshots go to test-output/browser/.
Installed by scripts/install-browser-test-deps.sh; skips, saying why, only when chromium
or the playwright package is genuinely absent. Phone-sized checks: tests/test_browser_phone.py.
"""

from __future__ import annotations

import csv
import io

import pytest

from calculators.engine import estimate
from knowledge import corpus
from knowledge.regions import money_regions
from tests import browser_support as support
from tests.browser_support import OUT, choose_row, shot

# Drives headless Chromium (playwright) against a real server.
pytestmark = pytest.mark.browser

server, browser, page = support.server, support.browser, support.page  # the shared fixtures


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
    # what can be applied for on the date first, by that amount
    best = min(
        expected.values(), key=lambda e: (e.total_in_force_yuan <= 0, -e.total_in_force_yuan, -e.total_yuan)
    )
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
    by_name = {e.city_name: e for e in expected.values()}
    for row in rows_csv:
        est = by_name[row["城市"]]
        item = est.items[int(row["序号"]) - 1]
        assert row["资助事项"] == item.label
        assert row["条款金额（元）"] == ("" if item.amount_yuan is None else str(item.amount_yuan))
        assert row["该城市条款合计（元）"] == str(est.total_yuan)

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
    assert page.url.endswith("#results")
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
