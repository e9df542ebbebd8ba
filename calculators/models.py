"""Typed boundaries of the calculators: the Estimate request and response (CONTRACT.md).

The same models serve the CLI, the HTTP API, the assistant and the eval runner; the request
is calculators/request.py.
Amounts are integers in yuan.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from foundation.errors import BadAchievementError
from foundation.limits import MAX_COUNT
from knowledge.corpus import PolicyStatus

__all__ = ["MAX_COUNT"]  # the calculators' bound on a count (foundation/limits.py), re-exported

Basis = Literal["fixed", "up_to"]
# the words every face (answers, pages, exports, notes) uses for them
BASIS_ZH: dict[str, str] = {"fixed": "定额", "up_to": "最高不超过"}
STATUS_ZH: dict[str, str] = {"in_force": "有效", "expired": "已失效", "not_yet_in_force": "尚未施行"}


class Citation(BaseModel):
    document: str
    article: str
    quote: str
    document_id: str | None = None


def distinct_citations(citations: list[Citation]) -> list[Citation]:
    """Each cited sentence once (same document, article and quote), in the order first cited."""
    seen: dict[tuple[str, str, str], Citation] = {}
    for c in citations:
        seen.setdefault((c.document, c.article, c.quote), c)
    return list(seen.values())


class TraceStep(BaseModel):
    """One step of how an amount was reached (like OpenFisca's computation trace)."""

    op: Literal["base", "factor", "count", "adjust", "cap", "status", "choice", "assumption"]
    detail: str
    yuan: int | None = None
    value: float | None = None
    rule_id: str | None = None


class ApplyInfo(BaseModel):
    """How to apply, where the text states it."""

    window: str | None = None
    deadline: str | None = None
    office: str | None = None
    materials: list[str] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)


class Item(BaseModel):
    input_index: int
    type: str
    label: str
    covered: bool
    amount_yuan: int | None = None
    basis: Basis | None = None
    rule_id: str | None = None
    citation: Citation | None = None
    citations: list[Citation] = Field(default_factory=list)
    policy_status: PolicyStatus | None = None
    effective_from: str | None = None
    effective_to: str | None = None
    notes: list[str] = Field(default_factory=list)
    trace: list[TraceStep] = Field(default_factory=list)
    apply: ApplyInfo | None = None
    counted_yuan: int | None = None
    verified_on: str | None = None


class CapApplied(BaseModel):
    id: str
    kind: str
    description: str
    citation: Citation
    reduced_by_yuan: int
    input_indexes: list[int] = Field(default_factory=list)


class Provenance(BaseModel):
    compilation: str
    policies_as_of: str
    verified_on: str | None = None


class Estimate(BaseModel):
    city: str
    city_name: str
    as_of: str
    items: list[Item]
    total_yuan: int
    total_basis: Basis
    total_in_force_yuan: int
    caps_applied: list[CapApplied] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    provenance: Provenance | None = None


def check_count(count: Any, where: str) -> None:
    """Refuse a count above MAX_COUNT (an error naming `<where>.count`); other checks are the engine's."""
    if isinstance(count, int) and not isinstance(count, bool) and count > MAX_COUNT:
        digits = str(count)
        shown = digits if len(digits) <= 16 else f"a {len(digits)}-digit number"
        raise BadAchievementError(f"{where}.count", f"must be at most {MAX_COUNT:,}, got {shown}")
