"""Conversation sessions in SQLite, so a restart (or another server worker) loses no conversation.

One file, `<SUBSIDY_DATA_DIR>/sessions.sqlite3` (default: platformdirs user_data_dir). WAL mode
and short transactions let several worker processes share it; each call opens its own
connection, so nothing is shared across threads either.

Each turn keeps the whole Answer as sent (estimate, citations), so the chat page, the API and
the CLI share one history. A database from before `answer_json` existed is migrated in place;
its old turns read back as text-only Answers.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from assistant.models import Answer, SessionState
from calculators.models import Citation, Estimate
from subsidy.errors import UserInputError

APP_NAME = "subsidy-assistant"
SESSION_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")  # what a client may send (anything else: 422)
SESSION_ID_BYTES = 16  # 128 random bits per id
ISSUED_ID = re.compile(r"[0-9a-f]{32}")  # what this server issues (and issued before, as uuid4 hex)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    state TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS turns (
    session_id TEXT NOT NULL,
    n INTEGER NOT NULL,
    at TEXT NOT NULL,
    message TEXT NOT NULL,
    answer TEXT NOT NULL,
    follow_up TEXT,
    event TEXT,
    answer_json TEXT,
    PRIMARY KEY (session_id, n)
)
"""
_SCHEMA_STATEMENTS = [statement for statement in _SCHEMA.split(";") if statement.strip()]
# columns added after the first release: name -> declaration, added to older databases on open
_ADDED_COLUMNS = {"answer_json": "TEXT"}
_ready: set[Path] = set()


def data_dir() -> Path:
    raw = os.environ.get("SUBSIDY_DATA_DIR", "").strip()
    if raw:
        return Path(raw).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def database_path() -> Path:
    return data_dir() / "sessions.sqlite3"


def storage_problem(where: Path | None = None) -> str | None:
    """Why the data directory cannot hold the sessions, or None; cheap (no database opened), so
    /healthz can ask it every time. The reason does not name the path (it goes into HTTP answers).
    Creates the directory when it is missing, as the store would."""
    where = where if where is not None else data_dir()
    try:
        if not where.exists():
            where.mkdir(parents=True, exist_ok=True)
        if not where.is_dir():
            return "it is not a directory"
        if not os.access(where, os.R_OK | os.W_OK | os.X_OK):
            return "it is not writable"
        database = where / "sessions.sqlite3"
        if database.exists() and not (database.is_file() and os.access(database, os.R_OK | os.W_OK)):
            return "its sessions.sqlite3 cannot be read and written"
    except OSError as err:
        return f"it cannot be created or read ({err.strerror or type(err).__name__})"
    return None


def check_writable() -> Path:
    """The session store, checked before a turn is answered: `storage_problem`, then the database
    opened for writing. Otherwise a UserInputError naming SUBSIDY_DATA_DIR."""
    where = data_dir()
    problem = storage_problem(where)
    if problem == "it is not a directory":
        raise UserInputError(
            "SUBSIDY_DATA_DIR", f"{where} is not a directory; set it to a writable directory"
        )
    try:
        if problem:
            raise OSError(problem)
        with _connect() as conn:
            conn.execute("BEGIN IMMEDIATE")  # takes the write lock: fails on a read-only store
            conn.execute("ROLLBACK")
    except (OSError, sqlite3.Error) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise UserInputError(
            "SUBSIDY_DATA_DIR", f"cannot store sessions in {where} ({reason}); set it to a writable directory"
        ) from None
    return database_path()


@contextmanager
def _connect() -> Iterator[sqlite3.Connection]:
    path = database_path()
    if path not in _ready:
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=10, isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout = 10000")
        if path not in _ready:
            conn.execute("PRAGMA journal_mode = WAL")
            _create_or_migrate(conn)
            _ready.add(path)
        conn.execute("PRAGMA synchronous = NORMAL")
        yield conn
    finally:
        conn.close()


