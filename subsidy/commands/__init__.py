"""One module per command; `register_all` wires them into the Typer app."""

from __future__ import annotations

import importlib

import typer

from foundation.settings import Settings

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


def read_settings(ctx: typer.Context) -> None:
    """The root callback: every setting read and checked once, before any command runs (a bad
    SUBSIDY_* variable is one line, exit 2); the commands find them in `ctx.obj`."""
    ctx.obj = Settings.from_env()


def settings_of(ctx: typer.Context) -> Settings:
    """The settings the root callback read (a command run on its own, e.g. in a test: read now)."""
    found = ctx.find_object(Settings)
    return found if found is not None else Settings.from_env()
