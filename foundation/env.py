"""Environment variables read with one-line errors (a ConfigError naming the variable), each in
one place: the data directory, the chat message limit, the LLM's timeout."""

from __future__ import annotations

import os
from pathlib import Path

from foundation.errors import ConfigError
from foundation.limits import MAX_MESSAGE_CHARS


def positive_int_setting(name: str, default: int) -> int:
    """An environment variable holding a positive integer (`default` when unset); ConfigError otherwise."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(name, f"must be a positive integer, got {raw!r}")
    return int(raw)


def max_message_chars() -> int:
    """The chat message limit in force: SUBSIDY_MAX_MESSAGE_CHARS, else MAX_MESSAGE_CHARS (the CLI,
    the API and the assistant's tools check questions alike)."""
    return positive_int_setting("SUBSIDY_MAX_MESSAGE_CHARS", MAX_MESSAGE_CHARS)


APP_NAME = "subsidy-assistant"  # the platform's user data directory is named after it


def data_dir() -> Path:
    """Where everything the user keeps lives (sessions, the index, ingested documents, installed
    rules): SUBSIDY_DATA_DIR, else the platform's user data directory. Read on each call, so a
    changed variable takes effect."""
    raw = os.environ.get("SUBSIDY_DATA_DIR", "").strip()
    if raw:
        return Path(raw).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def positive_float_setting(name: str, default: float) -> float:
    """An environment variable holding a positive number (`default` when unset); ConfigError otherwise."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0 or value != value or value == float("inf"):
        raise ConfigError(name, f"must be a positive number of seconds, got {raw!r}")
    return value
