"""Pages a company and a consultant can trust and use on a phone (issue 13), in a real browser.

Desktop 1366×900 and phone 390×844, Debian's chromium driven by playwright (tests/browser_support.py).
Screenshots of the chat, 测算 and 政策 pages at both sizes go to test-output/browser/ for review.
"""

from __future__ import annotations

import re

import pytest

from calculators.engine import estimate
from knowledge import corpus
from knowledge.regions import money_regions
from tests import browser_support as support
from tests.browser_support import DESKTOP, PHONE, ask, choose_row, no_sideways_scroll, open_page, shot

# Drives headless Chromium (playwright) against a real server.
pytestmark = pytest.mark.browser

server, browser, page, phone = support.server, support.browser, support.page, support.phone

TIANJIN_STANDARD = "我们公司在天津，主导制定了一项国家标准，能拿多少钱？"
STANDARD_QUERY = "t0=standard&n0=1&f0.standard.level=national&f0.standard.role=lead&f0.standard.action=draft"
INTERNAL_CODE = re.compile(r"\b[a-z]+=[A-Za-z0-9_]+|\b[a-z]+(?:_[a-z0-9]+)+\b")


LINES_OF_TEXT = """e => { const r = document.createRange(); r.selectNodeContents(e);
  return new Set(Array.from(r.getClientRects()).map(x => Math.round(x.top))).size; }"""


def in_view(page, locator) -> bool:
    page.wait_for_load_state("load")
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and -2 <= box["y"] < height


# ---------------------------------------------------------------- 1. new conversation, no-JS chat
def test_new_conversation_starts_over_instead_of_a_403(page):
    page.goto(page.base + "/")
    ask(page, TIANJIN_STANDARD)
    assert page.locator("article.turn").count() == 1
    page.click("#new-chat")
    page.wait_for_load_state()
    assert page.url == page.base + "/"
    assert page.locator("article.turn").count() == 0
    assert page.locator("#examples").is_visible()  # the empty page again


def test_chat_without_javascript_posts_and_lands_on_the_answer(browser, server):
    context, page = open_page(browser, server, DESKTOP, java_script_enabled=False)
    page.goto(page.base + "/")
    page.fill("#message", TIANJIN_STANDARD)
    page.fill("input[name=as_of]", "2022-06-01")
    page.click("#send")
    page.wait_for_url(re.compile(r".*/#turn-1$"))
    turn = page.locator("#turn-1")
    assert turn.locator(".amount").inner_text().strip() == "8 万元"
    assert in_view(page, turn)
    page.click("#new-chat")
    page.wait_for_url(page.base + "/")
    assert page.locator("article.turn").count() == 0
    context.close()


# ---------------------------------------------------------------- 2. Enter in the 测算 form
@pytest.mark.parametrize("javascript", [True, False])
def test_enter_in_an_estimate_field_calculates_and_keeps_every_row(browser, server, javascript):
    context, page = open_page(browser, server, DESKTOP, java_script_enabled=javascript)
    page.goto(page.base + f"/estimate?city=tianjin&as_of=2022-06-01&{STANDARD_QUERY}&add=1")
    rows = page.locator("#rows [data-row]")
    assert rows.count() == 2
    choose_row(rows.nth(1), "good_behavior", grade="5A")
    rows.nth(1).locator("input[type=number]").fill("2")
    rows.nth(1).locator("input[type=number]").press("Enter")
    page.locator("#results").wait_for()
    assert page.url.endswith("#results")
    assert page.locator("#rows [data-row]").count() == 2  # no row deleted
    assert page.locator(".results .items-table .item-row").count() == 2
    assert in_view(page, page.locator("#results"))  # the results, not the form, in view
    names = page.locator("button.remove-row").evaluate_all("bs => bs.map(b => b.getAttribute('aria-label'))")
    assert names == ["删除第 1 项成果", "删除第 2 项成果"]  # distinct names
    context.close()


def test_removing_a_row_with_the_script_renames_the_delete_buttons(page):
    page.goto(page.base + "/estimate")
    page.click("#add-row")
    page.click("#add-row")
    page.locator("#rows [data-row]").nth(0).locator("button.remove-row").click()
    names = page.locator("#rows button.remove-row").evaluate_all(
        "bs => bs.map(b => b.getAttribute('aria-label'))"
    )
    assert names == ["删除第 1 项成果", "删除第 2 项成果"]


def test_calculating_with_nothing_selected_says_so(page):
    page.goto(page.base + "/estimate")
    page.click("#calculate")
    error = page.locator("#estimate-error")
    error.wait_for()
    assert "请至少选择一项成果类型" in error.inner_text()


