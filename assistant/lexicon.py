"""The phrase lexicon (assistant/lexicon.yaml) compiled for one-pass scanning."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

from foundation.text import CJK_TEXT
from knowledge.regions import all_regions, place_groups
from knowledge.simplified import to_simplified
from knowledge.user_data import follows_user_data


@dataclass(frozen=True)
class Entry:
    """What one phrase means: an achievement anchor, a field value, or nothing (ignore)."""

    kind: str  # anchor | field | ignore
    type: str | None = None  # anchors: the achievement type
    fields: dict[str, Any] = field(default_factory=dict)  # anchors: values (a list = candidates)
    weak: bool = False
    converts: bool = False  # anchors: 团标转化为国家标准 — re-levels the standard named before it
    field: str | None = None  # fields: the field name
    value: Any = None  # fields: one value, or a list of candidate values (制修订 → draft or revise)
    implies: str | None = None
    implies_alone: bool = False  # `implies` only when the message names no achievement at all
    adjacent: bool = False  # applies only to an achievement named right after it


@dataclass(frozen=True)
class Lexicon:
    entries: dict[str, Entry]  # normalised phrase -> meaning
    pattern: re.Pattern[str]  # all phrases, longest first
    places: dict[str, str]  # normalised place name -> region id
    groups: dict[str, tuple[str, ...]]  # 山东 -> the regions of it the corpus holds
    place_pattern: re.Pattern[str]
    other_places: tuple[str, ...]
    place_switch: re.Pattern[str]  # ends the text before a place the message switches to: 换成(在)
    place_aside_before: re.Pattern[str]  # ends the text before a place set aside: 不是(在)
    place_aside_after: re.Pattern[str]  # starts the text after a place set aside: (的)不行
    place_qualifies: re.Pattern[str]  # starts the text after a place naming an achievement: (级)地方标准
    intents: dict[str, tuple[str, ...]]
    situations: dict[str, tuple[str, ...]]  # eligibility: the applicant's situation -> its words
    words: dict[str, tuple[str, ...]]  # whatif, addition, injection, greeting, thanks, affirmative, besides
    negation: re.Pattern[str]  # a negation word (not inside a question: 是不是)
    negation_turn: re.Pattern[str]  # where a negation's reach ends: 而是, 只是
    agency_applicant: tuple[str, ...]  # 标准化服务机构 naming itself
    agency_helps: tuple[str, ...]  # 协助, 帮助
    agency_kinds: dict[str, tuple[str, ...]]  # standardization_project kind -> what the help achieved


def _alternation(phrases: list[str]) -> str:
    parts = []
    for phrase in sorted(set(phrases), key=lambda p: (-len(p), p)):
        escaped = re.escape(phrase)
        if re.fullmatch(r"[a-z0-9 \-]+", phrase):  # ascii words must not sit inside longer words
            escaped = rf"(?<![a-z0-9]){escaped}(?![a-z0-9])"
        elif phrase.endswith("标"):
            # an abbreviation (行标, 国标, 地标, 团标) followed by 准 is the inside of a longer word:
            # 推行标准化, 执行标准, 各地标准, 集团标准
            escaped = rf"{escaped}(?!准)"
        parts.append(escaped)
    return "|".join(parts)


_QUOTES = "“”\"'‘’「」『』《》〈〉"


def normalise(text: str) -> str:
    """Simplified script, NFKC, lower case, no quote marks or emoji, no spaces next to Chinese characters.

    Traditional characters are folded (國家標準 → 国家标准, 臨沂 → 临沂) so both scripts match the
    lexicon; only the matching text is folded, quotes elsewhere stay verbatim.
    """
    text = unicodedata.normalize("NFKC", to_simplified(text or "")).lower()
    text = "".join(ch for ch in text if ch not in _QUOTES and unicodedata.category(ch) not in ("So", "Cs"))
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(rf"\s+(?={CJK_TEXT})|(?<={CJK_TEXT})\s+", "", text)
    return text.strip()


@follows_user_data
def lexicon() -> Lexicon:
    text = resources.files("assistant").joinpath("lexicon.yaml").read_text("utf-8")
    raw = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml: 20× faster
    entries: dict[str, Entry] = {}
    for spec in raw["ignore"]:
        entries[normalise(spec)] = Entry(kind="ignore")
    for spec in raw["fields"]:
        for phrase in spec["phrases"]:
            entries.setdefault(
                normalise(str(phrase)),
                Entry(
                    kind="field",
                    field=spec["field"],
                    value=list(spec["values"]) if "values" in spec else spec["value"],
                    implies=spec.get("implies"),
                    implies_alone=bool(spec.get("implies_alone")),
                    adjacent=bool(spec.get("adjacent")),
                ),
            )
    for spec in raw["anchors"]:
        meaning = Entry(
            kind="anchor",
            type=spec["type"],
            fields=dict(spec.get("fields") or {}),
            weak=bool(spec.get("weak")),
            converts=bool(spec.get("converts")),
        )
        for phrase in spec["phrases"]:
            key = normalise(str(phrase))
            if entries.get(key, Entry(kind="none")).kind != "ignore":
                entries[key] = meaning  # an anchor outranks a field value with the same spelling

    places: dict[str, str] = {}
    for region in all_regions():
        for name in (region.id, region.name, *region.aliases):
            places[normalise(name)] = region.id
    for region in all_regions():
        for name in region.districts:
            places.setdefault(normalise(name), region.id)
    groups = {normalise(k): v for k, v in place_groups().items()}
    other = tuple(normalise(p) for p in raw.get("other_places") or ())

    choice = {k: _alternation([normalise(w) for w in v]) for k, v in raw["place_choice"].items()}
    negation = raw["negation"]
    not_after = "".join(re.escape(normalise(w)) for w in negation["not_after"])
    agency = raw["service_agency"]
    return Lexicon(
        entries=entries,
        pattern=re.compile(_alternation(list(entries))),
        places=places,
        groups=groups,
        place_pattern=re.compile(_alternation([*places, *groups, *other])),
        other_places=other,
        place_switch=re.compile(rf"(?:{choice['switch_to']})在?$"),
        place_aside_before=re.compile(rf"(?:{choice['set_aside_before']})在?$"),
        place_aside_after=re.compile(rf"的?(?:{choice['set_aside_after']})"),
        place_qualifies=re.compile(rf"级?(?:{choice['qualifies']})"),
        intents={k: tuple(normalise(w) for w in v) for k, v in raw["intents"].items()},
        situations={k: tuple(normalise(w) for w in v) for k, v in raw["situations"].items()},
        words={
            key: tuple(normalise(w) for w in raw[key])
            for key in (
                "whatif",
                "addition",
                "injection",
                "greeting",
                "thanks",
                "affirmative",
                "besides",
                "every_city",
            )
        },
        negation=re.compile(
            rf"(?<![{not_after}])(?:{_alternation([normalise(w) for w in negation['words']])})"
        ),
        negation_turn=re.compile(_alternation([normalise(w) for w in negation["turn"]])),
        agency_applicant=tuple(normalise(w) for w in agency["applicant"]),
        agency_helps=tuple(normalise(w) for w in agency["helps"]),
        agency_kinds={k: tuple(normalise(w) for w in v) for k, v in agency["kinds"].items()},
    )
