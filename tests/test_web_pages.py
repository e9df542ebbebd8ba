"""The server-rendered pages without a browser: content, escaping, the no-JavaScript paths, exports."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from openpyxl import load_workbook

from calculators.engine import estimate
from calculators.models import BASIS_ZH, STATUS_ZH
from foundation.errors import Unavailable
from knowledge import corpus
from knowledge.regions import money_regions
from tests.fakes import install_fake_assistant, install_fake_search, install_search
from tests.test_api import make_client

STANDARD = {"t0": "standard", "n0": "1", "f0.standard.level": "national", "f0.standard.role": "lead"}
STANDARD |= {"f0.standard.action": "draft"}
FIVE_A = {"t1": "good_behavior", "n1": "2", "f1.good_behavior.grade": "5A"}
ACHIEVEMENTS = [
    {"type": "standard", "level": "national", "role": "lead", "action": "draft", "count": 1},
    {"type": "good_behavior", "grade": "5A", "count": 2},
]


@pytest.fixture
def client(monkeypatch, tmp_path):
    monkeypatch.setenv("SUBSIDY_DATA_DIR", str(tmp_path))
    install_fake_assistant(monkeypatch)
    return make_client()


class PageAudit(HTMLParser):
    """Collects what the CSP forbids: inline scripts, inline handlers, inline styles; and every asset."""

    def __init__(self) -> None:
        super().__init__()
        self.inline_scripts = 0
        self.handlers: list[str] = []
        self.style_attrs = 0
        self.assets: list[str] = []
        self._in_script_without_src = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.handlers += [name for name in attrs if name.startswith("on")]
        self.style_attrs += "style" in attrs
        if tag == "script":
            if attrs.get("src"):
                self.assets.append(attrs["src"])
            else:
                self._in_script_without_src = True
        if tag == "link" and attrs.get("href"):
            self.assets.append(attrs["href"])
        if tag == "style":
            self.inline_scripts += 1

    def handle_data(self, data):
        if self._in_script_without_src and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script_without_src = False


def audit(html: str) -> PageAudit:
    parser = PageAudit()
    parser.feed(html)
    return parser


PAGES = [
    "/",
    "/estimate",
    "/estimate?" + urlencode({"city": "all", "as_of": "2022-06-01", **STANDARD, **FIVE_A}),
    "/policies",
    "/policies/tianjin-subsidy-measures",
    "/docs",
    "/nowhere",
]


@pytest.mark.parametrize("path", PAGES)
def test_pages_follow_the_csp_and_load_only_local_assets(client, path):
    response = client.get(path, headers={"accept": "text/html"})
    assert response.headers["content-type"].startswith("text/html")
    found = audit(response.text)
    assert found.inline_scripts == 0
    assert found.handlers == []
    assert found.style_attrs == 0
    for asset in found.assets:
        assert asset.startswith("/"), asset
        assert client.get(asset).status_code == 200, asset


# ---------------------------------------------------------------- chat page
def chat(client, message: str, **form: str):
    return client.post(
        "/chat", data={"message": message, **form}, headers={"accept": "text/html"}, follow_redirects=True
    )


def test_chat_answer_shows_amount_badge_and_quote(client):
    page = chat(client, "我们在天津，主导制定了一项国家标准", as_of="2022-06-01")
    assert page.status_code == 200
    html = page.text
    assert re.search(r'class="amount"[^>]*>8 万元<', html)
    assert "定额给予" in html
    assert 'data-status="in_force"' in html and "有效" in html
    quote = estimate({"city": "tianjin", "as_of": "2022-06-01", "achievements": ACHIEVEMENTS[:1]})
    assert "<details" in html and quote.items[0].citation.quote in html
    assert "第七条" in html


def test_chat_expired_policy_badge_names_the_date(client):
    html = chat(client, "我们在天津，主导制定了一项国家标准", as_of="2025-01-01").text
    assert 'data-status="expired"' in html
    assert "已于 2024-08-28 失效" in html


def test_chat_conversation_persists_in_the_page(client):
    chat(client, "我们主导制定了一项国家标准")
    html = chat(client, "在郑州，国家标准").text
    assert html.count('class="turn"') == 2
    assert "请问贵公司在哪个城市" in html
    assert "郑州" in html
    assert client.get("/").text.count('class="turn"') == 2  # reload: same conversation
    client.post("/chat/new")
    assert client.get("/").text.count('class="turn"') == 0


def test_chat_fragment_for_the_script(client):
    response = client.post("/chat?fragment=1", data={"message": "在天津，国家标准"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith("<article")
    assert "8 万元" in response.text
    assert "subsidy_session" in response.headers["set-cookie"]
    assert "HttpOnly" in response.headers["set-cookie"] and "SameSite=lax" in response.headers["set-cookie"]


def test_chat_message_html_is_escaped(client):
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    html = chat(client, evil).text
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert audit(html).inline_scripts == 0 and audit(html).handlers == []
    fragment = client.post("/chat?fragment=1", data={"message": evil}).text
    assert "<script>alert" not in fragment and "&lt;script&gt;" in fragment


def test_chat_page_errors(client):
    page = chat(client, "   ")
    assert page.status_code == 422
    assert "message: must not be empty" in page.text
    too_long = client.post("/chat?fragment=1", data={"message": "字" * 5000})
    assert too_long.status_code == 422 and "limit 4000" in too_long.text


def test_cross_site_chat_post_is_refused(client):
    response = client.post("/chat", data={"message": "hi"}, headers={"Origin": "https://evil.example"})
    assert response.status_code == 403


def test_chat_turns_have_stable_anchors_without_javascript(client):
    first = client.post("/chat", data={"message": "你好"}, follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/#turn-1"
    second = client.post("/chat", data={"message": "在天津，国家标准"}, follow_redirects=False)
    assert second.headers["location"] == "/#turn-2"
    html = client.get("/").text
    assert 'id="turn-1"' in html and 'id="turn-2"' in html
    fragment = client.post("/chat?fragment=1", data={"message": "国家标准"}).text
    assert 'id="turn-3"' in fragment


def test_a_rejected_message_keeps_the_conversation_on_the_page(client):
    chat(client, "在天津，国家标准")
    page = chat(client, "   ")
    assert page.status_code == 422 and "message: must not be empty" in page.text
    assert page.text.count('class="turn"') == 1 and "8 万元" in page.text


def test_the_page_shows_the_conversation_held_by_the_api_session(client):
    """One history: turns sent through /api/chat are the page's turns, after a restart too."""
    first = client.post("/api/chat", json={"message": "我们主导制定了一项国家标准"}).json()
    session_id = first["session_id"]
    client.post("/api/chat", json={"message": "在天津，国家标准", "session_id": session_id})
    for fresh in (client, make_client()):  # the same app, and a restarted one (or another worker)
        fresh.cookies.set("subsidy_session", session_id)
        html = fresh.get("/").text
        assert html.count('class="turn"') == 2
        assert 'id="turn-1"' in html and 'id="turn-2"' in html
        assert "请问贵公司在哪个城市" in html
        assert re.search(r'class="amount"[^>]*>8 万元<', html)
    page = chat(client, "在郑州，国家标准")  # and the page continues that same conversation
    assert page.text.count('class="turn"') == 3