# ---------------------------------------------------------------- 3. Enter in the chat box
def test_chat_enter_sends_shift_enter_breaks_the_line_and_ime_does_not_send(page):
    page.goto(page.base + "/")
    assert "Enter 发送，Shift+Enter 换行" in page.locator("#send-hint").inner_text()
    box = page.locator("#message")
    box.click()
    box.type("我们在天津")
    box.press("Shift+Enter")
    box.type("主导制定了一项国家标准")
    assert box.input_value() == "我们在天津\n主导制定了一项国家标准"
    # Enter that confirms a 拼音 candidate: the browser reports it as composing (keyCode 229)
    page.evaluate(
        """() => document.getElementById('message').dispatchEvent(new KeyboardEvent('keydown',
             {key: 'Enter', keyCode: 229, isComposing: true, bubbles: true, cancelable: true}))"""
    )
    page.wait_for_timeout(300)
    assert page.locator("article.turn").count() == 0
    box.press("Enter")
    page.locator("article.turn .bubble.assistant").first.wait_for()
    assert page.locator("article.turn").count() == 1
    assert page.locator("article.turn .message").first.inner_text() == "我们在天津\n主导制定了一项国家标准"
    assert box.input_value() == ""


# ---------------------------------------------------------------- 4 + 6. expired policies, data date
def test_an_expired_policy_headlines_its_status_not_the_money(page):
    page.goto(page.base + "/")
    turn = ask(page, TIANJIN_STANDARD, as_of="2025-03-01")
    headline = turn.locator(".status-headline")
    assert "已于 2024-08-28 失效" in headline.inner_text() and "不能据此申请" in headline.inner_text()
    assert turn.locator(".amount").count() == 0  # no big red amount
    assert "8 万元" in turn.locator(".old-amount").inner_text()
    assert float(headline.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) > float(
        turn.locator(".old-amount").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    )
    assert "政策收录截至 2022-12-05" in turn.locator(".data-date").inner_text()

    page.goto(page.base + f"/estimate?city=tianjin&as_of=2025-03-01&{STANDARD_QUERY}")
    assert "已于 2024-08-28 失效" in page.locator(".results .status-headline").inner_text()
    assert page.locator(".results .amount").count() == 0
    assert "政策收录截至 2022-12-05" in page.locator(".results .data-date").inner_text()
    page.goto(page.base + "/policies")
    assert "政策收录截至 2022-12-05" in page.locator("main").inner_text()


# ---------------------------------------------------------------- 5. the comparison ranks what is in force
def test_the_comparison_ranks_what_is_in_force_then_greys_the_rest(page):
    page.goto(page.base + f"/estimate?city=all&as_of=2025-03-01&{STANDARD_QUERY}")
    achievements = [{"type": "standard", "level": "national", "role": "lead", "action": "draft"}]
    expected = {
        r.id: estimate({"city": r.id, "as_of": "2025-03-01", "achievements": achievements})
        for r in money_regions()
    }
    open_rows = page.locator("#compare-table tbody.in-force tr[data-city]")
    closed_rows = page.locator("#compare-table tbody.not-in-force tr[data-city]")
    open_cities = [open_rows.nth(i).get_attribute("data-city") for i in range(open_rows.count())]
    closed_cities = [closed_rows.nth(i).get_attribute("data-city") for i in range(closed_rows.count())]
    assert sorted(open_cities + closed_cities) == sorted(expected)
    assert open_cities and closed_cities  # on this date some cities' policies have expired
    assert all(expected[c].total_in_force_yuan > 0 for c in open_cities)
    assert all(expected[c].total_in_force_yuan == 0 for c in closed_cities)
    in_force = [expected[c].total_in_force_yuan for c in open_cities]
    assert in_force == sorted(in_force, reverse=True)
    ink = open_rows.first.locator("td").first.evaluate("e => getComputedStyle(e).color")
    grey = closed_rows.first.locator("td").first.evaluate("e => getComputedStyle(e).color")
    assert ink != grey  # greyed


# ---------------------------------------------------------------- 7. the chat answer
def test_chat_answer_card_links_the_article_and_shows_conditions_once(page):
    page.goto(page.base + "/")
    turn = ask(page, TIANJIN_STANDARD, as_of="2022-06-01")
    card = turn.locator(".summary-card")
    assert card.locator(".amount").inner_text().strip() == "8 万元"
    assert "定额给予" in card.inner_text()
    assert card.locator(".badge[data-status=in_force]").count() == 1
    conditions = turn.locator(".checklist li").all_inner_texts()
    assert conditions and len(conditions) == len(set(conditions))
    visible = turn.inner_text()
    assert not INTERNAL_CODE.search(visible), INTERNAL_CODE.search(visible)
    link = card.locator("a.cite-link").first
    assert "第七条" in link.inner_text()
    link.click()
    page.wait_for_url(re.compile(r".*/policies/tianjin-subsidy-measures\?as_of=2022-06-01#a\d+$"))
    target = page.locator(":target")
    assert "第七条" in target.locator("h3").inner_text()
    assert in_view(page, target)


