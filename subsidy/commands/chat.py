"""`subsidy chat`: Interactive multi-turn chat in the terminal."""

from __future__ import annotations

import sys

import typer


def register(app: typer.Typer) -> None:
    @app.command("chat")
    def chat() -> None:
        """Interactive multi-turn chat in the terminal."""
        print("subsidy chat: not available yet", file=sys.stderr)
        raise typer.Exit(2)
