"""The policies pages: every document with its status on a date, one document's articles, and search.

The list puts the nine money documents first (by region), then the other regional documents,
the national ones, and last what is not a policy (a meeting report). Drafts are marked as drafts.
Search hits link to the article on the document's page and carry that document's status; a
hit that shares no word with the query (found by the embedding alone) is not shown, so a
query about nothing in the corpus says so instead of listing the nearest strangers.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from assistant.turn import Assistant
from foundation.dates import parse_iso_date
from foundation.errors import ConfigError, Unavailable, UserInputError
from knowledge.corpus import document, load_documents, policy_record
from knowledge.policies import list_policies, policy_detail
from knowledge.regions import all_regions
from knowledge.user_data import follows_user_data
from knowledge.yaml_data import load_yaml
from subsidy.dependencies import AssistantDep
from subsidy.security import limit_search_rate
from subsidy.web.messages import chinese_message
from subsidy.web.rendering import article_anchor, render, render_error_page

log = logging.getLogger("subsidy.service")
router = APIRouter(include_in_schema=False)
SEARCH_K = 8


@cache
def display_data() -> dict[str, dict[str, str]]:

    text = resources.files("subsidy").joinpath("data/policy_display.yaml").read_text("utf-8")
    raw = load_yaml(text) or {}
    return {"titles": dict(raw.get("titles") or {}), "kinds": dict(raw.get("kinds") or {})}


def presented(record: dict[str, Any]) -> dict[str, Any]:
    """A Policy record as the page shows it: corrected title, draft flag, and what kind of text it is."""

    data = display_data()
    doc = document(record["id"])
    return {
        **record,
        "title": data["titles"].get(record["id"], record["title"]),
        "draft": doc.draft,
        "kind": data["kinds"].get(record["id"]),
        "note": doc.note,
    }


def page_order(policies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Money documents first, then regional, then national, then non-policies; by region within each."""

    region_rank = {r.id: i for i, r in enumerate(all_regions())}

    def key(indexed: tuple[int, dict[str, Any]]) -> tuple[int, int, int, int]:
        position, p = indexed
        if p["kind"]:
            group = 3
        elif p["has_amounts"]:
            group = 0
        elif p["region_id"]:
            group = 1
        else:
            group = 2
        return group, region_rank.get(p["region_id"], len(region_rank)), int(p["draft"]), position

    return [p for _, p in sorted(enumerate(policies), key=key)]


@follows_user_data
def _document_ids_by_title() -> dict[str, str]:

    return {doc.title: doc.id for doc in load_documents()}


def hit_view(hit: dict[str, Any], day: dt.date, as_of: str) -> dict[str, Any]:
    """A search hit with the link to its article and its document's status on the page's date."""

    doc_id = hit.get("document_id") or _document_ids_by_title().get(hit.get("document", ""))
    view: dict[str, Any] = {**hit, "url": None, "policy": None}
    if doc_id:
        policy = presented(policy_record(document(doc_id), day))
        anchor = article_anchor(doc_id, hit.get("article"))
        url = f"/policies/{quote(doc_id)}" + (f"?as_of={quote(as_of)}" if as_of else "")
        view.update(url=url + (f"#{anchor}" if anchor else ""), policy=policy, document=policy["title"])
    return view


def relevant(hit: dict[str, Any]) -> bool:
    """A keyword match confirms the hit; a backend that does not report BM25 ranks is trusted."""
    return "bm25_rank" not in hit or hit["bm25_rank"] is not None


@router.get("/policies", response_class=HTMLResponse)
async def policies_page(request: Request, assistant: AssistantDep) -> HTMLResponse:

    city = request.query_params.get("city", "").strip()
    as_of = request.query_params.get("as_of", "").strip()
    query = request.query_params.get("q", "").strip()
    error = technical = None
    try:
        policies = page_order([presented(p) for p in list_policies(city=city or None, as_of=as_of or None)])
        day = parse_iso_date(as_of or None, "as_of")
    except UserInputError as err:
        (error, technical), policies, day = chinese_message(str(err)), [], dt.date.today()
    hits: list[dict[str, Any]] = []
    search_error: str | None = None
    if query and error is None:
        limit_search_rate(request)
        found, search_error = await _search_hits(assistant, query, city or None)
        hits = [hit_view(h, day, as_of) for h in found if relevant(h)]
    ingested = request.query_params.get("ingested", "").strip()
    uploaded = next((p for p in policies if p["id"] == ingested), None) if ingested else None
    return render(
        "policies.html",
        status_code=422 if error else 200,
        uploaded=uploaded,
        upload_status=request.query_params.get("status", ""),
        page="policies",
        policies=policies,
        money_count=sum(1 for p in policies if p["has_amounts"]),
        regions=all_regions(),
        city=city,
        as_of=as_of,
        q=query,
        hits=hits,
        search_error=search_error,
        error=error,
        technical=technical,
        day=day.isoformat(),
    )


async def _search_hits(
    assistant: Assistant, query: str, city: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    try:
        hits = await run_in_threadpool(assistant.search, query, k=SEARCH_K, city=city)
    except UserInputError as err:
        return [], chinese_message(str(err))[0]
    except (Unavailable, ConfigError):
        log.exception("retrieval unavailable")
        return [], "检索暂不可用"
    return [h.model_dump(mode="json") for h in hits], None


@router.get("/policies/{doc_id}", response_class=HTMLResponse)
async def policy_page(doc_id: str, request: Request) -> HTMLResponse:

    as_of = request.query_params.get("as_of", "").strip()
    try:
        document(doc_id)
    except UserInputError:
        raise HTTPException(status_code=404, detail=f"没有编号为 {doc_id} 的政策文件") from None
    try:
        detail = policy_detail(doc_id, as_of=as_of or None)
    except UserInputError as err:
        return render_error_page(request, 422, str(err))
    return render(
        "policy.html",
        page="policies",
        doc=presented(detail),
        as_of=as_of,
        day=as_of or dt.date.today().isoformat(),
    )