def test_page_amounts_come_from_the_stored_estimate_not_the_text(client):
    from assistant import sessions
    from assistant.models import SessionState

    est = estimate({"city": "tianjin", "as_of": "2022-06-01", "achievements": ACHIEVEMENTS[:1]})
    sessions.save_turn("s1", SessionState(), "天津国标", "可获 99 万元。", None, estimate=est)
    sessions.save_turn("s1", SessionState(), "旧的一轮", "只有文字。", "还有问题吗？")
    client.cookies.set("subsidy_session", "s1")
    html = client.get("/").text
    assert re.search(r'class="amount"[^>]*>8 万元<', html) and "（80,000 元）" in html
    assert "99 万元" in html.split('class="answer"')[1]  # the text is shown, as text only
    assert "只有文字。" in html and "还有问题吗？" in html


# ---------------------------------------------------------------- estimate page
def estimate_page(client, **params: str):
    return client.get("/estimate?" + urlencode(params))


def test_estimate_page_for_one_city_renders_the_estimate(client):
    html = estimate_page(client, city="tianjin", as_of="2022-06-01", **STANDARD, **FIVE_A).text
    est = estimate({"city": "tianjin", "as_of": "2022-06-01", "achievements": ACHIEVEMENTS})
    assert f'data-yuan="{est.total_yuan}"' in html
    assert "第七条" in html
    assert 'class="trace"' in html  # per-item trace
    assert "export.csv?" in html and "export.xlsx?" in html


