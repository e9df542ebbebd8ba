"""`subsidy estimate FILE`: deterministic award calculation (one request or a JSON array of them)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from subsidy.errors import UserInputError


def read_requests(file: str) -> Any:
    """Read FILE (or stdin for '-') as JSON; errors name the file."""
    if file == "-":
        text = sys.stdin.read()
    else:
        path = Path(file)
        if not path.is_file():
            raise UserInputError("FILE", f"no such file: {file}")
        text = path.read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise UserInputError(
            "FILE", f"not valid JSON ({err.msg} at line {err.lineno} column {err.colno})"
        ) from None


def estimate_many(payload: Any) -> Any:
    """A request gives an Estimate; an array gives the Estimates in the same order."""
    from calculators.engine import estimate

    if isinstance(payload, list):
        out = []
        for i, request in enumerate(payload):
            try:
                out.append(estimate(request))
            except UserInputError as err:
                raise UserInputError(f"[{i}].{err.field}", str(err).split(": ", 1)[1]) from None
        return out
    return estimate(payload)


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
