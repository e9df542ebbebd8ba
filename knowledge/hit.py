"""The retrieval hit of the outside contract (CONTRACT.md): what GET /api/search returns for each
article. The search's own Hit (knowledge/search.py) extends it with where the hit came from."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from pydantic import BaseModel, Field


class ContractHit(BaseModel):
    """A retrieval hit as CONTRACT.md states it (what GET /api/search returns)."""

    document: str = Field(description="title of the policy document")
    article: str = Field(description="the article's own label: 第七条, 10., （一）, 第三章 …")
    city: str = Field(description="region id of the document, or 'national'")
    text: str = Field(description="verbatim article text")
    score: float = Field(description="relevance, 0..1 (hybrid: fused rank score over its maximum)")


class Search(Protocol):
    """What the assistant is given to search the policy texts with (`Retriever.search`, or a test's
    stand-in): hits with at least `document`, `document_id`, `article`, `city` and `text`."""

    def __call__(
        self, query: str, k: int = 5, city: str | None = None, *, include_national: bool = False
    ) -> Sequence[Any]: ...
