"""ISO dates as users type them, with errors that name the field."""

from __future__ import annotations

import datetime as dt

from subsidy.errors import BadDateError


def parse_iso_date(text: str | None, field_name: str = "as_of") -> dt.date:
    """`None`/empty means today; anything else must be YYYY-MM-DD and a real day."""
    if text is None or str(text).strip() == "":
        return dt.date.today()
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise BadDateError(
            field_name, f"{text!r} is not a valid date; use YYYY-MM-DD, e.g. 2022-06-01"
        ) from None
