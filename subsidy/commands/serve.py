"""`subsidy serve`: the web UI and HTTP API."""

from __future__ import annotations

import errno
import socket

import typer

from foundation.errors import UserInputError


def check_can_listen(host: str, port: int) -> None:
    """Bind (and close) a socket on host:port as uvicorn will, so a port in use or a host that
    does not resolve is one line before anything is announced."""
    where = f"{host}:{port}"
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as err:
        reason = getattr(err, "strerror", None) or str(err)
        raise UserInputError("--host", f"cannot listen on {where} (unknown host: {reason})") from None
    family, kind, proto, _, address = infos[0]
    try:
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
            sock.bind(address)
    except OSError as err:
        if err.errno == errno.EADDRINUSE:
            reason = "address already in use"
        elif err.errno == errno.EADDRNOTAVAIL:
            reason = "no such address on this machine"
        elif err.errno == errno.EACCES:
            reason = "permission denied"
        else:
            reason = (err.strerror or str(err)).lower()
        field = "--host" if err.errno == errno.EADDRNOTAVAIL else "--port"
        raise UserInputError(field, f"cannot listen on {where} ({reason})") from None


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve_command(
        host: str = typer.Option("127.0.0.1", "--host", help="interface to listen on"),
        port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port"),
        workers: int = typer.Option(
            1, "--workers", min=1, max=16, help="worker processes (they share the persisted sessions)"
        ),
    ) -> None:
        """Web UI + HTTP API (OpenAPI at /docs). Protections are set by SUBSIDY_* variables (see foundation/settings.py)."""
        from foundation.settings import Settings
        from subsidy.health import require_usable_data_dir
        from subsidy.service import serve

        settings = Settings.from_env().service  # a bad SUBSIDY_* variable: one line, before anything starts
        require_usable_data_dir()  # before "serving on": a server that cannot keep conversations won't start
        check_can_listen(host, port)
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
