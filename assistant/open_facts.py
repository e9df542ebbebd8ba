"""Which facts of an achievement are still open: what the dialogue asks for, and what tells the
optional LLM that the deterministic reading needs help."""

from __future__ import annotations

from assistant.models import AchievementFacts
from calculators.achievement_types import achievement_types


def missing_fields(achievement: AchievementFacts) -> list[str]:
    """The fields the type registry requires (or the city left ambiguous) that are still open."""
    spec = achievement_types()[achievement.type]
    return [
        f.name
        for f in spec.fields
        if f.name not in achievement.fields and (f.required or f.name in achievement.candidates)
    ]