@pytest.mark.parametrize("as_of", ["2022-06-01", "2025-03-01"])
def test_estimate_page_compares_all_cities(client, as_of):
    """Ranked by what can be applied for on the date; cities with nothing in force come after, apart.

    (Before issue 13 the rows were ranked by totals that included expired policies.)"""
    html = estimate_page(client, city="all", as_of=as_of, **STANDARD).text
    rows = re.findall(r'<tr data-city="([a-z-]+)">', html)
    assert sorted(rows) == sorted(r.id for r in money_regions())
    ests = {
        r.id: estimate({"city": r.id, "as_of": as_of, "achievements": ACHIEVEMENTS[:1]})
        for r in money_regions()
    }
    key = [
        (ests[c].total_in_force_yuan <= 0, -ests[c].total_in_force_yuan, -ests[c].total_yuan) for c in rows
    ]
    assert key == sorted(key)
    closed = re.findall(r'<tr data-city="([a-z-]+)">', html.partition('<tbody class="not-in-force">')[2])
    assert closed == [c for c in rows if ests[c].total_in_force_yuan == 0]


def test_estimate_page_shows_what_capped_each_city(client):
    portfolio = {**STANDARD, "n0": "5", "t1": "standard_leader", "f1.standard_leader.level": "national"}
    portfolio |= {
        "t2": "tc_secretariat",
        "f2.tc_secretariat.scope": "international",
        "f2.tc_secretariat.body": "TC",
    }
    html = estimate_page(client, city="all", as_of="2022-06-01", **portfolio).text
    achievements = [
        {**ACHIEVEMENTS[0], "count": 5},
        {"type": "standard_leader", "level": "national"},
        {"type": "tc_secretariat", "scope": "international", "body": "TC"},
    ]
    capped = {}
    for region in money_regions():
        est = estimate({"city": region.id, "as_of": "2022-06-01", "achievements": achievements})
        if est.caps_applied:
            capped[region.id] = est.caps_applied
    assert capped, "this portfolio should hit at least one city's cap"
    for city, caps in capped.items():
        row = re.search(rf'<tr data-city="{city}">(.*?)</tr>', html, re.S).group(1)
        for cap in caps:
            assert cap.citation.article in row, city
            assert f"减 {cap.reduced_by_yuan / 10000:g} 万元" in row, city


def form_rows(html: str) -> list[str]:
    """The achievement rows of the form (the <template> row for the script excluded)."""
    rows = html.split('<template id="row-template">')[0]
    return rows.split('<div class="row" data-row>')[1:]


def test_estimate_rows_add_and_remove_without_javascript(client):
    html = estimate_page(client, city="tianjin", add="1", **STANDARD).text
    assert len(form_rows(html)) == 2
    html = estimate_page(client, city="tianjin", remove="0", **STANDARD, **FIVE_A).text
    rows = form_rows(html)
    assert len(rows) == 1
    assert '<option value="good_behavior" selected>' in rows[0]
    assert 'name="t0"' in rows[0]


def test_estimate_form_names_fields_and_values_from_the_type_registry(client, monkeypatch):
    from calculators.achievement_types import achievement_types

    html = estimate_page(client).text
    for spec in achievement_types().values():
        for field in spec.fields:
            assert field.title, f"{spec.name}.{field.name} has no title in achievement_types.yaml"
            assert f"<label>{field.title}" in html
            if field.listed is None:
                continue
            for value in field.listed:
                assert value in field.labels, f"{spec.name}.{field.name}: {value!r} has no label"
                assert f'<option value="{value}">{field.labels[value]}</option>' in html or (
                    f'<option value="{value}" selected>{field.labels[value]}</option>' in html
                )
    monkeypatch.setitem(achievement_types()["standard"].field("level").labels, "national", "国标（测试）")
    html = estimate_page(client, city="tianjin", as_of="2022-06-01", **STANDARD).text
    assert '<option value="national" selected>国标（测试）</option>' in html
    assert "<li>标准制修订 · 国标（测试） · 主导 · 制定</li>" in html


