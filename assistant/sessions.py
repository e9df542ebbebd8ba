"""Conversation sessions in a database, so a restart, another worker or another instance loses no
conversation.

The store is `assistant.store`: the SQLite file `<SUBSIDY_DATA_DIR>/sessions.sqlite3` by default
(platformdirs user_data_dir when unset), or the database `SUBSIDY_DATABASE_URL` names, e.g. one
PostgreSQL shared by several instances behind a load balancer. Same SQL either way.

Each turn keeps the whole Answer as sent (estimate, citations), so the chat page, the API and
the CLI share one history. Turns of one conversation run one at a time (`turn_lock`): while a
turn holds its conversation, another turn on it, in any thread, worker or instance, waits, so
no turn's facts are lost to a concurrent one and the turns are numbered without gaps or clashes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock
from filelock import Timeout as FileLockTimeout
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from assistant import store
from assistant.models import Answer, SessionState
from calculators.models import Citation, Estimate
from foundation.errors import UserInputError
from foundation.settings import DATA_DIR_VARIABLE, DATABASE_URL_VARIABLE, Settings

SESSION_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")  # what a client may send (anything else: 422)
SESSION_ID_BYTES = 16  # 128 random bits per id
ISSUED_ID = re.compile(r"[0-9a-f]{32}")  # what this server issues (and issued before, as uuid4 hex)
# how long a turn waits for the turn before it on the same conversation
TURN_LOCK_TIMEOUT_SECONDS = 60
# SQLite: turns are serialised by file locks, one of this many per conversation id's hash
SQLITE_TURN_LOCK_STRIPES = 256


class StoreUnavailable(Exception):
    """The session store cannot be reached or locked: a server fault (503), not the user's."""


def data_dir() -> Path:
    return Settings.from_env().data_dir


def database_path() -> Path:
    """The embedded SQLite file (the store when SUBSIDY_DATABASE_URL is unset)."""
    return store.sqlite_file(data_dir())


def database_url() -> str:
    """The store of the environment's settings (library use; a face passes its SessionStore)."""
    settings = Settings.from_env()
    return store.database_url(settings.data_dir, settings.database_url)


def _configured_url() -> str | None:
    return Settings.from_env().database_url


def storage_problem(where: Path | None = None) -> str | None:
    """Why the data directory cannot hold the sessions, or None; cheap (no database opened), so
    /healthz can ask it every time. The reason does not name the path (it goes into HTTP answers).
    Creates the directory when it is missing, as the store would. With SUBSIDY_DATABASE_URL the
    sessions live in that database (see `database_problem`); the directory still holds the index."""
    where = where if where is not None else data_dir()
    try:
        if not where.exists():
            where.mkdir(parents=True, exist_ok=True)
        if not where.is_dir():
            return "it is not a directory"
        if not os.access(where, os.R_OK | os.W_OK | os.X_OK):
            return "it is not writable"
        database = store.sqlite_file(where)
        embedded = _configured_url() is None
        if (
            embedded
            and database.exists()
            and not (database.is_file() and os.access(database, os.R_OK | os.W_OK))
        ):
            return "its sessions.sqlite3 cannot be read and written"
    except OSError as err:
        return f"it cannot be created or read ({err.strerror or type(err).__name__})"
    return None


def database_problem() -> str | None:
    """Why the database SUBSIDY_DATABASE_URL names cannot hold the sessions, or None (also None
    when it is unset: the data directory's file is checked by `storage_problem`). Opens the
    database, creating or migrating its schema on the first call in a process. The reason
    names neither the URL nor its password."""
    if _configured_url() is None:
        return None
    try:
        with store.reading(database_url()) as conn:
            conn.execute(text("SELECT 1 FROM sessions WHERE 1 = 0"))
    except (SQLAlchemyError, OSError) as err:
        return f"cannot be used ({_reason(err)})"
    return None


