"""One chat turn, end to end, by the `Assistant`: the session's state is read, the dialogue
answers (understand → decide → compute → render) with the assistant's retriever, the optional LLM
agent may rewrite the text under the guardrail, and the turn is stored with the Answer as sent.

The Assistant is made of its parts, `Assistant(search, store, llm)`, or of settings
(`Assistant.from_settings`): the faces (API, web, OpenAI-compatible endpoint, MCP, CLI) build one
when they start and call `turn`; a test hands the app another (`create_app(…, assistant=…)`).
`chat_turn` is the library's shortcut: one turn by an Assistant of the environment's settings that
searches with `knowledge.search.search`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import knowledge.search
from assistant import agent, answers, llm
from assistant.dialogue import respond
from assistant.models import Answer, Reply, SessionState
from assistant.sessions import SessionStore, check_session_id, new_session_id
from foundation.dates import parse_iso_date
from foundation.errors import UserInputError
from foundation.settings import Settings
from knowledge.hit import Search
from knowledge.search import Retriever

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

log = logging.getLogger("assistant.dialogue")


@dataclass(frozen=True)
class Assistant:
    search: Search  # the policy texts' retrieval: a Retriever's `search`, or a stand-in
    store: SessionStore
    llm: BaseChatModel | None = None  # None: deterministic (no SUBSIDY_LLM_*)

    @classmethod
    def from_settings(cls, settings: Settings) -> Assistant:
        return cls(
            search=Retriever(settings.retrieval).search,
            store=SessionStore.from_settings(settings),
            llm=llm.chat_model(settings.llm),
        )

    def turn(self, message: str, session_id: str | None = None, as_of: str | None = None) -> Answer:
        """One chat turn, inside its conversation's turn lock (a concurrent turn on the same
        conversation, here or on another instance, waits until this one is stored)."""
        given = check_session_id(session_id)
        request_day = parse_iso_date(as_of) if as_of else None
        message = message if isinstance(message, str) else ""
        with self.store.turn_lock(given):
            return self._turn(message, given, request_day)

    def _turn(self, message: str, given: str | None, request_day: Any) -> Answer:
        try:
            sid, stored = self.store.continue_or_start(given)  # only server-issued, known ids continue
        except Exception:
            log.exception("could not read session %s; starting afresh", given)
            sid, stored = new_session_id(), None
        state = stored or SessionState()
        try:
            reply = respond(message, state, request_day, search=self.search, model=self.llm)
            if self.llm is not None:  # the LLM agent, only when SUBSIDY_LLM_* is set
                reply = agent.answer_turn(message, reply, self.llm, self.search, self._history(given))
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
            self.store.save_turn(sid, state, message, answer, reply.event or None)
        except Exception:
            log.exception("could not store session %s", sid)
        return answer

    def _history(self, session_id: str | None) -> list[dict[str, Any]]:
        if not session_id:
            return []
        try:
            return self.store.recent_turns(session_id, last=agent.HISTORY_TURNS)
        except Exception:  # the answer does not depend on it
            log.warning("could not read the history of session %s", session_id, exc_info=True)
            return []


def chat_turn(message: str, session_id: str | None = None, as_of: str | None = None) -> Answer:
    """One chat turn by an Assistant of the environment's settings (scripts, the eval runner)."""
    settings = Settings.from_env()
    assistant = Assistant(
        search=knowledge.search.search,
        store=SessionStore.from_settings(settings),
        llm=llm.chat_model(settings.llm),
    )
    return assistant.turn(message, session_id, as_of)
