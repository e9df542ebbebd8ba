"""`subsidy estimate FILE`: deterministic award calculation (one request or a JSON array of them)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from foundation.errors import UserInputError


def _decode(data: bytes, where: str) -> str:
    """UTF-8, with or without a byte-order mark (as Windows editors save it)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise UserInputError("FILE", f"{where} is not UTF-8 text (bad byte at offset {err.start})") from None


def read_requests(file: str) -> Any:
    """Read FILE (or stdin for '-') as JSON; errors name the file."""
    if file == "-":
        buffer = getattr(sys.stdin, "buffer", None)
        if buffer is not None:
            text = _decode(buffer.read(), "stdin")
        else:  # a text stream without bytes underneath (tests)
            text = sys.stdin.read().removeprefix("\ufeff")
    else:
        path = Path(file)
        if path.is_dir():
            raise UserInputError("FILE", f"{file} is a directory, not a JSON file")
        if not path.exists():
            raise UserInputError("FILE", f"no such file: {file}")
        try:
            data = path.read_bytes()
        except OSError as err:
            raise UserInputError("FILE", f"cannot read {file} ({err.strerror or err})") from None
        text = _decode(data, file)
    from subsidy.json_input import parse_json

    return parse_json(text, "FILE")  # as the API reads a body: no key twice, no deep nesting


def estimate_many(payload: Any) -> Any:
    """A request gives an Estimate; an array gives the Estimates in the same order (errors name
    `[i].field`); both checked as POST /api/estimate checks them, limits included."""
    from calculators.engine import estimate
    from calculators.request import parse_body

    parsed = parse_body(payload)
    if isinstance(parsed, list):
        return [estimate(request) for request in parsed]
    return estimate(parsed)


def _print_tables(estimates: list[Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for est in estimates:
        table = Table(title=f"{est.city_name} · {est.as_of}", show_lines=False)
        for col in ("#", "achievement", "amount (元)", "basis", "article", "status"):
            table.add_column(col)
        for item in est.items:
            table.add_row(
                str(item.input_index),
                item.label,
                f"{item.amount_yuan:,}" if item.amount_yuan is not None else "not covered",
                item.basis or "",
                item.citation.article if item.citation else "",
                item.policy_status or "",
            )
        console.print(table)
        console.print(f"total: {est.total_yuan:,} 元 ({est.total_basis})")
        for cap in est.caps_applied:
            console.print(f"cap {cap.citation.article}: -{cap.reduced_by_yuan:,} 元 — {cap.description}")
        for warning in est.warnings:
            console.print(f"[yellow]warning:[/yellow] {warning}")
        _print_uncovered_notes(console, est)


MAX_NOTES_SHOWN = 6  # per group of uncovered items; --json has them all


def _print_uncovered_notes(console: Any, est: Any) -> None:
    """What the documents say about the items they pay nothing for: each distinct list of notes
    once, headed by the items it belongs to (items of one region often share their conditions)."""
    from rich.table import Table
    from rich.text import Text

    groups: dict[tuple[str, ...], list[int]] = {}
    for item in est.items:
        if not item.covered and item.notes:
            groups.setdefault(tuple(dict.fromkeys(item.notes)), []).append(item.input_index)
    for notes, indexes in groups.items():
        console.print(Text(f"not covered #{', #'.join(map(str, indexes))}:", style="bold"))
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(overflow="fold")
        for note in notes[:MAX_NOTES_SHOWN]:
            grid.add_row("  ·", Text(note))
        if len(notes) > MAX_NOTES_SHOWN:
            grid.add_row("  …", Text(f"{len(notes) - MAX_NOTES_SHOWN} more (see --json)"))
        console.print(grid)


def register(app: typer.Typer) -> None:
    @app.command("estimate")
    def estimate_command(
        file: str = typer.Argument(
            ..., help="request JSON file, or - for stdin (object or array of objects)"
        ),
        as_json: bool = typer.Option(False, "--json", help="print the Estimate(s) as JSON"),
    ) -> None:
        """Deterministic award calculation for one request or a JSON array of requests."""
        result = estimate_many(read_requests(file))
        if as_json:
            if isinstance(result, list):
                data = [r.model_dump(mode="json") for r in result]
            else:
                data = result.model_dump(mode="json")
            sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=1) + "\n")
        else:
            _print_tables(result if isinstance(result, list) else [result])
