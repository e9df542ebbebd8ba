"""`subsidy mcp`: the MCP server on stdio, for desktop agents (Claude Desktop, Cursor, Cherry Studio …)."""

from __future__ import annotations

import typer

from subsidy.commands import settings_of


def register(app: typer.Typer) -> None:
    @app.command("mcp")
    def mcp_command(ctx: typer.Context) -> None:
        """MCP server on stdin/stdout: the tools estimate, compare, city_menu, search, policies, apply_info, ask.

        The same tools are served over Streamable HTTP at /mcp by `subsidy serve`.
        """
        from assistant import sessions
        from assistant.catalogue import catalogue
        from assistant.turn import Assistant
        from subsidy.mcp_server import run_stdio

        settings = settings_of(ctx)
        sessions.check_writable()  # `ask` keeps conversations: say so now, not on the first call
        run_stdio(catalogue(Assistant.from_settings(settings), settings))
