"""`subsidy estimate`: Deterministic award calculation for one request or a JSON array of requests (FILE, or - for stdin)."""

from __future__ import annotations

import sys

import typer


def register(app: typer.Typer) -> None:
    @app.command("estimate")
    def estimate(file: str = typer.Argument(..., help="request JSON file, or - for stdin"), as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
        """Deterministic award calculation for one request or a JSON array of requests (FILE, or - for stdin)."""
        print("subsidy estimate: not available yet", file=sys.stderr)
        raise typer.Exit(2)
