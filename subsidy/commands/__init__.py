"""One module per command; `register_all` wires them into the Typer app."""

from __future__ import annotations

import importlib

import typer

COMMAND_MODULES = [
    "estimate",
    "rules",
    "ask",
    "chat",
    "search",
    "policies",
    "ingest",
    "index",
    "serve",
    "mcp",
    "evaluate",
]


def register_all(app: typer.Typer) -> None:
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"subsidy.commands.{name}")
        module.register(app)
