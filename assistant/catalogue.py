"""Every tool outside agents may call (the MCP server lists these): the assistant's library tools
(assistant/tools.py, also given to its own LLM) and `ask`, one whole chat turn.

`ask` lives here, above the turn, so that the tools the turn's agent uses never import the turn.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from assistant import sessions
from assistant.models import Answer
from assistant.tools import Tool, tools
from assistant.tools import call_tool as library_call
from assistant.turn import chat_turn
from foundation.dates import parse_iso_date
from foundation.env import max_message_chars
from foundation.user_text import check_message


class AskArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(description="用户的问题 / the user's message, in Chinese")
    session_id: str | None = Field(
        default=None, description="继续该会话 / continue this conversation (session_id of an earlier answer)"
    )
    as_of: str | None = Field(
        default=None, description="申报日期 / the grant date, YYYY-MM-DD (default today)"
    )


def _ask(args: AskArgs) -> Answer:
    check_message(args.message, max_message_chars())
    sessions.check_session_id(args.session_id)
    if args.as_of:
        parse_iso_date(args.as_of, "as_of")
    return chat_turn(args.message, session_id=args.session_id, as_of=args.as_of)


ASK = Tool(
    name="ask",
    title="问答 / Ask the assistant",
    description=(
        "向标准化补助助手提一个问题（中文），得到与网页和 API 相同的答复：金额、依据、追问；"
        "用返回的 session_id 继续对话。\n"
        "One chat turn with the assistant: the same Answer as the web page and POST /api/chat "
        "(answer, citations, estimate, follow_up, session_id); pass session_id to continue."
    ),
    arguments=AskArgs,
    result=Answer,
    function=_ask,
)


def catalogue() -> dict[str, Tool]:
    """The library tools and `ask`, by name."""
    return {**tools(), ASK.name: ASK}


def call_tool(name: str, arguments: Mapping[str, Any] | None) -> BaseModel:
    """Run any tool of the catalogue by name (an unknown name: a UserInputError naming `name`)."""
    return library_call(name, arguments, catalogue())