def test_estimate_page_names_a_missing_field(client):
    params = {"city": "tianjin", "t0": "standard", "f0.standard.level": "national"}
    response = estimate_page(client, **params)
    assert response.status_code == 422
    assert "achievements[0].role: is required" in response.text


def test_estimate_page_unknown_city(client):
    response = estimate_page(client, city="atlantis", **STANDARD)
    assert response.status_code == 422
    assert "city: unknown city" in response.text


def test_csv_export_rows_are_the_estimates(client):
    """Chinese headers and values as in the XLSX; the consultant's rows with their counts, numbered from 1."""
    params = {"city": "all", "as_of": "2022-06-01", **STANDARD, **FIVE_A}
    response = client.get("/estimate/export.csv?" + urlencode(params))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 2 * len(money_regions())
    for region in money_regions():
        est = estimate({"city": region.id, "as_of": "2022-06-01", "achievements": ACHIEVEMENTS})
        mine = [r for r in rows if r["城市"] == est.city_name]
        assert [r["序号"] for r in mine] == ["1", "2"]
        assert [r["成果描述"] for r in mine] == [
            "标准制修订 · 国家标准 · 主导 · 制定",
            "标准化良好行为企业 · 5A级",
        ]
        assert [r["数量"] for r in mine] == ["1", "2"]
        for row, item in zip(mine, est.items, strict=True):
            assert row["条款金额（元）"] == ("" if item.amount_yuan is None else str(item.amount_yuan))
            assert row["有资助条款"] == ("是" if item.covered else "否")
            assert row["该城市条款合计（元）"] == str(est.total_yuan)
            assert row["该城市可申请（元）"] == str(est.total_in_force_yuan)
            if item.covered:
                assert row["政策状态"] == STATUS_ZH[item.policy_status]
                assert row["金额性质"] == BASIS_ZH[item.basis]
            if item.citation:
                assert row["原文"] == item.citation.quote


def test_xlsx_export_has_summary_and_detail(client):
    params = {"city": "all", "as_of": "2025-06-01", **STANDARD, **FIVE_A}
    response = client.get("/estimate/export.xlsx?" + urlencode(params))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["汇总", "明细"]
    summary_sheet = workbook["汇总"]
    summary = list(summary_sheet.values)
    assert "政策收录截至 2022-12-05" in summary[0][0] and "仅供参考" in summary[0][0]
    assert summary[1][:5] == ("排序", "城市", "测算日期", "可申请（有效政策，元）", "条款合计（含失效，元）")
    assert summary_sheet.auto_filter.ref.startswith("A2:")
    ests = {
        r.name: estimate({"city": r.id, "as_of": "2025-06-01", "achievements": ACHIEVEMENTS})
        for r in money_regions()
    }
    ranked = [row[1] for row in summary[2:]]
    key = [
        (ests[c].total_in_force_yuan <= 0, -ests[c].total_in_force_yuan, -ests[c].total_yuan) for c in ranked
    ]
    assert key == sorted(key)  # what can be applied for first, then the rest by their old totals
    assert [row[0] for row in summary[2:]] == list(range(1, len(money_regions()) + 1))
    for row in summary[2:]:
        assert row[3] == ests[row[1]].total_in_force_yuan and row[4] == ests[row[1]].total_yuan
    assert summary_sheet["D3"].number_format == "#,##0"
    detail_sheet = workbook["明细"]
    detail = list(detail_sheet.values)
    assert len(detail) == 2 + 2 * len(money_regions())
    assert detail[1][0] == "序号" and detail[2][0] == 1
    amount_column = detail[1].index("条款金额（元）")
    first_city = ests[detail[2][1]]
    assert detail[2][amount_column] == first_city.items[0].amount_yuan
    assert detail_sheet.cell(row=3, column=amount_column + 1).number_format == "#,##0"
    assert detail_sheet.auto_filter.ref.startswith("A2:")


def test_export_with_bad_input_is_422_text(client):
    response = client.get("/estimate/export.csv?city=tianjin")
    assert response.status_code == 422
    assert "achievements" in response.text


