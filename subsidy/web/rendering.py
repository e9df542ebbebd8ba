"""How every page renders: one Jinja2 environment (autoescaped), its filters, and the error page.

The filters turn the Estimate's values into words a company reads: amounts (8 万元), statuses,
the document + article link of a citation, and engine notes without internal codes
(`role=lead` → 角色「主导」).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from foundation import money
from foundation.limits import MAX_COUNT, MAX_QUERY_CHARS
from knowledge.corpus import articles_of
from knowledge.user_data import follows_user_data
from subsidy.web.forms import CROSS_SITE_REFUSED
from subsidy.web.messages import chinese_message
from subsidy.wording import TRACE_OPS_ZH, amounts_in_text, basis_short, data_date, plain_words

PACKAGE = Path(__file__).resolve().parents[1]  # subsidy/: templates/ and static/ live there


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)


def distinct_statuses(estimate: Any) -> list[Any]:
    """The covered items with distinct (status, from, to): one badge per cited validity.

    Takes an Estimate (its items) or a list of items."""
    seen, out = set(), []
    items = estimate if isinstance(estimate, list) else _get(estimate, "items") or []
    for item in items:
        if not _get(item, "covered"):
            continue
        key = (_get(item, "policy_status"), _get(item, "effective_from"), _get(item, "effective_to"))
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


@follows_user_data
def _article_positions(doc_id: str) -> dict[str, int]:

    positions: dict[str, int] = {}
    for article in articles_of(doc_id):
        positions.setdefault(article.article, article.position)
    return positions


def article_anchor(doc_id: str | None, article: str | None) -> str:
    """`a{position}`: the id of the article's block on the policy page ('' when not found)."""
    if not doc_id or not article:
        return ""
    try:
        position = _article_positions(doc_id).get(article)
    except Exception:  # an unknown document: no anchor, the link still names it
        return ""
    return f"a{position}" if position else ""


def citation_url(citation: Any, as_of: str | None = None) -> str:
    """The policy page at the cited article; '' for a citation without a document id."""
    doc_id = _get(citation, "document_id")
    if not doc_id:
        return ""
    url = f"/policies/{quote(doc_id)}"
    if as_of:
        url += f"?as_of={quote(str(as_of))}"
    anchor = article_anchor(doc_id, _get(citation, "article"))
    return url + (f"#{anchor}" if anchor else "")


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(PACKAGE / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.ChainableUndefined,
    )
    env.filters.update(money.filters(gap=" "))  # 8 万元, 80,000 元
    env.filters["distinct_statuses"] = distinct_statuses
    env.filters["plain"] = plain_words
    env.filters["amounts_in_text"] = amounts_in_text
    env.filters["basis_short"] = basis_short
    env.filters["citation_url"] = citation_url
    env.globals["data_date"] = data_date
    env.globals["today"] = lambda: dt.date.today().isoformat()
    env.globals["article_anchor"] = article_anchor
    env.globals["trace_ops"] = TRACE_OPS_ZH
    env.globals.update(max_count=MAX_COUNT, max_query_chars=MAX_QUERY_CHARS)
    return env


def render(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    html = environment().get_template(name).render(**context)
    return HTMLResponse(html, status_code=status_code)


ERROR_TITLES = {
    400: "请求有误",
    401: "需要授权",
    403: "请求被拒绝",
    404: "页面不存在",
    405: "不支持的请求方式",
    413: "请求过大",
    415: "不支持的内容类型",
    422: "输入有误",
    429: "请求过于频繁",
    500: "服务器出错了",
    503: "服务暂不可用",
}
# Starlette's English reason phrases, said in Chinese on a page
ERROR_MESSAGES = {
    "Not Found": "没有这个页面。请检查网址，或从上方导航进入。",
    "Method Not Allowed": "这个网址不接受这种请求方式。",
    CROSS_SITE_REFUSED: "这个表单不是从本站页面提交的，已拒绝。请回到本站页面重新提交。",
}


def render_error_page(request: Request, status_code: int, message: str) -> HTMLResponse:

    detail = ERROR_MESSAGES.get(message)
    said, technical = (detail, None) if detail else chinese_message(message)
    response = render(
        "error.html",
        status_code=status_code,
        page="error",
        code=status_code,
        title=ERROR_TITLES.get(status_code, "出错了"),
        message=said,
        technical=technical,
        path=request.url.path,
    )
    if status_code == 429:
        response.headers["Retry-After"] = "60"
    return response
