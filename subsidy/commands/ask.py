"""`subsidy ask`: One chat turn, answered from the knowledge base and the calculators."""

from __future__ import annotations

import sys

import typer


def register(app: typer.Typer) -> None:
    @app.command("ask")
    def ask(
        question: str = typer.Argument(...),
        as_of: str = typer.Option(None, "--as-of"),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """One chat turn, answered from the knowledge base and the calculators."""
        print("subsidy ask: not available yet", file=sys.stderr)
        raise typer.Exit(2)
