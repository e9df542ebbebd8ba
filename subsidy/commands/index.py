"""`subsidy index`: (Re)build the retrieval index, with a progress bar."""

from __future__ import annotations

import sys

import typer


def register(app: typer.Typer) -> None:
    @app.command("index")
    def index() -> None:
        """(Re)build the retrieval index, with a progress bar."""
        print("subsidy index: not available yet", file=sys.stderr)
        raise typer.Exit(2)
