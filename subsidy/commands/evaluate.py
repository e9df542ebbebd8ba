"""`subsidy eval`: Run the evaluation suite and print a report."""

from __future__ import annotations

import sys

import typer


def register(app: typer.Typer) -> None:
    @app.command("eval")
    def evaluate(
        suite: str = typer.Option("all", "--suite"), as_json: bool = typer.Option(False, "--json")
    ) -> None:
        """Run the evaluation suite and print a report."""
        print("subsidy eval: not available yet", file=sys.stderr)
        raise typer.Exit(2)
