"""The OpenAI-compatible door: `GET /v1/models` and `POST /v1/chat/completions`.

Chat front ends (Open WebUI, LobeChat, Cherry Studio, Dify's "OpenAI-API-compatible" provider,
WeCom bots) speak this protocol. The answer is the assistant's own Answer, from the same
`chat_turn` as /api/chat; nothing here answers on its own.

- The `messages` history is the conversation: its user turns are replayed, in order, into a fresh
  session, so facts said earlier ("在天津") count; the answer is the last user turn's. System and
  assistant messages are not read (the assistant's own answers follow from the user turns).
  Extension: send `session_id` (from an earlier response) to continue that stored conversation
  with the last user message only; `as_of` (YYYY-MM-DD) sets the grant date.
- `stream: true`: server-sent events in the OpenAI chunk format, ending with `data: [DONE]`. The
  whole answer is ready (and checked) before the first chunk: an LLM's text is shown only after
  the guardrail has read all of it.
- The text carries the citations (依据：《文件》第N条 …); the response adds them as `citations` (and the
  whole Answer as `subsidy`, with the Estimate) — in the last chunk when streaming.
- `usage` counts characters, not tokens (there is no tokenizer here).
- Same API key (`X-API-Key`, or `Authorization: Bearer` as the OpenAI SDK sends it), rate limit,
  message limit and error shape (`{"detail", "field", "allowed"}`) as /api/*.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from starlette.concurrency import run_in_threadpool

from assistant.models import Answer
from assistant.turn import Assistant
from calculators.request import IsoDate
from foundation.dates import parse_iso_date
from foundation.errors import UserInputError
from foundation.limits import MAX_MESSAGE_CHARS
from foundation.user_text import check_message
from subsidy.api_routes import (
    BODY_ERRORS,
    NOT_BLANK,
    SESSION_ID_PATTERN,
    UNAVAILABLE,
    ErrorBody,
    JSONBodyRoute,
    json_response,
    require_store,
    stored_turn,
)
from subsidy.dependencies import AssistantDep, SettingsDep
from subsidy.http_errors import ServiceError
from subsidy.security import check_api_key, limit_chat_rate, presented_key, settings_of

MODEL_ID = "subsidy-assistant"
OWNER = "subsidy-assistant"
MAX_USER_TURNS = 30  # user messages replayed from one request's history
STARTED = int(time.time())


def require_key(
    request: Request,
    x_api_key: str | None = Header(None, include_in_schema=False),
    authorization: str | None = Header(None, include_in_schema=False),
) -> None:
    check_api_key(settings_of(request), presented_key(x_api_key, authorization))


router = APIRouter(
    prefix="/v1", dependencies=[Depends(require_key)], route_class=JSONBodyRoute, tags=["openai"]
)


# A user turn's text, as POST /api/chat takes a message (the assistant reads this much of it).
UserText = Annotated[
    str, Field(json_schema_extra={"minLength": 1, "maxLength": MAX_MESSAGE_CHARS, "pattern": NOT_BLANK})
]


class TextPart(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: Literal["text"]
    text: UserText


class OtherPart(BaseModel):
    """Images, audio and files are accepted and not read."""

    model_config = ConfigDict(extra="allow")

    type: Literal["image_url", "input_audio", "file"]


class UserMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["user"]
    content: UserText | list[TextPart | OtherPart] = Field(
        description="the question: text, or parts of which the text ones are read"
    )


class OtherMessage(BaseModel):
    """System, developer, assistant and tool messages: accepted, not read (the assistant's answers
    follow from the user turns)."""

    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "assistant", "tool", "function"]
    content: str | list[dict[str, Any]] | None = None


ChatMessage = Annotated[UserMessage | OtherMessage, Field(discriminator="role")]
HAS_A_USER_TURN: dict[str, Any] = {
    "contains": {
        "type": "object",
        "properties": {"role": {"const": "user"}, "content": {"type": "string"}},
        "required": ["role", "content"],
    }
}


class ChatCompletionRequest(BaseModel):
    """The OpenAI chat-completions request; sampling options (temperature, max_tokens …) are accepted
    and ignored: the answer is the assistant's, computed, not sampled."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(MODEL_ID, description=f"`{MODEL_ID}` (GET /v1/models)")
    messages: list[ChatMessage] = Field(
        ...,
        min_length=1,
        description="the conversation, oldest first; at least one user message with text",
        json_schema_extra=HAS_A_USER_TURN,
    )
    stream: StrictBool = False
    stream_options: dict[str, Any] | None = None
    session_id: str | None = Field(
        None, pattern=SESSION_ID_PATTERN, description="extension: continue this stored conversation"
    )
    as_of: IsoDate | None = Field(None, description="extension: the grant date, YYYY-MM-DD (default today)")


