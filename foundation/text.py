"""Text helpers every layer uses the same way: squash (no whitespace, for verbatim checks), fold
(NFKC, lower case, no whitespace, for matching names), contains_any (keyword cues) and the CJK
character ranges."""

from __future__ import annotations

import re
import unicodedata

# Chinese characters (CJK unified ideographs, extension A, compatibility ideographs)
CJK_IDEOGRAPHS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# …and the CJK punctuation and full-width forms written between them
CJK_TEXT = rf"[\u3000-\u303f{CJK_IDEOGRAPHS}\uff00-\uffef]"

_SPACE = re.compile(r"\s+")


def squash(text: str | None) -> str:
    """The text with all whitespace removed: quotes are verbatim when their squashed forms match
    (a page break or a PDF line wrap inside a sentence does not count)."""
    return _SPACE.sub("", text or "")


def fold(text: str | None) -> str:
    """For matching names and aliases: NFKC (full-width → half-width), lower case, no whitespace."""
    return squash(unicodedata.normalize("NFKC", text or "")).lower()


def contains_any(text: str, words: tuple[str, ...]) -> bool:
    """Does `text` contain any of `words` (as substrings)?"""
    return any(w in text for w in words)