def test_exports_never_write_formulas():
    from subsidy.exports import _cell

    assert _cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert _cell("第七条") == "第七条"
    assert _cell(-5) == -5


# ---------------------------------------------------------------- policies pages
def test_policies_page_lists_every_document_with_status(client):
    html = client.get("/policies?as_of=2022-06-01").text
    for doc in corpus.load_documents():
        assert f'data-id="{doc.id}"' in html
    row = re.search(r'<tr data-id="tianjin-subsidy-measures">(.*?)</tr>', html, re.S).group(1)
    assert "天津市" in row and "2021-07-30" in row and "2024-08-28" in row and "有效" in row
    expired = client.get("/policies?as_of=2025-01-01").text
    row = re.search(r'<tr data-id="tianjin-subsidy-measures">(.*?)</tr>', expired, re.S).group(1)
    assert "已于 2024-08-28 失效" in row


def test_policies_page_filters_by_city(client):
    html = client.get("/policies?city=%E9%BB%84%E5%9F%94").text  # 黄埔
    ids = re.findall(r'<tr data-id="([^"]+)">', html)
    assert ids == ["huangpu-quality-fund-measures"]
    assert client.get("/policies?city=atlantis").status_code == 422


def test_policy_page_lists_its_articles(client):
    html = client.get("/policies/tianjin-subsidy-measures").text
    articles = corpus.articles_of("tianjin-subsidy-measures")
    assert html.count('class="article"') == len(articles)
    assert "第七条" in html
    response = client.get("/policies/<script>", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert "<script>" not in response.text


def test_policy_search_box_shows_hits(client, monkeypatch):
    fake_search = install_fake_search(monkeypatch)
    html = client.get("/policies?q=%E9%A2%86%E8%B7%91%E8%80%85&city=tianjin").text  # 领跑者
    assert "检索“领跑者”" in html
    assert fake_search[-1] == ("领跑者", 8, "tianjin", False)
    assert html.count('<article class="hit">') == 2
    assert "0.90" not in html  # no raw scores


def test_policy_search_box_without_retrieval(client, monkeypatch):
    def search(*_: object, **__: object) -> list[object]:  # the index cannot be opened
        raise Unavailable("index", "cannot be opened")

    install_search(monkeypatch, search)
    html = client.get("/policies?q=x").text
    assert "检索暂不可用" in html


def test_types_css_shows_each_types_fields(client):
    css = client.get("/assets/types.css").text
    assert 'option[value="standard"]:checked' in css
    assert 'fieldset.fields[data-type="good_behavior"]' in css


def test_a_tampered_session_cookie_starts_a_new_conversation(client):
    client.cookies.set("subsidy_session", "../../etc/passwd")
    page = chat(client, "在天津，国家标准")
    assert page.status_code == 200
    assert "8 万元" in page.text
    assert page.text.count('class="turn"') == 1


# ---------------------------------------------------------------- QA robustness
@pytest.mark.parametrize("count", ["10001", "999999999999999999999999999"])
@pytest.mark.parametrize("city", ["tianjin", "all"])
def test_estimate_page_refuses_a_huge_count_with_the_message(client, city, count):
    response = estimate_page(client, city=city, as_of="2022-06-01", **{**STANDARD, "n0": count})
    assert response.status_code == 422
    assert "achievements[0].count: must be at most 10,000" in response.text


@pytest.mark.parametrize("export", ["csv", "xlsx"])
def test_exports_refuse_a_huge_count_with_one_line(client, export):
    params = {"city": "tianjin", **STANDARD, "n0": "999999999999999999999999999"}
    response = client.get(f"/estimate/export.{export}?" + urlencode(params))
    assert response.status_code == 422
    assert response.text.startswith("achievements[0].count: must be at most 10,000")


def test_head_on_pages(client):
    for path in ("/", "/estimate", "/policies"):
        response = client.head(path)
        assert response.status_code == 200, path
        assert response.content == b""
        assert response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "cross-site", "Origin": "http://testserver"},
    ],
)
def test_opaque_or_cross_site_form_posts_are_refused(client, headers):
    assert client.post("/chat", data={"message": "hi"}, headers=headers).status_code == 403
    assert client.post("/chat/new", headers=headers).status_code == 403