def text_of(content: str | list[TextPart | OtherPart]) -> str:
    """A message's text: the string, or its `text` parts joined (images and audio are not read)."""
    if isinstance(content, str):
        return content
    return "\n".join(p.text for p in content if isinstance(p, TextPart))


def user_turns(body: ChatCompletionRequest, limit: int) -> list[str]:
    turns = []
    for i, message in enumerate(body.messages):
        if isinstance(message, UserMessage):
            turns.append(check_message(text_of(message.content), limit, field=f"messages[{i}].content"))
    if not turns:
        raise UserInputError("messages", "must contain at least one message with role 'user'")
    return turns[-MAX_USER_TURNS:]


def converse(assistant: Assistant, turns: list[str], session_id: str | None, as_of: str | None) -> Answer:
    """The last turn's Answer, after the earlier ones (or the stored session) gave their facts."""
    if session_id is not None:
        return stored_turn(assistant, turns[-1], session_id, as_of)
    answer = None
    for message in turns:
        answer = stored_turn(assistant, message, answer.session_id if answer else None, as_of)
    assert answer is not None
    return answer


def content_of(answer: Answer) -> str:
    """What a chat window shows: the answer (its question back and sources included)."""
    return answer.answer


def _usage(turns: list[str], text: str) -> dict[str, int]:
    prompt = sum(len(t) for t in turns)
    return {"prompt_tokens": prompt, "completion_tokens": len(text), "total_tokens": prompt + len(text)}


def _extras(answer: Answer) -> dict[str, Any]:
    return {
        "citations": [c.model_dump(mode="json") for c in answer.citations],
        "subsidy": answer.model_dump(mode="json"),
    }


def completion(answer: Answer, turns: list[str], model: str) -> dict[str, Any]:
    text = content_of(answer)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": _usage(turns, text),
        **_extras(answer),
    }


def pieces(text: str) -> Iterator[str]:
    """The text in line-sized pieces (a chat window shows it growing, as from a model)."""
    line = ""
    for ch in text:
        line += ch
        if ch == "\n" or len(line) >= 40:
            yield line
            line = ""
    if line:
        yield line


def chunks(answer: Answer, turns: list[str], model: str, include_usage: bool) -> Iterator[str]:
    """Server-sent events in the OpenAI chunk format."""
    base = {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
    }
    base["model"] = model

    def event(choices: list[dict[str, Any]], **more: Any) -> str:
        return "data: " + json.dumps({**base, "choices": choices, **more}, ensure_ascii=False) + "\n\n"

    text = content_of(answer)
    yield event([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}])
    for piece in pieces(text):
        yield event([{"index": 0, "delta": {"content": piece}, "finish_reason": None}])
    yield event([{"index": 0, "delta": {}, "finish_reason": "stop"}], **_extras(answer))
    if include_usage:
        yield event([], usage=_usage(turns, text))
    yield "data: [DONE]\n\n"


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


@router.get("/models", summary="The one model: the assistant", response_model=ModelList)
async def list_models() -> ModelList:
    return ModelList(data=[ModelCard(id=MODEL_ID, created=STARTED, owned_by=OWNER)])


@router.post(
    "/chat/completions",
    summary="OpenAI chat completions: the messages' user turns are the conversation",
    response_model=None,
    responses={
        200: {
            "description": "a chat.completion, or server-sent chat.completion.chunk events with `stream`",
            "content": {
                "application/json": {"schema": {"type": "object"}},
                # one event: `data` is a chat.completion.chunk as JSON, the last one `[DONE]`
                "text/event-stream": {
                    "schema": {
                        "type": "object",
                        "required": ["data"],
                        "properties": {"data": {"type": "string"}, "event": {"type": "string"}},
                    }
                },
            },
        },
        404: {"model": ErrorBody, "description": f"unknown model (only `{MODEL_ID}`)"},
        429: {"model": ErrorBody, "description": "rate limit"},
        503: UNAVAILABLE,
        **BODY_ERRORS,
    },
    dependencies=[Depends(limit_chat_rate)],
)
async def chat_completions(
    body: ChatCompletionRequest, assistant: AssistantDep, settings: SettingsDep
) -> Response:
    if body.model != MODEL_ID:
        raise ServiceError(404, f"model: {body.model!r} does not exist", field="model", allowed=[MODEL_ID])
    turns = user_turns(body, settings.max_message_chars)
    if body.as_of is not None:
        parse_iso_date(body.as_of, "as_of", empty_is_today=False)  # the schema's YYYY-MM-DD, "" included
    await require_store()
    answer = await run_in_threadpool(converse, assistant, turns, body.session_id, body.as_of or None)
    if body.stream:
        include_usage = bool((body.stream_options or {}).get("include_usage"))
        return StreamingResponse(
            chunks(answer, turns, body.model, include_usage),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    return json_response(json.dumps(completion(answer, turns, body.model), ensure_ascii=False))
