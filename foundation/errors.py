"""Errors by kind, each naming the culprit (`field`) and, where they are few, its allowed values.

| kind | what | CLI | HTTP |
| --- | --- | --- | --- |
| `UserInputError` | something the user sent is wrong | one line, exit 2 | 422 |
| `ConfigError` | a setting of this installation is wrong (SUBSIDY_*, the data directory) | one line, exit 2 | 503 |
| `Unavailable` | the server cannot do it now (the index, a model) | one line, exit 1 | 503 |

Field names and values come from users: `shown_field` and `shown_value` escape them (a newline
in a JSON key never splits a message) and cut them short (a 900 KB value is not echoed whole).
Nothing here imports anything heavy: every layer may raise these.
"""

from __future__ import annotations

from typing import Any

from foundation.limits import MAX_SHOWN_CHARS


def _escaped(text: str) -> str:
    """Printable characters as they are, anything else (newlines, surrogates, NUL) as an escape."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def shown_field(name: str) -> str:
    """A field name (or path) fit to print on one line: escaped and cut to MAX_SHOWN_CHARS."""
    text = _escaped(str(name))
    return text if len(text) <= MAX_SHOWN_CHARS else text[:MAX_SHOWN_CHARS] + "…"


def shown_value(value: Any) -> str:
    """A value as an error message quotes it: repr (escaped), cut to MAX_SHOWN_CHARS."""
    text = repr(value)
    if len(text) <= MAX_SHOWN_CHARS:
        return text
    return f"{text[:MAX_SHOWN_CHARS]}… ({len(text):,} characters)"


class SubsidyError(Exception):
    """Base of the kinds below: `field` names the culprit, `allowed` lists its allowed values."""

    def __init__(self, field: str, message: str, allowed: list[str] | None = None):
        self.field = shown_field(field)
        self.allowed = [str(a) for a in allowed or []]
        self.message = message
        text = f"{self.field}: {message}"
        if self.allowed:
            text += f" (allowed: {', '.join(self.allowed)})"
        super().__init__(text)


class UserInputError(SubsidyError, ValueError):
    """Something the user sent is wrong (CLI exit 2, HTTP 422)."""


class ConfigError(SubsidyError, ValueError):
    """A setting of this installation is wrong (CLI exit 2; HTTP 503: the server's fault)."""


class Unavailable(SubsidyError):
    """The service cannot do it now: an index, a model, a store (CLI exit 1, HTTP 503)."""


class UnknownCityError(UserInputError):
    pass


class BadDateError(UserInputError):
    pass


class BadAchievementError(UserInputError):
    pass


class BadQueryError(UserInputError):
    pass
