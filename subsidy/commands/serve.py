"""`subsidy serve`: the web UI and HTTP API."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve_command(
        host: str = typer.Option("127.0.0.1", "--host", help="interface to listen on"),
        port: int = typer.Option(8000, "--port", help="TCP port"),
        workers: int = typer.Option(
            1, "--workers", min=1, max=16, help="worker processes (sessions are shared)"
        ),
    ) -> None:
        """Web UI + HTTP API (OpenAPI at /docs)."""
        from subsidy.service import serve

        print(
            f"subsidy: serving on http://{host}:{port}/  (API docs at http://{host}:{port}/docs)", flush=True
        )
        serve(host, port, workers)
