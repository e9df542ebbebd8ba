"""Environment variables read with one-line errors (a ConfigError naming the variable)."""

from __future__ import annotations

import os

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
