"""`subsidy policies`: list the policy documents with their status on a date."""

from __future__ import annotations

import json
from typing import Any

import typer

STATUS_STYLE = {"in_force": "green", "expired": "red", "not_yet_in_force": "yellow"}


def list_policies(city: str | None, as_of: str | None) -> list[dict[str, Any]]:
    """The contract's *Policy* list: every document, or those of one city (no national ones)."""
    from knowledge.corpus import documents_for_region, load_documents, policy_record
    from knowledge.regions import resolve_region
    from subsidy.dates import parse_iso_date

    day = parse_iso_date(as_of, "--as-of")
    documents = load_documents() if city is None else documents_for_region(resolve_region(city, "--city").id)
    return [policy_record(doc, day) for doc in documents]


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
        rows = list_policies(city, as_of)
        if as_json:
            typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        else:
            _print_table(rows)
