"""The LLM front end as a tool-using agent (only when SUBSIDY_LLM_* is set).

One turn: the deterministic reply is made first (facts → Estimate → template answer); then the
model sees the conversation so far, the user's message and that reply, and may call the tools
of `assistant.tools` (LangChain `bind_tools`) before it writes its answer. Its final text is
shown only if the guardrail (assistant/guardrail.py) finds every number, amount, article and
document in the deterministic reply or in a tool result; on a mismatch, a tool error, an unknown
tool, too many tool calls or a timeout the deterministic reply is used. A model without tool
calling only rephrases the amount answers (`llm.rephrase`), as before.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from pydantic import BaseModel

from assistant import guardrail, llm
from assistant.answers import render
from assistant.models import Reply
from assistant.tools import ApplyInfoResult, PoliciesResult, SearchResult, Tool, agent_tools
from calculators.compare import Comparison
from calculators.menu import CityMenu
from calculators.models import Citation, Estimate, distinct_citations
from foundation.errors import UserInputError
from knowledge.hit import Search

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import BaseMessage

log = logging.getLogger("assistant.agent")

MAX_TOOL_CALLS = 6  # per turn; a model that wants more is not converging
MAX_MODEL_CALLS = 4  # per turn: tool rounds plus the final answer
HISTORY_TURNS = 6  # earlier turns of the session shown to the model
DEFAULT_DEADLINE = 60.0  # seconds for the whole loop when SUBSIDY_LLM_TIMEOUT is unset
TOOL_TIMEOUT = 30.0  # seconds for one tool call (the first search may load the index)

_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="subsidy-agent")
T = TypeVar("T")


class AgentFailure(Exception):
    """Why the agent's answer is not used (the deterministic reply is)."""


@dataclass
class Evidence:
    """What the tools returned this turn, as the guardrail reads it."""

    estimates: list[Estimate] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)

    def add(self, result: BaseModel) -> None:
        if isinstance(result, Estimate):
            self.estimates.append(result)
            for item in result.items:
                self.citations += [c for c in [item.citation, *item.citations] if c is not None]
                if item.apply is not None:
                    self.citations += item.apply.citations
            self.citations += [cap.citation for cap in result.caps_applied]
        elif isinstance(result, Comparison):
            for row in result.rows:
                self.add(row.estimate)
        elif isinstance(result, CityMenu):
            self.citations += [g.citation for g in result.groups] + result.conditions
            self.texts += [f"{line.amount_yuan}元" for g in result.groups for line in g.lines]
            self.texts += [
                f"《{d.title}》 {d.effective_from or ''} {d.effective_to or ''}" for d in result.documents
            ]
        elif isinstance(result, SearchResult):
            self.citations += [
                Citation(document=h.document, article=h.article, quote=h.text, document_id=h.document_id)
                for h in result.hits
            ]
        elif isinstance(result, PoliciesResult):
            self.texts += [
                f"《{p.title}》 {p.published or ''} {p.effective_from or ''} {p.effective_to or ''}"
                for p in result.policies
            ]
        elif isinstance(result, ApplyInfoResult):
            self.citations += result.conditions
            for route in result.routes:
                self.citations += route.citations
                self.texts += [route.window or "", route.deadline or "", route.office or "", *route.materials]


def deadline_seconds() -> float:
    config = llm.settings()
    return 3 * config.timeout if config else DEFAULT_DEADLINE


def _within(deadline: float, what: str, function: Callable[[], T], limit: float | None = None) -> T:
    remaining = deadline - time.monotonic()
    if limit is not None:
        remaining = min(remaining, limit)
    if remaining <= 0:
        raise AgentFailure(f"time is up before {what}")
    future = _pool.submit(function)
    try:
        return future.result(timeout=remaining)
    except FutureTimeout:
        future.cancel()
        raise AgentFailure(f"{what} timed out") from None


