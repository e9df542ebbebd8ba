"""`subsidy search`: Retrieval over the policy corpus."""

from __future__ import annotations

import sys

import typer


def register(app: typer.Typer) -> None:
    @app.command("search")
    def search(
        query: str = typer.Argument(...),
        k: int = typer.Option(5, "--k"),
        city: str = typer.Option(None, "--city"),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Retrieval over the policy corpus."""
        print("subsidy search: not available yet", file=sys.stderr)
        raise typer.Exit(2)
