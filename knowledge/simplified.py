"""Traditional Chinese folded to simplified, so 臨沂 / 國家標準 mean what 临沂 / 国家标准 mean.

Users type either script; the policies are (mostly) simplified, but the draft supervision
guidance is partly traditional. Matching (fact extraction, BM25 tokens, the query embedding)
works on the folded text; quotes and citations stay verbatim. OpenCC's t2s table leaves
simplified text as it is.
"""

from __future__ import annotations

import threading
from functools import cache

import opencc

_lock = threading.Lock()


@cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    if text.isascii():
        return text
    with _lock:  # one converter, shared by the web service's threads
        return _converter().convert(text)
