"""`subsidy serve`: the web UI and HTTP API."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve_command(
        host: str = typer.Option("127.0.0.1", "--host", help="interface to listen on"),
        port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port"),
        workers: int = typer.Option(
            1, "--workers", min=1, max=16, help="worker processes (they share the persisted sessions)"
        ),
    ) -> None:
        """Web UI + HTTP API (OpenAPI at /docs). Protections are set by SUBSIDY_* variables (see subsidy/security.py)."""
        from subsidy.security import load_service_settings
        from subsidy.service import serve

        settings = load_service_settings()  # a bad SUBSIDY_* variable: one line, before anything starts
        notes = []
        if settings.api_key:
            notes.append("API key required on /api/*")
        if settings.cors_origins:
            notes.append(f"CORS for {', '.join(settings.cors_origins)}")
        extra = f"  [{'; '.join(notes)}]" if notes else ""
        print(
            f"subsidy: serving on http://{host}:{port}/  (API docs at http://{host}:{port}/docs, "
            f"{workers} worker{'s' if workers > 1 else ''}){extra}",
            flush=True,
        )
        serve(host, port, workers)