def _create_or_migrate(conn: sqlite3.Connection) -> None:
    """Create the tables, or add the columns an older database lacks (one writer at a time)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        for statement in _SCHEMA_STATEMENTS:
            conn.execute(statement)
        have = {row[1] for row in conn.execute("PRAGMA table_info(turns)")}
        for name, declaration in _ADDED_COLUMNS.items():
            if name not in have:
                conn.execute(f"ALTER TABLE turns ADD COLUMN {name} {declaration}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def new_session_id() -> str:
    """A fresh conversation id: 128 random bits from the OS, as 32 hex digits."""
    return secrets.token_hex(SESSION_ID_BYTES)


def continue_or_start(session_id: str | None) -> tuple[str, SessionState | None]:
    """The conversation a turn belongs to: (its id, its stored state) when `session_id` is one this
    server issued and holds; otherwise (a new id, None). Clients cannot choose ids: a guessable
    one ("test"), or any id the store does not know, starts a new conversation with a new id."""
    if session_id and ISSUED_ID.fullmatch(session_id):
        state = load_state(session_id)
        if state is not None:
            return session_id, state
    return new_session_id(), None


def check_session_id(session_id: str | None) -> str | None:
    if session_id is None or session_id == "":
        return None
    if not SESSION_ID.fullmatch(session_id):
        raise UserInputError(
            "session_id", "must be 1-64 letters, digits or _ . : - (as returned by a previous answer)"
        )
    return session_id


def load_state(session_id: str) -> SessionState | None:
    with _connect() as conn:
        row = conn.execute("SELECT state FROM sessions WHERE id = ?", (session_id,)).fetchone()
    if row is None:
        return None
    try:
        return SessionState.model_validate_json(row[0])
    except ValueError:  # a state written by an older version: start the conversation afresh
        return SessionState()


def save_turn(
    session_id: str,
    state: SessionState,
    message: str,
    answer: str,
    follow_up: str | None,
    event: dict[str, Any] | None = None,
    citations: list[Citation] | None = None,
    estimate: Estimate | None = None,
) -> None:
    """Store the new state and the turn, with the whole Answer as sent, in one short transaction."""
    now = _now()
    sent = Answer(
        answer=answer,
        citations=citations or [],
        estimate=estimate,
        follow_up=follow_up,
        session_id=session_id,
    )
    with _connect() as conn:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(
                "INSERT INTO sessions (id, created_at, updated_at, state) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET updated_at = excluded.updated_at, state = excluded.state",
                (session_id, now, now, state.model_dump_json()),
            )
            n = conn.execute(
                "SELECT COALESCE(MAX(n), 0) + 1 FROM turns WHERE session_id = ?", (session_id,)
            ).fetchone()[0]
            conn.execute(
                "INSERT INTO turns (session_id, n, at, message, answer, follow_up, event, answer_json) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    session_id,
                    n,
                    now,
                    message[:20000],
                    answer,
                    follow_up,
                    json.dumps(event, ensure_ascii=False) if event else None,
                    sent.model_dump_json(),
                ),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def reset(session_id: str) -> None:
    with _connect() as conn:
        conn.execute(
            "UPDATE sessions SET state = ?, updated_at = ? WHERE id = ?",
            (SessionState().model_dump_json(), _now(), session_id),
        )


def history(session_id: str) -> list[dict[str, Any]]:
    with _connect() as conn:
        rows = conn.execute(
            "SELECT n, at, message, answer, follow_up, event FROM turns WHERE session_id = ? ORDER BY n",
            (session_id,),
        ).fetchall()
    return [
        {
            "n": n,
            "at": at,
            "message": message,
            "answer": answer,
            "follow_up": follow_up,
            "event": json.loads(event) if event else None,
        }
        for n, at, message, answer, follow_up, event in rows
    ]


def recent_turns(session_id: str, last: int = 50) -> list[dict[str, Any]]:
    """The conversation's last `last` turns, oldest first: {n, at, message, answer}, where
    `answer` is the Answer as sent (JSON form: answer, citations, estimate, follow_up, session_id)."""
    with _connect() as conn:
        rows = conn.execute(
            "SELECT n, at, message, answer, follow_up, answer_json FROM turns WHERE session_id = ? "
            "ORDER BY n DESC LIMIT ?",
            (session_id, last),
        ).fetchall()
    return [
        {"n": n, "at": at, "message": message, "answer": _sent(session_id, text, follow_up, answer_json)}
        for n, at, message, text, follow_up, answer_json in reversed(rows)
    ]


def _sent(session_id: str, text: str, follow_up: str | None, answer_json: str | None) -> dict[str, Any]:
    if answer_json:
        return json.loads(answer_json)
    # a turn stored before answer_json existed: only its text is known
    return Answer(answer=text, follow_up=follow_up, session_id=session_id).model_dump(mode="json")
