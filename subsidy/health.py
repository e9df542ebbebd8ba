"""Whether this instance can serve: its data directory, its session database, and the warm-up
that loads rules, corpus and index after start (/healthz and the API's 503s read these)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from assistant import sessions, store
from calculators.engine import estimate
from foundation.errors import ConfigError
from foundation.settings import RetrievalSettings
from knowledge.corpus import load_articles
from knowledge.hit import Search

log = logging.getLogger("subsidy.service")

WARMED_UP = threading.Event()


# ---------------------------------------------------------------- the data directory
def data_dir() -> Path:
    """Where sessions (and the default retrieval index) live: SUBSIDY_DATA_DIR or the user data dir."""
    return sessions.data_dir()


def data_dir_problem(path: Path | None = None) -> str | None:
    """Why the data directory cannot hold the conversations (without the path), or None."""
    return sessions.storage_problem(path)


def database_problem() -> str | None:
    """Why the database of SUBSIDY_DATABASE_URL cannot hold the conversations, or None (also when
    it is unset). Its schema is created or migrated on the first call of a process."""
    return sessions.database_problem()


def database_unusable_detail(problem: str) -> str:
    return f"the server's session database (SUBSIDY_DATABASE_URL) {problem}"


def require_usable_data_dir() -> None:
    """One line from the CLI instead of a server that loses every conversation."""
    path = data_dir()
    problem = data_dir_problem(path)
    if problem:
        raise ConfigError("SUBSIDY_DATA_DIR", f"{path}: {problem}; point it at a writable directory")
    sessions.check_writable()  # SUBSIDY_DATABASE_URL: reachable, schema migrated, before any worker starts
    store.forget_engines()  # the workers open their own connections


def data_dir_unusable_detail(problem: str) -> str:
    return f"the server's data directory (SUBSIDY_DATA_DIR) cannot be used: {problem}"


def warm_up(search: Search, settings: RetrievalSettings) -> None:
    """Load rules, corpus and the assistant's retrieval index in the background after start.

    /healthz answers at once; this only spares the first chat turns the loading time. A
    failure here shows again, properly reported, on the request that needs the piece.
    """
    try:
        load_articles()
        estimate({"city": "tianjin", "achievements": [{"type": "good_behavior", "grade": "5A"}]})
    except Exception:
        log.exception("warm-up of the calculators failed")
        WARMED_UP.set()
        return
    try:
        # Open an index that is there; never start building one from every worker at once.
        if settings.uses_server or (settings.chroma_dir.is_dir() and any(settings.chroma_dir.iterdir())):
            search("标准化 资助", k=1)
    except Exception:
        log.warning("warm-up of the retrieval index failed", exc_info=True)
    finally:
        WARMED_UP.set()
