"""Typed boundaries of the assistant: extracted facts, the session state and the Answer (CONTRACT.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field

from calculators.compare import ComparisonRow
from calculators.menu import CityMenu
from calculators.models import Basis, Citation, Estimate, PolicyStatus

Intent = Literal[
    "amount",
    "compare",
    "city_menu",
    "eligibility",
    "apply",
    "status",
    "definition",
    "out_of_scope",
    "smalltalk",
]
Verdict = Literal["yes", "no", "depends"]


class AchievementFacts(BaseModel):
    """One achievement as far as the user has described it (fields may still be missing)."""

    type: str
    fields: dict[str, Any] = Field(default_factory=dict)
    # open fields whose phrase fits several values (省长质量奖 → 河南/山东/广东); the city decides
    candidates: dict[str, list[Any]] = Field(default_factory=dict)
    count: int | None = None
    achieved: str | None = None  # when it was obtained, as said: "2021", "2022-06"
    said: str | None = None  # the user's words for an open-type achievement (省长质量奖)
    # fields the user left open that the city's clause pays alike for every value (郑州 制(修)订,
    # 佛山 any 领跑者 level): filled so the calculator can run, never asked, re-checked each turn.
    # name -> the candidate values the user's words allowed, or None (the field was not named)
    same_for: dict[str, list[Any] | None] = Field(default_factory=dict)
    # fields the user did not state that took their default reading (a published standard → 制定):
    # name -> the other values, whose amounts the answer states in one line
    assumed: dict[str, list[Any]] = Field(default_factory=dict)


class LooseField(BaseModel):
    """A field value the message names without naming its achievement ("是修订", "国家级")."""

    field: str
    value: Any


class Extraction(BaseModel):
    """Everything the deterministic extractor read from one message."""

    city: str | None = None
    city_candidates: list[str] = Field(default_factory=list)  # 山东 → the Shandong cities we hold
    place_word: str | None = None  # the place as written
    # optional facts (drafter_rank, prior_award_yuan, upgraded_from, previous_grade) as said
    optional_facts: dict[str, Any] = Field(default_factory=dict)
    unknown_place: str | None = None  # a place the corpus has no policy for
    achievements: list[AchievementFacts] = Field(default_factory=list)
    loose: list[LooseField] = Field(default_factory=list)
    loose_count: int | None = None
    grant_date: str | None = None  # ISO date the user asks the award for ("按2022年6月申报")
    achieved: str | None = None
    intents: list[str] = Field(default_factory=list)
    unread_counts: list[str] = Field(default_factory=list)  # count phrases no count can be read from
    whatif: bool = False
    addition: bool = False
    injection: bool = False
    greeting: bool = False
    thanks: bool = False
    english: bool = False
    truncated: bool = False
    too_many: bool = False

    @property
    def has_facts(self) -> bool:
        return bool(
            self.city
            or self.city_candidates
            or self.unknown_place
            or self.achievements
            or self.loose
            or self.loose_count
            or self.grant_date
        )


class Slot(BaseModel):
    """A fact the assistant asked for and is waiting on."""

    kind: Literal["city", "achievement", "field"]
    index: int | None = None
    field: str | None = None


class SessionState(BaseModel):
    """What a conversation has established so far; persisted between turns."""

    city: str | None = None
    city_candidates: list[str] = Field(default_factory=list)
    as_of: str | None = None  # a grant date the user named ("按2022年6月申报")
    asked_on: str | None = None  # the as_of the client sent with the conversation
    achievements: list[AchievementFacts] = Field(default_factory=list)
    pending: list[Slot] = Field(default_factory=list)
    turns: int = 0


class CompareRow(BaseModel):
    """One city of a comparison, as an Answer carries it (its Estimate stays in the library)."""

    city: str
    city_name: str
    total_yuan: int
    total_basis: Basis
    policy_status: PolicyStatus | None
    covered: bool
    articles: list[str] = Field(default_factory=list)

    @classmethod
    def of(cls, row: ComparisonRow) -> CompareRow:
        return cls(**row.model_dump(include=set(cls.model_fields)))


@dataclass
class Reply:
    """What one turn answers, before the session id is attached (becomes the Answer)."""

    answer: str
    citations: list[Citation] = field(default_factory=list)
    estimate: Estimate | None = None
    follow_up: str | None = None
    event: dict[str, Any] = field(default_factory=dict)
    verdict: Verdict | None = None
    comparison: list[CompareRow] | None = None
    alternatives: list[Estimate] | None = None
    menu: CityMenu | None = None


class Answer(BaseModel):
    """The contract's Answer: `subsidy ask --json`, POST /api/chat."""

    answer: str
    citations: list[Citation] = Field(default_factory=list)
    estimate: Estimate | None = None
    follow_up: str | None = None
    session_id: str
    intents: list[Intent] = Field(default_factory=list)  # what the turn was understood to ask
    verdict: Verdict | None = None  # eligibility questions: yes / no / depends
    comparison: list[CompareRow] | None = None  # compare questions: one row per city, ranked
    # the Estimates of the other readings the answer states in one line (修订 beside the assumed 制定)
    alternatives: list[Estimate] | None = None
    menu: CityMenu | None = None  # what a region pays (city-menu questions), from its rule file
