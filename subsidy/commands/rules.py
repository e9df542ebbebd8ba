"""`subsidy rules`: List the rules of the calculators; --coverage accounts for every amount in the money documents."""

from __future__ import annotations

import sys

import typer


def register(app: typer.Typer) -> None:
    @app.command("rules")
    def rules(coverage: bool = typer.Option(False, "--coverage")) -> None:
        """List the rules of the calculators; --coverage accounts for every amount in the money documents."""
        print("subsidy rules: not available yet", file=sys.stderr)
        raise typer.Exit(2)
