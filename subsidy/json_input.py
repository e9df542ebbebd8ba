"""JSON from users (an HTTP body, a file, stdin), read one way: the API and the CLI agree.

Refused, each as a UserInputError naming `field`: text that is not JSON (with the position),
an object with the same key twice (JSON leaves it open; silently keeping the last would hide a
typo), nesting deeper than MAX_JSON_DEPTH (a thousand-deep array would exhaust the parser's
recursion), and a number too long to convert.
"""

from __future__ import annotations

import json
from typing import Any

from foundation.errors import UserInputError, shown_field
from foundation.limits import MAX_JSON_DEPTH


def _no_duplicate_keys(field: str) -> Any:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise UserInputError(field, f"not valid JSON (the key '{shown_field(key)}' appears twice)")
            out[key] = value
        return out

    return hook


def nesting_depth(value: Any) -> int:
    """How deep arrays and objects nest in a parsed JSON value (a scalar is 0), without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        if depth <= MAX_JSON_DEPTH:  # deeper is refused anyway: no need to walk on
            stack.extend((child, depth + 1) for child in children)
    return deepest


def parse_json(text: str, field: str = "body") -> Any:
    """The JSON value of `text`, or a UserInputError naming `field`."""
    too_deep = UserInputError(field, f"nested deeper than {MAX_JSON_DEPTH} levels (a request needs 4)")
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicate_keys(field))
    except json.JSONDecodeError as err:
        raise UserInputError(
            field, f"not valid JSON ({err.msg} at line {err.lineno} column {err.colno})"
        ) from None
    except RecursionError:  # the parser's own limit (~1,000 levels)
        raise too_deep from None
    except UserInputError:
        raise
    except ValueError as err:  # e.g. an integer with more digits than Python converts
        reason = "a number has too many digits" if "digits" in str(err) else str(err)
        raise UserInputError(field, f"not valid JSON ({reason})") from None
    if nesting_depth(value) > MAX_JSON_DEPTH:
        raise too_deep
    return value
