"""What the chat page shows: each web conversation's turns (question + the Answer as sent).

The assistant keeps its own session state (facts); this is only the page's display history,
so a reload, a restart or another worker shows the same conversation. SQLite under
SUBSIDY_DATA_DIR, one short connection per call, so several workers can share it.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

FILE_NAME = "web_transcripts.sqlite3"
SCHEMA = """
CREATE TABLE IF NOT EXISTS turns (
    session_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    message TEXT NOT NULL,
    answer_json TEXT NOT NULL,
    created TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
)
"""


def transcript_path() -> Path:
    from knowledge.settings import load_settings

    return load_settings().data_dir / FILE_NAME


def _connect() -> sqlite3.Connection:
    path = transcript_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(SCHEMA)
    return conn


def add_turn(session_id: str, message: str, answer: dict[str, Any]) -> int:
    """Append a turn; returns its 1-based number in the conversation."""
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with closing(_connect()) as conn, conn:
        cursor = conn.execute(
            "INSERT INTO turns (session_id, seq, message, answer_json, created) VALUES "
            "(?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM turns WHERE session_id = ?), ?, ?, ?)",
            (session_id, session_id, message, json.dumps(answer, ensure_ascii=False), created),
        )
        (seq,) = conn.execute("SELECT seq FROM turns WHERE rowid = ?", (cursor.lastrowid,)).fetchone()
    return int(seq)


def turns(session_id: str, last: int = 50) -> list[dict[str, Any]]:
    """The conversation's last `last` turns, oldest first: {seq, message, answer, created}."""
    with closing(_connect()) as conn:
        rows = conn.execute(
            "SELECT seq, message, answer_json, created FROM turns WHERE session_id = ? "
            "ORDER BY seq DESC LIMIT ?",
            (session_id, last),
        ).fetchall()
    return [
        {"seq": seq, "message": message, "answer": json.loads(answer), "created": created}
        for seq, message, answer, created in reversed(rows)
    ]
