"""`subsidy ask`: One chat turn, answered from the knowledge base and the calculators."""

from __future__ import annotations

import json
import sys

import typer

from subsidy.commands import settings_of


def print_answer(answer: object, console: object | None = None) -> None:
    """The human form of an Answer: the text, then the question back, then the session id."""
    from rich.console import Console
    from rich.text import Text

    out = console if console is not None else Console(highlight=False, soft_wrap=True)
    out.print(Text(answer.answer))  # type: ignore[attr-defined]
    if answer.follow_up:  # type: ignore[attr-defined]
        out.print()  # type: ignore[attr-defined]
        out.print(Text.assemble(("请补充：", "bold"), answer.follow_up))  # type: ignore[attr-defined]


def check_question(text: str, limit: int, field: str = "QUESTION") -> str:
    """The same check as POST /api/chat (empty, or longer than SUBSIDY_MAX_MESSAGE_CHARS)."""
    from foundation.user_text import check_message

    return check_message(text, limit, field=field)


def register(app: typer.Typer) -> None:
    @app.command("ask")
    def ask(
        ctx: typer.Context,
        question: str = typer.Argument(..., help="the question, in Chinese"),
        as_of: str = typer.Option(None, "--as-of", help="date of the award (YYYY-MM-DD); default today"),
        as_json: bool = typer.Option(False, "--json", help="print the Answer as JSON (CONTRACT.md)"),
        session: str = typer.Option(
            None, "--session", help="continue this conversation (the session_id of an earlier answer)"
        ),
    ) -> None:
        """One chat turn, answered from the knowledge base and the calculators."""
        from assistant import sessions
        from foundation.dates import parse_iso_date

        settings = settings_of(ctx)
        check_question(question, settings.max_message_chars)
        if as_of:
            parse_iso_date(as_of)
        sessions.check_session_id(session)
        sessions.check_writable()  # before answering: an answer whose session is lost is no answer

        from assistant.turn import Assistant

        # a server answering the same conversation waits for this turn (the Assistant's turn lock)
        answer = Assistant.from_settings(settings).turn(question, session_id=session, as_of=as_of)
        if as_json:
            sys.stdout.write(json.dumps(answer.model_dump(mode="json"), ensure_ascii=False, indent=1) + "\n")
            return
        print_answer(answer)
        print(f"\n(session: {answer.session_id})", file=sys.stderr)
