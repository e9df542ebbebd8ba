"""`subsidy policies`: List the policy documents with their status."""

from __future__ import annotations

import sys

import typer


def register(app: typer.Typer) -> None:
    @app.command("policies")
    def policies(
        city: str = typer.Option(None, "--city"),
        as_of: str = typer.Option(None, "--as-of"),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """List the policy documents with their status."""
        print("subsidy policies: not available yet", file=sys.stderr)
        raise typer.Exit(2)