def _messages(message: str, draft: str, history: Sequence[dict[str, Any]]) -> list[BaseMessage]:

    out: list[BaseMessage] = [SystemMessage(content=render("agent_system.j2"))]
    for turn in history[-HISTORY_TURNS:]:
        out.append(HumanMessage(content=str(turn.get("message", ""))[:2000]))
        answer = turn.get("answer")
        text = answer.get("answer") if isinstance(answer, dict) else answer
        out.append(AIMessage(content=str(text or "")))
    out.append(HumanMessage(content=render("agent_turn.j2", question=message[:2000], draft=draft)))
    return out


def run_tools_loop(
    model: BaseChatModel, messages: list[BaseMessage], tools: Sequence[Tool], deadline: float
) -> tuple[str, Evidence]:
    """The tool-calling loop: model → tool calls → tool results → … → the model's final text."""

    by_name = {t.name: t for t in tools}
    bound = model.bind_tools([t.openai_schema() for t in tools])
    evidence = Evidence()
    for _ in range(MAX_MODEL_CALLS):
        reply = _within(deadline, "the model", lambda: bound.invoke(messages))
        calls = list(getattr(reply, "tool_calls", None) or [])
        if not calls:
            return str(reply.content).strip(), evidence
        messages.append(reply)
        for call in calls:
            name = str(call.get("name"))
            if len(evidence.calls) >= MAX_TOOL_CALLS:
                raise AgentFailure(f"more than {MAX_TOOL_CALLS} tool calls")
            tool = by_name.get(name)
            if tool is None:
                raise AgentFailure(f"the model asked for an unknown tool {name!r}")
            evidence.calls.append(name)
            run = functools.partial(tool.call, call.get("args") or {})
            try:
                result = _within(deadline, f"tool {name}", run, TOOL_TIMEOUT)
            except UserInputError as err:
                raise AgentFailure(f"tool {name}: {err}") from None
            evidence.add(result)
            content = result.model_dump_json(exclude_none=True)
            messages.append(ToolMessage(content=content, tool_call_id=str(call.get("id") or name), name=name))
    raise AgentFailure(f"no answer after {MAX_MODEL_CALLS} model calls")


def supports_tools(model: BaseChatModel) -> bool:
    """Whether the model does tool calling (LangChain's base class refuses `bind_tools`)."""

    return type(model).bind_tools is not BaseChatModel.bind_tools


def answer_turn(
    message: str,
    reply: Reply,
    model: BaseChatModel,
    search: Search,
    history: Sequence[dict[str, Any]] = (),
) -> Reply:
    """The agent's answer to this turn if it passes the guardrail, else `reply` (the deterministic
    one). `search`: the assistant's retrieval, for the tools; `history`: the conversation's recent
    turns (oldest first)."""
    if not message.strip():
        return reply
    if not supports_tools(model):
        return llm.rephrase(model, message, reply) if reply.estimate is not None else reply
    started = time.monotonic()
    try:
        text, evidence = run_tools_loop(
            model,
            _messages(message, reply.answer, history),
            agent_tools(search),
            started + deadline_seconds(),
        )
    except AgentFailure as err:
        log.warning("agent answer not used (%s); using the deterministic answer", err)
        reply.event["agent"] = f"fallback: {err}"[:300]
        return reply
    except Exception as err:  # network, server error, a model that breaks: stay deterministic
        log.warning("agent failed: %s", err)
        reply.event["agent"] = f"failed: {type(err).__name__}"
        return reply
    citations = distinct_citations(reply.citations + evidence.citations)
    draft = "\n".join([reply.answer, *evidence.texts])
    # the Answer keeps the calculator's Estimate: each of its amounts must be in the text
    problems = guardrail.check(text, draft, reply.estimate, citations, also=evidence.estimates)
    if problems:
        log.warning(
            "guardrail rejected the agent's answer (%s); using the deterministic answer", "; ".join(problems)
        )
        reply.event["guardrail"] = problems
        reply.event["agent_tools"] = evidence.calls
        return reply
    reply.answer = text
    reply.citations = citations
    reply.event["agent"] = "used"
    reply.event["agent_tools"] = evidence.calls
    log.info("agent answer used after %d tool call(s): %s", len(evidence.calls), json.dumps(evidence.calls))
    return reply
