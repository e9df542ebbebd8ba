"""`subsidy policies`: list the policy documents with their status on a date."""

from __future__ import annotations

import json
from typing import Any

import typer

from foundation.errors import UserInputError

CLI_OPTIONS = {"city": "--city", "as_of": "--as-of"}
STATUS_STYLE = {"in_force": "green", "expired": "red", "not_yet_in_force": "yellow"}


def _print_table(rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(show_lines=False)
    for name in (
        "id",
        "title",
        "region",
        "published",
        "effective_from",
        "effective_to",
        "status",
        "has_amounts",
    ):
        table.add_column(name, overflow="fold")
    for row in rows:
        status = row["status"]
        table.add_row(
            row["id"],
            row["title"],
            row["region"],
            row["published"] or "—",
            row["effective_from"] or "—",
            row["effective_to"] or "—",
            f"[{STATUS_STYLE[status]}]{status}[/]",
            "yes" if row["has_amounts"] else "",
        )
    Console().print(table)


def register(app: typer.Typer) -> None:
    @app.command("policies")
    def policies(
        city: str = typer.Option(
            None, "--city", help="only this city's documents (天津, tianjin, 广州开发区 …)"
        ),
        as_of: str = typer.Option(None, "--as-of", help="status on this date, YYYY-MM-DD (default: today)"),
        as_json: bool = typer.Option(False, "--json", help="print a JSON list of Policies"),
    ) -> None:
        """List the policy documents with their status."""
        from knowledge.policies import list_policies

        try:
            rows = list_policies(city=city, as_of=as_of)
        except UserInputError as err:  # name the option the user typed, not the library's field
            option = CLI_OPTIONS.get(err.field, err.field)
            raise UserInputError(
                option, str(err).split(": ", 1)[1].split(" (allowed: ")[0], err.allowed
            ) from None
        if as_json:
            typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        else:
            _print_table(rows)