def test_the_collapsed_citation_links_to_the_policy_page(page):
    page.goto(page.base + "/")
    turn = ask(page, TIANJIN_STANDARD, as_of="2022-06-01")
    quote = turn.locator(".citations details.quote").first
    quote.locator("summary").click()
    quote.locator(".quote-link a").click()
    page.wait_for_url(re.compile(r".*/policies/tianjin-subsidy-measures.*#a\d+$"))
    assert "第七条" in page.locator(":target h3").inner_text()


def test_a_new_answer_arrives_with_its_top_in_view_and_the_input_pinned(page):
    page.goto(page.base + "/")
    for _ in range(3):
        turn = ask(page, TIANJIN_STANDARD, as_of="2022-06-01")
    page.wait_for_timeout(300)
    top = turn.bounding_box()["y"]
    assert 0 <= top < 200, top  # the answer's top, not the input box, is where the eye lands
    assert in_view(page, page.locator("#message"))  # the input stays pinned in the window
    assert page.locator("#as-of-note").is_visible()
    assert "按这一天判断政策是否仍有效" in page.locator("#as-of-note").inner_text()


def test_an_example_chip_asks_its_question(page):
    page.goto(page.base + "/")
    chips = page.locator("#examples button.chip")
    assert chips.count() >= 3
    question = chips.first.inner_text()
    chips.first.click()
    turn = page.locator("article.turn").first
    turn.locator(".bubble.assistant").wait_for()
    assert turn.locator(".message").inner_text() == question
    assert page.locator("#examples").is_hidden()


# ---------------------------------------------------------------- 8. 测算 results
def test_estimate_results_are_readable(page):
    big = (
        "city=tianjin&as_of=2022-06-01&t0=standard&n0=5&f0.standard.level=national&f0.standard.role=lead"
        "&f0.standard.action=draft&t1=standard_leader&n1=1&f1.standard_leader.level=national"
        "&t2=tc_secretariat&n2=1&f2.tc_secretariat.scope=international&f2.tc_secretariat.body=TC"
    )
    page.goto(page.base + f"/estimate?{big}")
    results = page.locator("#results")
    for cell in page.locator(".items-table th, .items-table td.basis-cell").all():
        assert cell.evaluate(LINES_OF_TEXT) == 1, cell.inner_text()  # one line, not 最/高/不/超/过
    text = results.inner_text()
    assert not re.search(r"\d{5,} ?元", text), re.search(r"\d{5,} ?元", text)  # caps say 100 万元
    details = page.locator(".item-details").first
    details.locator("> summary").click()
    expanded = details.inner_text()
    assert "计算过程" in expanded and "条款金额" in expanded
    assert not re.search(r"\b(base|factor|count|cap|status|choice|assumption)\b", expanded)
    assert not INTERNAL_CODE.search(expanded), INTERNAL_CODE.search(expanded)


def test_a_city_without_amounts_does_not_headline_zero(page):
    page.goto(page.base + f"/estimate?city=shanghai&as_of=2022-06-01&{STANDARD_QUERY}")
    headline = page.locator("#no-amount")
    assert "没有规定资助金额" in headline.inner_text()
    assert "0 万元" not in page.locator(".results .summary-card").inner_text()


# ---------------------------------------------------------------- 9. 政策 page
def test_policies_are_sorted_and_honest_about_drafts_and_news(page):
    page.goto(page.base + "/policies?as_of=2022-06-01")
    rows = page.locator("#policies-table tbody tr")
    money = [d.id for d in corpus.load_documents() if d.has_amounts]
    ids = [rows.nth(i).get_attribute("data-id") for i in range(rows.count())]
    assert sorted(ids[: len(money)]) == sorted(money)  # money documents first
    assert "印《发" not in page.locator("#policies-table").inner_text()
    news = page.locator('tr[data-id="national-02-state-council-leader-system-meeting"]')
    assert ids[-1] == "national-02-state-council-leader-system-meeting"
    assert "会议报道" in news.inner_text() and "有效" not in news.inner_text()
    draft = page.locator('tr[data-id="standard-supervision-guidance-draft"]')
    assert "征求意见稿" in draft.inner_text()


def test_search_hits_link_to_the_article_with_status_and_no_score(page):
    page.goto(
        page.base + "/policies?q=%E7%A7%98%E4%B9%A6%E5%A4%84+%E8%B5%84%E5%8A%A9&city=tianjin"
    )  # 秘书处 资助
    hits = page.locator(".hits article.hit")
    assert hits.count() >= 1
    first = hits.first
    assert first.locator(".badge").count() == 1
    assert not re.search(r"\b0\.\d{2}\b", page.locator(".hits").inner_text())  # no raw scores
    first.locator("a").first.click()
    page.wait_for_url(re.compile(r".*/policies/[a-z0-9-]+.*#a\d+$"))
    assert in_view(page, page.locator(":target"))


