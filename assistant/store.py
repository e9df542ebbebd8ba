"""The database under the conversations and the shared rate limits, through SQLAlchemy 2.

`SUBSIDY_DATABASE_URL` names it (`postgresql://user@host:5432/subsidy`, or `sqlite:///path`); unset,
it is the embedded SQLite file `<SUBSIDY_DATA_DIR>/sessions.sqlite3`. Both go through the same
SQL (text statements valid in both dialects: `ON CONFLICT … DO UPDATE`, `RETURNING`, `CASE`).

The schema is created or brought up to date the first time a process opens a database: the
steps in `MIGRATIONS` run in order inside one transaction that holds the database's writer
lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: a transaction-scoped advisory lock), and
`schema_version` records the last one applied, so instances starting together migrate once.
Each step is additive and written to be safe on a database that already has it: a
`sessions.sqlite3` from before versioning (no `schema_version` table, maybe no `answer_json`)
is brought to the current version in place. Alembic would add a config, an env script and a
revision folder for a two-table schema that only ever grows; this is the part of it we need.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

SQLITE_FILE = "sessions.sqlite3"
# PostgreSQL: a turn holds one connection while it runs (its advisory lock lives in that
# connection's transaction), so a worker process needs as many as it runs turns at once; the
# server's thread pool runs at most 40.
POOL_SIZE = 10
MAX_OVERFLOW = 30
# the key of the advisory lock that lets one instance at a time migrate a PostgreSQL database
MIGRATION_LOCK_KEY = (0x5355_4253, 1)  # two int4 keys: a space apart from the turns' bigint keys


def _add_answer_json(conn: Connection) -> None:
    """turns.answer_json (the whole Answer as sent) arrived after the first release."""
    if "answer_json" not in {column["name"] for column in inspect(conn).get_columns("turns")}:
        conn.execute(text("ALTER TABLE turns ADD COLUMN answer_json TEXT"))


# (version, what it does, statements or a function of the connection); applied in order, once
MIGRATIONS: list[tuple[int, str, list[str] | Callable[[Connection], None]]] = [
    (
        1,
        "sessions and their turns",
        [
            "CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, "
            "updated_at TEXT NOT NULL, state TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS turns (session_id TEXT NOT NULL, n INTEGER NOT NULL, at TEXT NOT NULL, "
            "message TEXT NOT NULL, answer TEXT NOT NULL, follow_up TEXT, event TEXT, "
            "PRIMARY KEY (session_id, n))",
        ],
    ),
    (2, "the whole Answer of each turn", _add_answer_json),
    (
        3,
        "token buckets of the shared chat rate limit",
        [
            "CREATE TABLE IF NOT EXISTS rate_buckets (key TEXT PRIMARY KEY, tokens DOUBLE PRECISION NOT NULL, "
            "at DOUBLE PRECISION NOT NULL, granted INTEGER NOT NULL)"
        ],
    ),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]

_engines: dict[str, Engine] = {}
_migrated: set[str] = set()
_lock = threading.Lock()


def sqlite_file(data_dir: Path) -> Path:
    return data_dir / SQLITE_FILE


def database_url(data_dir: Path, configured: str | None) -> str:
    """The SQLAlchemy URL in force: the configured one (SUBSIDY_DATABASE_URL) with psycopg 3 as the
    PostgreSQL driver, or (None) the SQLite file in the data directory."""
    raw = configured
    if raw is None:
        return f"sqlite:///{sqlite_file(data_dir)}"
    for plain in ("postgres://", "postgresql://"):
        if raw.startswith(plain):
            return "postgresql+psycopg://" + raw[len(plain) :]
    return raw


def is_postgresql(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def shown_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


def engine(url: str) -> Engine:
    """One engine per URL and process, its schema brought up to date on first use."""
    found = _engines.get(url)
    if found is not None and url in _migrated:
        return found
    with _lock:
        found = _engines.get(url)
        if found is None:
            found = _engines[url] = _create_engine(url)
        if url not in _migrated:
            migrate(found)
            _migrated.add(url)
    return found


def forget_engines() -> None:
    """Close every engine: the next use opens (and checks the schema of) each database afresh,
    as a new process would."""
    with _lock:
        for found in _engines.values():
            found.dispose()
        _engines.clear()
        _migrated.clear()


def _create_engine(url: str) -> Engine:
    if is_postgresql(url):
        return create_engine(
            url,
            pool_size=POOL_SIZE,
            max_overflow=MAX_OVERFLOW,
            pool_pre_ping=True,  # a database restart costs the next query nothing but a reconnect
            connect_args={"connect_timeout": 10},
        )
    path = make_url(url).database
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    # NullPool: a connection per use, as before; opening a SQLite file costs microseconds
    created = create_engine(url, poolclass=NullPool, connect_args={"timeout": 10})
    event.listen(created, "connect", _sqlite_on_connect)
    event.listen(created, "begin", _sqlite_begin)
    return created


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy sends BEGIN itself (below); the driver must not open transactions on its own
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 10000")
    cursor.execute("PRAGMA journal_mode = WAL")  # readers never wait for the writer
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # a writing transaction takes the write lock at BEGIN, so it waits its turn (busy_timeout)
    # instead of failing when it upgrades from reading
    writes = conn.get_execution_options().get("writes", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


@contextmanager
def writing(url: str) -> Iterator[Connection]:
    """A short writing transaction: committed at the end, rolled back on an error."""
    with engine(url).connect() as conn, conn.execution_options(writes=True).begin():
        yield conn


@contextmanager
def reading(url: str) -> Iterator[Connection]:
    with engine(url).connect() as conn:
        yield conn


def schema_version(conn: Connection) -> int:
    if not inspect(conn).has_table("schema_version"):
        return 0
    return int(conn.execute(text("SELECT MAX(version) FROM schema_version")).scalar() or 0)


def migrate(target: Engine) -> int:
    """Apply the migrations this database lacks; returns the version it is at."""
    with target.connect() as conn, conn.execution_options(writes=True).begin():
        if target.dialect.name == "postgresql":
            # instances starting together: one migrates, the others wait and find it done
            key_class, key = MIGRATION_LOCK_KEY
            conn.execute(text("SELECT pg_advisory_xact_lock(:c, :k)"), {"c": key_class, "k": key})
        conn.execute(text("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"))
        have = schema_version(conn)
        for version, _what, step in MIGRATIONS:
            if version <= have:
                continue
            if callable(step):
                step(conn)
            else:
                for statement in step:
                    conn.execute(text(statement))
            conn.execute(text("INSERT INTO schema_version (version) VALUES (:v)"), {"v": version})
        return max(have, SCHEMA_VERSION)
