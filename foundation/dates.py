"""ISO dates as users type them, with errors that name the field."""

from __future__ import annotations

import datetime as dt
import re

from foundation.errors import BadDateError, shown_value

# Exactly YYYY-MM-DD: Python's fromisoformat alone also takes 20220601 and 2022-W22-3.
ISO_DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_ISO_DATE = re.compile(ISO_DATE_PATTERN)


def parse_iso_date(text: str | None, field_name: str = "as_of", *, empty_is_today: bool = True) -> dt.date:
    """`None` (and, unless `empty_is_today` is off, blank) means today; anything else must be
    YYYY-MM-DD and a real day."""
    if text is None or (empty_is_today and str(text).strip() == ""):
        return dt.date.today()
    given = str(text)
    try:
        if not _ISO_DATE.fullmatch(given):
            raise ValueError(given)
        return dt.date.fromisoformat(given)
    except ValueError:
        raise BadDateError(
            field_name, f"{shown_value(text)} is not a valid date; use YYYY-MM-DD, e.g. 2022-06-01"
        ) from None
