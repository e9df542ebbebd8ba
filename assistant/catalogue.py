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
from assistant.turn import Assistant
from foundation.dates import parse_iso_date
from foundation.settings import Settings
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


def ask_tool(assistant: Assistant, max_message_chars: int) -> Tool:
    """`ask`: one turn of this assistant, its message checked as POST /api/chat checks it."""

    def ask(args: AskArgs) -> Answer:
        check_message(args.message, max_message_chars)
        sessions.check_session_id(args.session_id)
        if args.as_of:
            parse_iso_date(args.as_of, "as_of")
        return assistant.turn(args.message, session_id=args.session_id, as_of=args.as_of)

    return Tool(
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
        function=ask,
    )


def catalogue(assistant: Assistant | None = None, settings: Settings | None = None) -> dict[str, Tool]:
    """The library tools (searching with the assistant's retriever) and `ask`, by name. Without an
    assistant: one of the settings, by default the environment's."""
    if assistant is None:
        settings = settings or Settings.from_env()
        assistant = Assistant.from_settings(settings)
    limit = (settings or Settings.from_env()).max_message_chars
    return {**tools(assistant.search), "ask": ask_tool(assistant, limit)}


def call_tool(
    name: str, arguments: Mapping[str, Any] | None, registry: Mapping[str, Tool] | None = None
) -> BaseModel:
    """Run any tool of the catalogue (default: the environment's) by name (an unknown name: a
    UserInputError naming `name`)."""
    return library_call(name, arguments, registry if registry is not None else catalogue())
