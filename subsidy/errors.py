"""User mistakes, one exception type per kind.

Each becomes a one-line message on stderr (CLI, non-zero exit) or an HTTP 422 (API).
Nothing here imports anything heavy: every layer may raise these.
"""

from __future__ import annotations


class UserInputError(ValueError):
    """Base: something the user sent is wrong. `field` names the culprit."""

    def __init__(self, field: str, message: str, allowed: list[str] | None = None):
        self.field = field
        self.allowed = allowed or []
        text = f"{field}: {message}"
        if self.allowed:
            text += f" (allowed: {', '.join(self.allowed)})"
        super().__init__(text)


class UnknownCityError(UserInputError):
    pass


class BadDateError(UserInputError):
    pass


class BadAchievementError(UserInputError):
    pass


class BadQueryError(UserInputError):
    pass