def check_writable() -> Path | str:
    """The session store, checked before a turn is answered: the SQLite file (`storage_problem`,
    then opened for writing), or the database of SUBSIDY_DATABASE_URL. Otherwise a UserInputError
    naming the variable to fix. Returns the file, or the URL without its password."""
    if _configured_url() is not None:
        url = database_url()
        problem = database_problem()
        if problem:
            raise UserInputError(
                DATABASE_URL_VARIABLE, f"{store.shown_url(url)} {problem}; check the URL and the server"
            )
        return store.shown_url(url)
    where = data_dir()
    problem = storage_problem(where)
    if problem == "it is not a directory":
        raise UserInputError(DATA_DIR_VARIABLE, f"{where} is not a directory; set it to a writable directory")
    try:
        if problem:
            raise OSError(problem)
        with store.writing(database_url()):  # takes the write lock: fails on a read-only store
            pass
    except (OSError, SQLAlchemyError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(getattr(err, "orig", err))
        raise UserInputError(
            DATA_DIR_VARIABLE, f"cannot store sessions in {where} ({reason}); set it to a writable directory"
        ) from None
    return database_path()


# ---------------------------------------------------------------- one turn at a time
@dataclass(frozen=True)
class _HeldTurn:
    session_id: str
    url: str
    # PostgreSQL: the turn's transaction, which holds the conversation's advisory lock
    conn: Connection | None = None
    # SQLite: the lock file (one per stripe of ids) this turn holds
    lock_file: Path | None = None


# the turns this thread of work holds, innermost last (a turn that stores under a new id holds two)
_held: ContextVar[tuple[_HeldTurn, ...]] = ContextVar("subsidy_held_turns", default=())


@contextmanager
def turn_lock(session_id: str | None, url: str | None = None) -> Iterator[None]:
    """Hold one conversation for a whole turn: `load_state` … `save_turn` of that session inside
    it see and write it while no other turn on it runs. A second turn on the same conversation,
    from any thread, worker process or instance, waits here until the first is saved.

    PostgreSQL: a transaction-scoped advisory lock on the session id, in a connection the turn
    keeps (its reads and writes run there; the lock goes with the commit, or with the connection
    if the process dies). SQLite: a file lock beside the database file, one per stripe of ids
    (released by the OS if the process dies). StoreUnavailable when the store cannot be reached
    or the wait is too long. Without a session id (a new conversation) there is nothing to wait
    for; a conversation this thread of work already holds is not locked twice.
    """
    held = _held.get()
    if not session_id or _turn_held(session_id) is not None:
        yield
        return
    url = url or database_url()
    if store.is_postgresql(url):
        with _postgresql_turn(session_id, url) as conn:
            token = _held.set((*held, _HeldTurn(session_id, url, conn=conn)))
            try:
                yield
            finally:
                _held.reset(token)
        return
    try:
        path = _sqlite_turn_lock_file(session_id, url)
    except OSError as err:
        raise StoreUnavailable(f"cannot lock session {session_id} ({err.strerror or err})") from None
    lock = None
    if all(turn.lock_file != path for turn in held):  # another id of the same stripe: held already
        lock = FileLock(
            path,
            timeout=TURN_LOCK_TIMEOUT_SECONDS,
            poll_interval=0.01,
            thread_local=False,
            preserve_lock_file=True,  # at most SQLITE_TURN_LOCK_STRIPES small files, reused
        )
        try:
            lock.acquire()
        except FileLockTimeout:
            raise StoreUnavailable(
                f"session {session_id} stayed busy for {TURN_LOCK_TIMEOUT_SECONDS} s"
            ) from None
        except OSError as err:
            raise StoreUnavailable(f"cannot lock session {session_id} ({err.strerror or err})") from None
    token = _held.set((*held, _HeldTurn(session_id, url, lock_file=path)))
    try:
        yield
    finally:
        _held.reset(token)
        if lock is not None:
            lock.release()


@contextmanager
def _postgresql_turn(session_id: str, url: str) -> Iterator[Connection]:
    conn: Connection | None = None
    try:
        conn = store.engine(url).connect()
        conn.execute(text(f"SET LOCAL lock_timeout = '{TURN_LOCK_TIMEOUT_SECONDS}s'"))
        # a turn whose process hangs (rather than dies) lets go of the conversation after a while
        conn.execute(text("SET LOCAL idle_in_transaction_session_timeout = '300s'"))
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:id, 0))"), {"id": session_id})
    except SQLAlchemyError as err:
        if conn is not None:
            conn.close()
        raise StoreUnavailable(f"cannot hold session {session_id} ({_reason(err)})") from None
    try:
        yield conn
    finally:
        conn.close()  # rolls back what save_turn did not commit, and so lets go of the lock


def _reason(err: Exception) -> str:
    """The driver's error class (OperationalError, LockNotAvailable …): no URL, no password."""
    return type(getattr(err, "orig", None) or err).__name__


def _sqlite_turn_lock_file(session_id: str, url: str) -> Path:
    database = make_url(url).database or ""
    stripe = int.from_bytes(hashlib.blake2b(session_id.encode("utf-8"), digest_size=4).digest())
    folder = Path(f"{database}-turn-locks")
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{stripe % SQLITE_TURN_LOCK_STRIPES:03d}.lock"


def _turn_held(session_id: str) -> _HeldTurn | None:
    return next((turn for turn in _held.get() if turn.session_id == session_id), None)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def new_session_id() -> str:
    """A fresh conversation id: 128 random bits from the OS, as 32 hex digits."""
    return secrets.token_hex(SESSION_ID_BYTES)


def continue_or_start(session_id: str | None, url: str | None = None) -> tuple[str, SessionState | None]:
    """The conversation a turn belongs to: (its id, its stored state) when `session_id` is one this
    server issued and holds; otherwise (a new id, None). Clients cannot choose ids: a guessable
    one ("test"), or any id the store does not know, starts a new conversation with a new id."""
    if session_id and ISSUED_ID.fullmatch(session_id):
        state = load_state(session_id, url)
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