@pytest.mark.parametrize(
    "headers",
    [{}, {"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"}, {"Sec-Fetch-Site": "none"}],
)
def test_same_origin_form_posts_pass(client, headers):
    response = client.post("/chat", data={"message": "hi"}, headers=headers, follow_redirects=False)
    assert response.status_code == 303


# ---------------------------------------------------------------- issue 13
def test_same_origin_post_with_an_opaque_origin_passes_when_the_browser_vouches(client):
    """Chromium may send `Origin: null` on a same-origin form post; Sec-Fetch-Site says where it came from."""
    headers = {"Origin": "null", "Sec-Fetch-Site": "same-origin"}
    assert client.post("/chat/new", headers=headers, follow_redirects=False).status_code == 303
    response = client.post("/chat", data={"message": "hi"}, headers=headers, follow_redirects=False)
    assert response.status_code == 303
    assert client.get("/").headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_a_refused_post_is_explained_in_chinese(client):
    response = client.post("/chat/new", headers={"Origin": "null", "accept": "text/html"})
    assert response.status_code == 403
    assert "不是从本站页面提交的" in response.text


def test_engine_notes_lose_their_internal_codes():
    from subsidy.wording import amounts_in_text, plain_words

    assert plain_words("按 level=national 计算；若 level=provincial，适用 第五条（三）") == (
        "按 级别「国家标准」 计算；若 级别「省地方标准」，适用 第五条（三）"
    )
    assert plain_words("该市对专利奖资助的情形是：4. china_patent_gold；4. china_patent_silver。") == (
        "该市对专利奖资助的情形是：4.。"
    )
    assert "type" not in plain_words("请按该标准的制修订（type standard）申请。")
    assert amounts_in_text("合计1500000 元超过上限 1000000 元") == "合计 150 万元超过上限 100 万元"


def test_every_note_on_a_page_is_free_of_internal_codes():
    """Every city × type the engine can price or refuse: its notes, trace and caps in plain words."""
    from calculators.achievement_types import achievement_types
    from knowledge.regions import all_regions
    from subsidy.wording import plain_words

    code = re.compile(r"\b[a-z]+=[A-Za-z0-9_]+|\b[a-z]+(?:_[a-z0-9]+)+\b")
    checked = 0
    for region in all_regions():
        for spec in achievement_types().values():
            fields = {f.name: f.values[0] for f in spec.fields if f.default is None and f.values}
            est = estimate(
                {"city": region.id, "as_of": "2022-06-01", "achievements": [{"type": spec.name, **fields}]}
            )
            texts = [n for i in est.items for n in i.notes] + [s.detail for i in est.items for s in i.trace]
            for text in texts:
                assert not code.search(plain_words(text)), (region.id, spec.name, plain_words(text))
                checked += 1
    assert checked > 100


def test_chat_card_renders_the_answers_comparison_when_it_has_one():
    from subsidy.web.chat_page import answer_view
    from subsidy.web.rendering import environment

    est = estimate({"city": "tianjin", "as_of": "2025-03-01", "achievements": ACHIEVEMENTS[:1]})
    answer = {
        "answer": "文字",
        "citations": [],
        "estimate": est.model_dump(mode="json"),
        "follow_up": None,
        "session_id": "s",
        "verdict": "天津的政策已失效。",
        "comparison": [
            {
                "city": "zhengzhou",
                "city_name": "郑州市",
                "total_yuan": 1000000,
                "basis": "fixed",
                "policy_status": "in_force",
                "article": "第四条",
            },
            {
                "city": "tianjin",
                "city_name": "天津市",
                "total_yuan": 80000,
                "basis": "fixed",
                "policy_status": "expired",
                "article": "第七条",
            },
        ],
    }
    turn = {"message": "哪里最多", "answer": answer, "view": answer_view(answer)}
    html = environment().get_template("_turn.html").render(turn=turn, seq=1)
    assert '<tr data-city="zhengzhou">' in html and "100 万元" in html
    assert '<tr data-city="tianjin" class="not-in-force">' in html
    assert "天津的政策已失效。" in html
    assert "已于 2024-08-28 失效" in html.split('class="status-headline"')[1].split("</p>")[0]
    assert 'class="amount"' not in html  # an expired policy does not headline its money
    assert 'href="/policies/tianjin-subsidy-measures?as_of=2025-03-01#a' in html
    without = {**answer, "comparison": None, "verdict": None}
    html = (
        environment()
        .get_template("_turn.html")
        .render(turn={"message": "x", "answer": without, "view": answer_view(without)}, seq=2)
    )
    assert "comparison-table" not in html


