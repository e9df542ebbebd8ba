"""`subsidy chat`: Interactive multi-turn chat in the terminal."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

import typer

from foundation.errors import UserInputError
from subsidy.commands import settings_of

HELP = "/facts 查看已记录的信息 · /reset 重新开始 · /quit 退出"


def _lines(interactive: bool, console: object) -> Iterator[str]:
    """User lines: prompted (with readline history) on a terminal, plain lines when piped."""
    if not interactive:
        for line in sys.stdin:
            yield line.rstrip("\n")
        return
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (arrow-key history for input())
    while True:
        try:
            yield console.input("[bold green]你：[/bold green]")  # type: ignore[attr-defined]
        except EOFError:
            return


def _facts(session_id: str) -> str:
    from assistant import sessions
    from assistant.answers import describe

    state = sessions.load_state(session_id)
    if state is None or not (state.city or state.achievements or state.city_candidates):
        return "还没有记录任何信息。"
    lines = []
    if state.city:
        from knowledge.regions import resolve_region

        lines.append(f"地区：{resolve_region(state.city).name}")
    elif state.city_candidates:
        lines.append(f"地区：待确认（{', '.join(state.city_candidates)}）")
    for i, a in enumerate(state.achievements, 1):
        count = f" × {a.count}" if a.count and a.count > 1 else ""
        lines.append(f"成果 {i}：{describe(a)}{count}  {a.fields}")
    if state.as_of:
        lines.append(f"申报日期：{state.as_of}")
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    @app.command("chat")
    def chat(
        ctx: typer.Context,
        as_of: str = typer.Option(None, "--as-of", help="date of the award (YYYY-MM-DD); default today"),
        session: str = typer.Option(None, "--session", help="continue an earlier conversation"),
    ) -> None:
        """Interactive multi-turn chat in the terminal."""
        from rich.console import Console

        from assistant import sessions
        from assistant.turn import Assistant
        from foundation.dates import parse_iso_date
        from subsidy.commands.ask import check_question, print_answer

        if as_of:
            parse_iso_date(as_of)  # a bad date is a one-line error before the conversation starts
        session_id = sessions.check_session_id(session) or sessions.new_session_id()
        sessions.check_writable()  # a store that cannot keep the conversation: one line, before it starts
        settings = settings_of(ctx)
        assistant = Assistant.from_settings(settings)
        interactive = sys.stdin.isatty()
        rejected = 0
        console = Console(highlight=False, soft_wrap=True)
        if interactive:
            console.print(f"[bold]标准化资助助手[/bold]  {HELP}")
        for line in _lines(interactive, console):
            text = line.strip()
            if text in ("/quit", "/exit", "/q"):
                break
            if text == "/reset":
                assistant.store.reset(session_id)
                session_id = sessions.new_session_id()
                console.print("已重新开始。")
                continue
            if text == "/facts":
                console.print(_facts(session_id), markup=False)
                continue
            if text in ("/help", "/?"):
                console.print(HELP)
                continue
            if not text:
                continue
            try:
                check_question(line, settings.max_message_chars, field="message")
            except UserInputError as err:  # this turn only: the conversation goes on
                print(f"error: {err}", file=sys.stderr)
                rejected += 1
                continue
            answer = assistant.turn(line, session_id=session_id, as_of=as_of)
            session_id = answer.session_id
            if not interactive:
                console.print(f"你：{line}", markup=False)
            print_answer(answer, console)
            console.print()
        if rejected and not interactive:
            raise typer.Exit(2)  # a script's input had a message that was not answered
