"""One chat turn, end to end: the session's state is read, the dialogue answers (understand →
decide → compute → render), the optional LLM agent may rewrite the text under the guardrail, and
the turn is stored with the Answer as sent. Every face (CLI, API, web, OpenAI-compatible endpoint,
MCP, the eval runner) calls `chat_turn`."""

from __future__ import annotations

import logging

from assistant import agent, answers, sessions
from assistant.dialogue import respond
from assistant.models import Answer, Reply, SessionState
from foundation.dates import parse_iso_date
from foundation.errors import UserInputError

log = logging.getLogger("assistant.dialogue")


def chat_turn(message: str, session_id: str | None = None, as_of: str | None = None) -> Answer:
    """One chat turn (CLI `subsidy ask`, POST /api/chat, the eval runner)."""
    given = sessions.check_session_id(session_id)
    request_day = parse_iso_date(as_of) if as_of else None
    message = message if isinstance(message, str) else ""
    try:
        sid, stored = sessions.continue_or_start(given)  # only server-issued, known ids continue
    except Exception:
        log.exception("could not read session %s; starting afresh", given)
        sid, stored = sessions.new_session_id(), None
    state = stored or SessionState()
    try:
        reply = respond(message, state, request_day)
        reply = agent.answer_turn(message, reply, given)  # the LLM agent, only when SUBSIDY_LLM_* is set
    except UserInputError as err:
        log.warning("turn rejected by the calculator: %s", err)
        reply = Reply(answer=answers.render_help("error", []), event={"error": str(err)})
    except Exception as err:  # the user gets a clear answer, the log gets the traceback
        log.exception("chat turn failed")
        reply = Reply(answer=answers.render_help("error", []), event={"error": type(err).__name__})
    state.turns += 1
    answer = Answer(
        answer=reply.answer,
        citations=reply.citations,
        estimate=reply.estimate,
        follow_up=reply.follow_up,
        session_id=sid,
        intents=reply.event.get("intents", []),
        verdict=reply.verdict,
        comparison=reply.comparison,
        alternatives=reply.alternatives,
        menu=reply.menu,
    )
    try:
        sessions.save_turn(
            sid, state, message, reply.answer, reply.follow_up, reply.event or None, sent=answer
        )
    except Exception:
        log.exception("could not store session %s", sid)
    return answer