def test_policy_display_titles_are_found_in_the_seeds():
    """A corrected title is the document's name as the seeds write it elsewhere, verbatim."""
    from pathlib import Path

    import knowledge
    from subsidy.web.policies_page import display_data

    seeds = "".join(p.read_text("utf-8") for p in (Path(knowledge.__file__).parent / "seeds").glob("*.txt"))
    for doc_id, title in display_data()["titles"].items():
        corpus.document(doc_id)
        assert title in seeds, title
    for doc_id in display_data()["kinds"]:
        corpus.document(doc_id)


def test_policies_page_order_and_labels(client):
    html = client.get("/policies?as_of=2022-06-01").text
    ids = re.findall(r'<tr data-id="([^"]+)"', html)
    money = [d.id for d in corpus.load_documents() if d.has_amounts]
    assert sorted(ids[: len(money)]) == sorted(money)
    assert ids[-1] == "national-02-state-council-leader-system-meeting"
    assert "中共中央 国务院关于开展质量提升行动的指导意见" in html and "印《发" not in html
    assert 'data-status="draft"' in html
    draft = client.get("/policies/standard-supervision-guidance-draft").text
    assert "征求意见稿（草案），未正式发布" in draft


def test_policy_search_keeps_only_hits_that_share_a_word(client, monkeypatch):
    from tests.fakes import install_search

    class Hit(dict):
        def model_dump(self, mode: str = "json") -> dict:
            return dict(self)

    def search(query, k=5, city=None, include_national=False):
        base = {"document": "天津", "article": "第七条", "city": "tianjin", "text": "…", "score": 0.5}
        base |= {"document_id": "tianjin-subsidy-measures", "article_id": "tianjin-subsidy-measures#9"}
        return [Hit(base, bm25_rank=1, dense_rank=3), Hit(base, bm25_rank=None, dense_rank=1)]

    module = install_search(monkeypatch, search)
    html = client.get("/policies?q=x&as_of=2025-01-01").text
    assert html.count('<article class="hit">') == 1
    assert 'href="/policies/tianjin-subsidy-measures?as_of=2025-01-01#a' in html
    assert 'data-status="expired"' in html.split('class="hits"')[1].split("</section>")[0]

    def nothing_shares_a_word(*args, **kwargs):
        return [Hit({"document": "x", "article": "1", "text": "…", "score": 0.1, "bm25_rank": None})]

    monkeypatch.setattr(module, "search", nothing_shares_a_word)
    assert "没有找到相关条文" in client.get("/policies?q=x").text


def test_error_pages_are_chinese(client):
    missing = client.get("/nowhere", headers={"accept": "text/html"})
    assert missing.status_code == 404 and "页面不存在" in missing.text and "Not Found" not in missing.text
    bad_date = client.get("/policies/tianjin-subsidy-measures?as_of=x", headers={"accept": "text/html"})
    assert bad_date.status_code == 422 and "日期格式有误" in bad_date.text
    page = estimate_page(client, city="tianjin", **{"t0": "standard", "f0.standard.level": "national"})
    assert "第 1 项成果：请选择「角色」" in page.text


def test_estimate_form_enter_hits_a_calculate_button_first(client):
    html = estimate_page(client, city="tianjin", add="1", **STANDARD).text
    form = html.split('<form id="estimate-form"')[1]
    first_submit = re.search(r'<button type="submit"([^>]*)>([^<]*)<', form)
    assert first_submit.group(2) == "测算" and 'name="remove"' not in first_submit.group(1)
    assert 'aria-label="删除第 1 项成果"' in html and 'aria-label="删除第 2 项成果"' in html
    empty = estimate_page(client, city="tianjin", t0="")
    assert empty.status_code == 200 and "请至少选择一项成果类型" in empty.text
