"""`subsidy serve`: Web UI + HTTP API."""

from __future__ import annotations

import sys

import typer


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        host: str = typer.Option("127.0.0.1", "--host"), port: int = typer.Option(8000, "--port")
    ) -> None:
        """Web UI + HTTP API."""
        print("subsidy serve: not available yet", file=sys.stderr)
        raise typer.Exit(2)