def load_state(session_id: str, url: str | None = None) -> SessionState | None:
    held = _turn_held(session_id)
    query = text("SELECT state FROM sessions WHERE id = :id")
    if held is not None and held.conn is not None:
        row = held.conn.execute(query, {"id": session_id}).first()
    else:
        with store.reading(url or database_url()) as conn:
            row = conn.execute(query, {"id": session_id}).first()
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
    sent: Answer | None = None,
    url: str | None = None,
) -> None:
    """Store the new state and the turn, with the whole Answer as sent (`sent`; else one made of
    the text, citations and estimate), in one short transaction (inside the turn's `turn_lock`,
    or under one of its own)."""
    held = _turn_held(session_id)
    if held is None:
        with turn_lock(session_id, url):
            save_turn(session_id, state, message, answer, follow_up, event, citations, estimate, sent, url)
        return
    sent = sent or Answer(
        answer=answer,
        citations=citations or [],
        estimate=estimate,
        follow_up=follow_up,
        session_id=session_id,
    )
    row = {
        "id": session_id,
        "now": _now(),
        "state": state.model_dump_json(),
        "message": message[:20000],
        "answer": answer,
        "follow_up": follow_up,
        "event": json.dumps(event, ensure_ascii=False) if event else None,
        "answer_json": sent.model_dump_json(),
    }
    if held.conn is not None:
        try:
            _store_turn(held.conn, row)
            held.conn.commit()
        except BaseException:
            held.conn.rollback()
            raise
    else:
        with store.writing(held.url) as conn:
            _store_turn(conn, row)


def _store_turn(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(
        text(
            "INSERT INTO sessions (id, created_at, updated_at, state) VALUES (:id, :now, :now, :state) "
            "ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at, state = excluded.state"
        ),
        row,
    )
    conn.execute(
        text(
            "INSERT INTO turns (session_id, n, at, message, answer, follow_up, event, answer_json) "
            "SELECT :id, COALESCE(MAX(n), 0) + 1, :now, :message, :answer, :follow_up, :event, :answer_json "
            "FROM turns WHERE session_id = :id"
        ),
        row,
    )


def reset(session_id: str, url: str | None = None) -> None:
    with turn_lock(session_id, url):
        held = _turn_held(session_id)
        statement = text("UPDATE sessions SET state = :state, updated_at = :now WHERE id = :id")
        values = {"state": SessionState().model_dump_json(), "now": _now(), "id": session_id}
        if held is not None and held.conn is not None:
            held.conn.execute(statement, values)
            held.conn.commit()
        else:
            with store.writing(url or database_url()) as conn:
                conn.execute(statement, values)


def history(session_id: str, url: str | None = None) -> list[dict[str, Any]]:
    with store.reading(url or database_url()) as conn:
        rows = conn.execute(
            text(
                "SELECT n, at, message, answer, follow_up, event FROM turns WHERE session_id = :id ORDER BY n"
            ),
            {"id": session_id},
        ).all()
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


def recent_turns(session_id: str, last: int = 50, url: str | None = None) -> list[dict[str, Any]]:
    """The conversation's last `last` turns, oldest first: {n, at, message, answer}, where
    `answer` is the Answer as sent (JSON form: answer, citations, estimate, follow_up, session_id)."""
    with store.reading(url or database_url()) as conn:
        rows = conn.execute(
            text(
                "SELECT n, at, message, answer, follow_up, answer_json FROM turns WHERE session_id = :id "
                "ORDER BY n DESC LIMIT :last"
            ),
            {"id": session_id, "last": last},
        ).all()
    return [
        {"n": n, "at": at, "message": message, "answer": _sent(session_id, text, follow_up, answer_json)}
        for n, at, message, text, follow_up, answer_json in reversed(rows)
    ]


def _sent(session_id: str, text: str, follow_up: str | None, answer_json: str | None) -> dict[str, Any]:
    if answer_json:
        return json.loads(answer_json)
    # a turn stored before answer_json existed: only its text is known
    return Answer(answer=text, follow_up=follow_up, session_id=session_id).model_dump(mode="json")


@dataclass(frozen=True)
class SessionStore:
    """The conversations of one configured store (the Assistant's and the service's): the
    functions above, bound to its database URL."""

    url: str

    @classmethod
    def from_settings(cls, settings: Settings) -> SessionStore:
        return cls(store.database_url(settings.data_dir, settings.database_url))

    def continue_or_start(self, session_id: str | None) -> tuple[str, SessionState | None]:
        return continue_or_start(session_id, self.url)

    def save_turn(
        self,
        session_id: str,
        state: SessionState,
        message: str,
        sent: Answer,
        event: dict[str, Any] | None = None,
    ) -> None:
        save_turn(session_id, state, message, sent.answer, sent.follow_up, event, sent=sent, url=self.url)

    def recent_turns(self, session_id: str, last: int = 50) -> list[dict[str, Any]]:
        return recent_turns(session_id, last, self.url)

    def history(self, session_id: str) -> list[dict[str, Any]]:
        return history(session_id, self.url)

    def reset(self, session_id: str) -> None:
        reset(session_id, self.url)

    def turn_lock(self, session_id: str | None) -> AbstractContextManager[None]:
        return turn_lock(session_id, self.url)
