"""The chat page (/): a conversation held by the assistant's sessions, shown turn by turn.

Each answer is shown from its fields, never from its text: a summary card from the Answer's
`estimate` (amount, 定额/上限, status, the cited document and article), the conditions once as a
checklist, an all-cities `comparison` when the Answer carries one; the assistant's text follows,
as text. Without JavaScript the form posts and the page redirects to the new turn's anchor.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from assistant.turn import Assistant
from foundation.errors import UserInputError
from subsidy.api_routes import SESSION_ID_PATTERN, run_chat_turn
from subsidy.dependencies import AssistantDep, SettingsDep, get_settings
from subsidy.security import limit_chat_rate
from subsidy.web.forms import form_fields, same_origin
from subsidy.web.messages import chinese_message
from subsidy.web.rendering import distinct_statuses, render
from subsidy.wording import plain_words

SESSION_COOKIE = "subsidy_session"

router = APIRouter(include_in_schema=False)

# Shown on an empty conversation; each one a question the assistant answers with an amount.
EXAMPLE_QUESTIONS = (
    "我们公司在天津，主导制定了一项国家标准，能拿多少钱？",
    "威海的企业承担全国专业标准化技术委员会秘书处，有什么资助？",
    "郑州的企业标准“领跑者”有奖励吗？",
    "主导制定一项行业标准，哪个城市资助最多？",
)


def session_from_cookie(request: Request) -> str | None:
    """The page's conversation id; a tampered or stale cookie just starts a new conversation."""

    value = request.cookies.get(SESSION_COOKIE)
    return value if value and re.fullmatch(SESSION_ID_PATTERN, value) else None


def summary(estimate: dict[str, Any]) -> dict[str, Any]:
    """The card's headline: what can be applied for on the date, and what no longer can."""
    covered = [i for i in estimate.get("items", []) if i.get("covered")]
    in_force = [i for i in covered if i.get("policy_status") == "in_force"]
    not_in_force = [i for i in covered if i.get("policy_status") != "in_force"]
    return {
        "covered": covered,
        "in_force": in_force,
        # the validity of each policy that can no longer (or not yet) be applied under
        "closed": distinct_statuses(not_in_force),
        "headline_is_status": bool(covered) and not in_force,
    }


def conditions(items: list[dict[str, Any]]) -> list[str]:
    """Each covered item's conditions still to meet, once, in plain words."""
    notes: dict[str, None] = {}
    for item in items:
        for note in item.get("notes") or []:
            if note.startswith("注意：") or note.startswith("另有条款"):
                continue  # the status badge and the amount already say these
            notes.setdefault(plain_words(note), None)
    return [n for n in notes if n]


def answer_view(answer: dict[str, Any]) -> dict[str, Any]:
    """What the page shows of an Answer: the numbers come from its Estimate, never the text."""
    estimate = answer.get("estimate") or None
    card = summary(estimate) if estimate else {"covered": [], "in_force": [], "closed": []}
    citations = list(
        {(c["document"], c["article"], c["quote"]): c for c in answer.get("citations") or []}.values()
    )
    follow_up = answer.get("follow_up")
    if follow_up and follow_up.strip() in (answer.get("answer") or ""):
        follow_up = None  # the answer already ends with the question
    comparison = answer.get("comparison") or []
    verdict = answer.get("verdict")
    return {
        **answer,
        "estimate": estimate,
        "covered": card["covered"],
        "card": card,
        "conditions": conditions(card["covered"]),
        "statuses": distinct_statuses(estimate) if estimate else [],
        "citations": citations,
        "follow_up": follow_up,
        "comparison": comparison if isinstance(comparison, list) else [],
        "verdict": verdict if isinstance(verdict, str) else None,
    }


def conversation(assistant: Assistant, session_id: str | None) -> list[dict[str, Any]]:
    """The page's turns: the session's last turns as the assistant stored them (any worker, any face)."""
    if not session_id:
        return []
    turns = assistant.store.recent_turns(session_id)
    return [{**turn, "view": answer_view(turn["answer"])} for turn in turns]


def _latest_turn_number(assistant: Assistant, session_id: str) -> int:
    """The number of the turn the assistant just stored (the page's #turn-N); 0 if it could not."""
    latest = assistant.store.recent_turns(session_id, last=1)
    return latest[0]["n"] if latest else 0


def _page(request: Request, turns: list[dict[str, Any]], status_code: int = 200, **form: Any) -> HTMLResponse:
    context = {"error": None, "technical": None, "message": "", "as_of": ""} | form
    context["max_message_chars"] = get_settings(request).max_message_chars
    return render(
        "chat.html",
        status_code=status_code,
        page="chat",
        turns=turns,
        examples=EXAMPLE_QUESTIONS,
        today=dt.date.today().isoformat(),
        **context,
    )


@router.get("/", response_class=HTMLResponse)
async def chat_page(request: Request, assistant: AssistantDep) -> HTMLResponse:
    return _page(request, conversation(assistant, session_from_cookie(request)))


@router.post("/chat", dependencies=[Depends(limit_chat_rate), Depends(same_origin)])
async def chat_post(request: Request, assistant: AssistantDep, settings: SettingsDep) -> Response:
    form = await form_fields(request)
    message = form.get("message", "")
    as_of = form.get("as_of", "").strip() or None
    fragment = request.query_params.get("fragment") == "1"
    session_id = session_from_cookie(request)
    try:
        answer = await run_chat_turn(assistant, settings, message, session_id, as_of)
    except UserInputError as err:
        said, technical = chinese_message(str(err))
        if fragment:
            return render("_chat_error.html", status_code=422, message=said, technical=technical)
        return _page(
            request,
            conversation(assistant, session_id),
            status_code=422,
            error=said,
            technical=technical,
            message=message,
            as_of=as_of or "",
        )
    data = answer.model_dump(mode="json")
    seq = _latest_turn_number(assistant, data["session_id"])
    if fragment:
        turn = {"message": message, "answer": data, "view": answer_view(data)}
        response: Response = render("_turn.html", turn=turn, seq=seq)
    else:
        response = RedirectResponse(f"/#turn-{seq}" if seq else "/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        data["session_id"],
        max_age=30 * 24 * 3600,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/chat/new", dependencies=[Depends(same_origin)])
async def chat_new() -> Response:
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
