"""A message or query as users type it: checked once, the same way in every face."""

from __future__ import annotations

import re

from foundation.errors import UserInputError

_SURROGATE = re.compile("[\ud800-\udfff]")


def check_message(text: str, limit: int, field: str = "message") -> str:
    """A message or query: not blank, at most `limit` characters, valid Unicode text."""
    if not text.strip():
        raise UserInputError(field, "must not be empty")
    if len(text) > limit:
        raise UserInputError(field, f"too long: {len(text)} characters (limit {limit})")
    bad = _SURROGATE.search(text)
    if bad:  # from JSON "\ud800" or undecodable bytes: it could be neither answered nor stored
        raise UserInputError(
            field, f"not valid Unicode text (a lone surrogate at character {bad.start() + 1})"
        )
    return text