def test_a_search_with_nothing_relevant_says_so(page):
    page.goto(page.base + "/policies?q=%E8%B6%B3%E7%90%83")  # 足球
    assert page.locator(".hits article.hit").count() == 0
    assert "没有找到相关条文" in page.locator("#no-hits").inner_text()


# ---------------------------------------------------------------- 11. errors, navigation, accessibility
def test_error_pages_speak_chinese_and_the_api_docs_sit_in_the_footer(page):
    response = page.goto(page.base + "/nowhere")
    assert response.status == 404
    page.problems.clear()  # the browser logs the 404 itself
    assert page.locator("h1").inner_text() == "页面不存在"
    assert "Not Found" not in page.locator("main").inner_text()
    page.goto(page.base + "/policies/tianjin-subsidy-measures?as_of=2022-13-01")
    assert page.locator("h1").inner_text() == "输入有误"
    assert "日期格式有误" in page.locator("main").inner_text()
    page.problems.clear()  # the browser logs the 422 itself
    assert page.locator("header nav a[href='/docs']").count() == 0
    assert page.locator("footer a[href='/docs']").count() == 1


def test_skip_link_landmarks_and_focus_ring(page):
    page.goto(page.base + "/estimate")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert focused == "skip-link"
    assert page.locator(".skip-link").is_visible()
    ring = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert ring != "none"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    for landmark in ("header", "nav", "main", "footer"):
        assert page.locator(landmark).count() >= 1
    unlabeled = page.evaluate(
        """() => Array.from(document.querySelectorAll('#estimate-form select, #estimate-form input'))
             .filter(e => !e.closest('label') && !e.labels?.length).length"""
    )
    assert unlabeled == 0


# ---------------------------------------------------------------- 12. phones, and screenshots at both sizes
PHONE_PAGES = {
    "estimate-form": "/estimate",
    "estimate-compare": f"/estimate?city=all&as_of=2025-03-01&{STANDARD_QUERY}",
    "estimate-city": f"/estimate?city=tianjin&as_of=2022-06-01&{STANDARD_QUERY}",
    "estimate-no-amount": f"/estimate?city=shanghai&{STANDARD_QUERY}",
    "policies": "/policies?q=%E9%A2%86%E8%B7%91%E8%80%85",  # 领跑者
    "policy": "/policies/weihai-subsidy-measures",
    "docs": "/docs",
    "not-found": "/nowhere",
}


@pytest.mark.parametrize("name", sorted(PHONE_PAGES))
def test_no_sideways_scrolling_on_a_phone(phone, name):
    phone.goto(phone.base + PHONE_PAGES[name])
    no_sideways_scroll(phone)
    if name == "not-found":
        phone.problems.clear()  # the browser logs the 404 itself


def test_phone_chat_with_answers_fits_and_the_details_links_work(phone):
    phone.goto(phone.base + "/")
    no_sideways_scroll(phone)
    ask(phone, TIANJIN_STANDARD, as_of="2025-03-01")
    ask(phone, "那如果是修订呢？")
    no_sideways_scroll(phone)
    phone.goto(phone.base + f"/estimate?city=all&as_of=2022-06-01&{STANDARD_QUERY}")
    link = phone.locator("#compare-table a", has_text="明细").first
    link.scroll_into_view_if_needed()
    assert link.is_visible()
    link.click()
    phone.wait_for_url(re.compile(r".*city=(?!all)[a-z-]+.*#results$"))
    phone.locator(".results .items-table").wait_for()
    no_sideways_scroll(phone)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_screenshots_for_review(browser, server, size):
    viewport = DESKTOP if size == "desktop" else PHONE
    context, page = open_page(browser, server, viewport, is_mobile=size == "phone")
    page.goto(page.base + "/")
    shot(page, f"review-chat-empty-{size}")
    ask(page, TIANJIN_STANDARD, as_of="2022-06-01")
    ask(page, "我们公司在天津，主导制定了一项国家标准", as_of="2025-03-01")
    shot(page, f"review-chat-{size}")
    page.goto(page.base + f"/estimate?city=all&as_of=2025-03-01&{STANDARD_QUERY}")
    shot(page, f"review-estimate-compare-{size}")
    page.goto(page.base + f"/estimate?city=tianjin&as_of=2022-06-01&{STANDARD_QUERY}")
    shot(page, f"review-estimate-city-{size}")
    page.goto(page.base + "/policies?q=%E9%A2%86%E8%B7%91%E8%80%85")
    shot(page, f"review-policies-{size}")
    no_sideways_scroll(page)
    context.close()
    assert page.problems == [], page.problems
