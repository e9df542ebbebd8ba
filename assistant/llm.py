"""Optional LLM through LangChain: off unless configured; never the source of a number.

| variable | meaning |
| --- | --- |
| `SUBSIDY_LLM_BASE_URL` | an OpenAI-compatible endpoint (DeepSeek, DashScope, vLLM, Ollama …), e.g. `http://127.0.0.1:11434/v1` |
| `SUBSIDY_LLM_MODEL` | the model name at that endpoint |
| `SUBSIDY_LLM_API_KEY` | its key (optional for local servers) |
| `SUBSIDY_LLM_TIMEOUT` | seconds per call, default 20 |

Both the base URL and the model must be set, else the assistant stays fully deterministic.
The model may (1) extract facts the lexicon missed, into the same request fields, validated
against the type registry, and (2) phrase the answer from the template answer; the guardrail
(assistant/guardrail.py) checks that phrasing and any mismatch falls back to the template.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.messages import HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, Field, SecretStr, ValidationError

from assistant import guardrail
from assistant.answers import render
from assistant.extraction import accepts_value
from assistant.models import AchievementFacts, Extraction, Reply
from assistant.open_facts import missing_fields
from calculators.achievement_types import achievement_types
from foundation.errors import UserInputError
from foundation.settings import LLMSettings, Settings
from knowledge.regions import resolve_region

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

log = logging.getLogger("assistant.llm")
_forced: list[Any] = []  # a model injected by use_model() (tests, notebooks)


def settings() -> LLMSettings | None:
    """The LLM of the environment's settings (None: not configured)."""
    return Settings.from_env().llm


@cache
def _client(config: LLMSettings) -> BaseChatModel:

    return ChatOpenAI(
        base_url=config.base_url,
        model=config.model,
        api_key=SecretStr(config.api_key),
        timeout=config.timeout,
        max_retries=0,
        temperature=0,
    )


def chat_model(config: LLMSettings | None | Literal["env"] = "env") -> BaseChatModel | None:
    """The chat model of these settings (by default the environment's): a model put in place by
    `use_model` first, then the configured endpoint's client, else None (no LLM)."""
    if _forced:
        return _forced[-1]
    if config == "env":
        config = settings()
    return _client(config) if config else None


@contextmanager
def use_model(model: Any) -> Iterator[None]:
    """Use this chat model (e.g. a LangChain fake) instead of the configured one."""
    _forced.append(model)
    try:
        yield
    finally:
        _forced.pop()


# ---------------------------------------------------------------- fact extraction
class LLMAchievement(BaseModel):
    """One achievement in the calculator's vocabulary (null = not stated)."""

    type: str = Field(description="achievement type id, e.g. standard, tc_secretariat, standard_leader")
    level: str | None = None
    role: str | None = None
    action: str | None = None
    scope: str | None = None
    body: str | None = None
    grade: str | None = None
    kind: str | None = None
    award: str | None = None
    honor: str | None = None
    count: int | None = None


class LLMFacts(BaseModel):
    """Facts stated in the user's message."""

    city: str | None = Field(default=None, description="city or district name as written, null if not stated")
    achievements: list[LLMAchievement] = Field(default_factory=list)


def needs_help(ext: Extraction) -> bool:
    """Ask the model only when the lexicon left something open."""

    if ext.injection:
        return False
    if not ext.achievements and not ext.loose:
        return True
    return any(missing_fields(a) for a in ext.achievements)


def _system_prompt() -> str:

    types = [
        {
            "name": t.name,
            "label": t.label,
            "fields": [{"name": f.name, "values": [str(v) for v in f.values]} for f in t.fields],
        }
        for t in achievement_types().values()
        if t.core
    ]
    return render("llm_extract.j2", types=types)


def _json_object(text: str) -> dict[str, Any]:
    match = re.search(r"\{.*\}", text, re.S)
    if not match:
        raise ValueError("no JSON object in the model's reply")
    return json.loads(match.group(0))


def structured_facts(model: BaseChatModel, message: str) -> LLMFacts:

    prompt = [SystemMessage(content=_system_prompt()), HumanMessage(content=message[:2000])]
    try:
        runnable = model.with_structured_output(LLMFacts, method="function_calling")
    except (NotImplementedError, ValueError, AttributeError, TypeError):
        runnable = None
    if runnable is not None:
        result = runnable.invoke(prompt)
        return result if isinstance(result, LLMFacts) else LLMFacts.model_validate(result)
    # models without tool calling: ask for the JSON in the text
    prompt[0] = SystemMessage(
        content=_system_prompt() + "\n只输出一个 JSON 对象：" + json.dumps(LLMFacts.model_json_schema())
    )
    reply = model.invoke(prompt)
    return LLMFacts.model_validate(_json_object(str(reply.content)))


def validated(facts: LLMFacts) -> list[AchievementFacts]:
    """Keep only registry types and values; anything else the model said is dropped."""

    out = []
    for raw in facts.achievements[:10]:
        if raw.type not in achievement_types():
            continue
        fields = {}
        for name, value in raw.model_dump(exclude={"type", "count"}).items():
            if value is None:
                continue
            own = accepts_value(raw.type, name, value)
            if own:
                fields[own] = value
        count = raw.count if isinstance(raw.count, int) and 0 < raw.count <= 100 else None
        out.append(AchievementFacts(type=raw.type, fields=fields, count=count))
    return out


def fill_facts(model: BaseChatModel, message: str, ext: Extraction) -> tuple[Extraction, dict[str, Any]]:
    """Fill what the lexicon left open with the model's reading; never overrides the lexicon."""

    try:
        facts = structured_facts(model, message)
    except (ValidationError, ValueError) as err:
        log.warning("LLM extraction unusable: %s", err)
        return ext, {"llm_extract": f"unusable: {err}"[:200]}
    except Exception as err:  # network, timeout, server error: stay deterministic
        log.warning("LLM extraction failed: %s", err)
        return ext, {"llm_extract": f"failed: {type(err).__name__}"}
    merged = ext.model_copy(deep=True)
    if not merged.city and not merged.city_candidates and facts.city:
        with suppress(UserInputError):
            merged.city = resolve_region(facts.city.strip()).id
    found = validated(facts)
    if not merged.achievements and not merged.loose:
        merged.achievements = found
    else:
        pool = list(found)
        for achievement in merged.achievements:
            match = next((a for a in pool if a.type == achievement.type), None)
            if match is None:
                continue
            pool.remove(match)
            for name, value in match.fields.items():
                if name not in achievement.fields and name not in achievement.candidates:
                    achievement.fields[name] = value
    return merged, {"llm_extract": "used"}


# ---------------------------------------------------------------- phrasing
def rephrase(model: BaseChatModel, question: str, reply: Reply) -> Reply:
    """Let the model phrase the template answer; the guardrail decides whether it is shown."""

    prompt = render("llm_phrase.j2", question=question[:2000], draft=reply.answer)
    try:
        text = str(model.invoke([HumanMessage(content=prompt)]).content).strip()
    except Exception as err:
        log.warning("LLM phrasing failed: %s", err)
        reply.event["llm_phrase"] = f"failed: {type(err).__name__}"
        return reply
    problems = guardrail.check(text, reply.answer, reply.estimate, reply.citations)
    if problems:
        log.warning("guardrail rejected the LLM answer (%s); using the template answer", "; ".join(problems))
        reply.event["guardrail"] = problems
        return reply
    reply.answer = text
    reply.event["llm_phrase"] = "used"
    return reply
