"""Keyword cues of a message (assistant/lexicon.yaml): what it asks (amount, conditions, validity,
materials, office, timing) and how it is said (a what-if, an addition, a greeting, thanks, an
injection attempt)."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.lexicon import lexicon
from foundation.text import contains_any

_ASKED = ("conditions", "validity", "materials", "office", "timing")


@dataclass(frozen=True)
class Cues:
    intents: tuple[str, ...] = ()
    whatif: bool = False
    addition: bool = False
    injection: bool = False
    greeting: bool = False
    thanks: bool = False


def read_cues(text: str) -> Cues:
    lex = lexicon()
    found = [name for name in _ASKED if contains_any(text, lex.intents[name])]
    if "validity" in found and "timing" in found:
        found.remove("timing")  # 什么时候到期 asks about validity, not the application window
    if contains_any(text, lex.intents["amount"]) or (
        not found and contains_any(text, lex.intents["amount_weak"])
    ):
        found.insert(0, "amount")
    words = lex.words
    return Cues(
        intents=tuple(found),
        whatif=contains_any(text, words["whatif"]),
        addition=contains_any(text, words["addition"]),
        injection=contains_any(text, words["injection"]),
        greeting=contains_any(text, words["greeting"]) and len(text) <= 20,
        thanks=contains_any(text, words["thanks"]) and len(text) <= 12,
    )
