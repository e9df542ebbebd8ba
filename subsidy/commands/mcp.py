"""`subsidy mcp`: the MCP server on stdio, for desktop agents (Claude Desktop, Cursor, Cherry Studio …)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("mcp")
    def mcp_command() -> None:
        """MCP server on stdin/stdout: the tools estimate, compare, city_menu, search, policies, apply_info, ask.

        The same tools are served over Streamable HTTP at /mcp by `subsidy serve`.
        """
        from assistant import sessions
        from subsidy.mcp_server import run_stdio

        sessions.check_writable()  # `ask` keeps conversations: say so now, not on the first call
        run_stdio()
