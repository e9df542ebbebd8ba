"""Understand one message: normalise once → the facts (extraction) and what it asks (intents).

`understand` is the first step of a chat turn (understand → decide → compute → render → store).
The intents come from three voices: the nearest labelled examples (assistant/intents.py), keyword
cues (lexicon.yaml `intents:`) and the facts themselves (an achievement and a city make an amount
question; two cities and an achievement a comparison). A message may ask several things; the
first intent is the one the answer leads with.
"""

from __future__ import annotations

import datetime as dt
import re

from pydantic import BaseModel, Field

from assistant import intents as intent_vote
from assistant.extraction import extract
from assistant.lexicon import lexicon, normalise
from assistant.models import Extraction

CUE_WEIGHT = 0.6
BARE_CHARS = 6  # a message this short that states a fact is a reply, not a new topic
KEEP = 0.55  # an intent is answered when its score reaches this
# the info sections of the older keyword reader, by the contract's intent they belong to
INFO_INTENT = {
    "conditions": "eligibility",
    "validity": "status",
    "materials": "apply",
    "office": "apply",
    "timing": "apply",
}


class Understanding(BaseModel):
    message: str
    text: str  # normalised: simplified script, NFKC, lower case
    facts: Extraction
    intents: list[str] = Field(default_factory=list)  # the contract's names, the leading one first
    scores: dict[str, float] = Field(default_factory=dict)
    cues: list[str] = Field(default_factory=list)
    situations: list[str] = Field(default_factory=list)  # eligibility: penalized, prior_funding …
    compare_all: bool = False  # 哪个城市…最多: every city with amounts
    cities: list[str] = Field(default_factory=list)  # several regions named (compare them)
    states_facts: bool = (
        False  # the message tells facts of the case (天津 / 我们公司在天津), asks nothing else
    )

    @property
    def english(self) -> bool:
        return self.facts.english

    @property
    def primary(self) -> str | None:
        return self.intents[0] if self.intents else None


# a yes/no question about applying: 还能再申请吗, 能按主持制定申请资助吗, 可以先申请吗
_YES_NO_APPLY = re.compile(
    r"(能|可以|可否|能否|能不能|可不可以|是否可以|是否能|还会|会不会)[^，。,；;]{0,16}"
    r"(申请|申报|拿|领|给|奖|享受|参加|参评|算|受理|补报)[^，。,；;多少]{0,10}(吗|么|\?|？)"
)


def _has(text: str, words: tuple[str, ...]) -> bool:
    return any(w and w in text for w in words)


def _cues(text: str, ext: Extraction) -> list[str]:
    lex = lexicon()
    found = [
        name
        for name in ("compare", "city_menu", "eligibility", "apply", "definition")
        if _has(text, lex.intents[name])
    ]
    found += [INFO_INTENT[i] for i in ext.intents if i in INFO_INTENT]
    if _has(text, lex.intents["amount"]):  # 多少 / 能拿: a money word alone (资助) asks nothing yet
        found.append("amount")
    if (ext.greeting or ext.thanks or _has(text, lex.intents["smalltalk"])) and len(text) <= 24:
        found.append("smalltalk")
    return list(dict.fromkeys(found))


def _situations(text: str) -> list[str]:
    return [name for name, words in lexicon().situations.items() if _has(text, words)]


def _named_cities(text: str) -> list[str]:
    """The regions the message names by their own names (山东 alone names none of its cities)."""
    lex = lexicon()
    named = [
        lex.places[m.group(0)]
        for m in lex.place_pattern.finditer(text)
        if m.group(0) in lex.places and not lex.place_aside_before.search(text[: m.start()])
    ]
    return list(dict.fromkeys(named))


def understand(message: str, today: dt.date | None = None) -> Understanding:
    """The facts and intents of one message (the message is normalised once, here)."""
    ext = extract(message, today)
    text = normalise((message or "")[:4000])
    lex = lexicon()
    cues = _cues(text, ext)
    vote = intent_vote.vote(text) if text else None
    scores = {name: (vote.share(name) if vote else 0.0) for name in intent_vote.INTENTS}
    for name in cues:
        scores[name] = scores.get(name, 0.0) + CUE_WEIGHT
    cities = _named_cities(text)
    several = len(cities) > 1  # named one by one (山东 alone names none of them: it is asked)
    asks_other = any(c in cues for c in ("definition", "eligibility", "status", "apply", "city_menu"))
    if ext.achievements and ("amount" in cues or not asks_other):
        scores["amount"] += 0.3
        scores["definition"] -= 0.3  # 主导制定国家标准能拿多少 is not a definition question
    if _YES_NO_APPLY.search(text) and "amount" not in cues:
        scores["eligibility"] += CUE_WEIGHT
        cues.insert(0, "eligibility")  # 还能申请吗 asks yes or no, whatever else it names
    domain_words = _has(text, lex.intents["domain"])
    if several and (ext.achievements or ("amount" in cues and domain_words)):
        scores["compare"] += 1.0  # two cities and one achievement: priced side by side, not "which one?"
        scores["amount"] -= 0.5
        cues.insert(0, "compare")  # the facts say it as plainly as a word would
    if (
        "compare" in cues
        and ext.city
        and ext.achievements
        and not several
        and not _has(text, lex.words["every_city"])
    ):
        cues.remove("compare")  # 佛山主导制定国家标准最多多少: 最多 asks that city's ceiling
        scores["compare"] -= CUE_WEIGHT + 0.5
    if "compare" in cues and not ext.achievements and not several:
        scores["compare"] -= 0.3  # 最高 / 更多 alone, with nothing to compare
    situations = _situations(text)
    if situations and ("eligibility" in cues or _has(text, ("申请", "申报", "apply"))):
        scores["eligibility"] += 0.4
    # a place or a date alone is not this domain (北京天气怎么样); an achievement, a domain word, or a
    # message that is nothing but the facts (天津 / 2022年) is
    # …and a statement of facts (我们公司在天津) is the user telling about their case
    # (a count alone is not a fact of the case: 推荐一个健身计划)
    of_the_case = bool(ext.city or ext.city_candidates or ext.achievements or ext.loose or ext.grant_date)
    stated = of_the_case and (_bare(text) or not _ASKS.search(text))
    domain = domain_words or bool(ext.achievements) or stated
    if ext.city and not ext.achievements and _bare(text) and not cues:
        scores["city_menu"] += CUE_WEIGHT  # 天津 alone, with nothing asked before: what 天津 pays
    if domain:
        scores["out_of_scope"] = 0.0
        scores["smalltalk"] -= 0.3 if not _short_social(text) else 0.0
    else:  # nothing of this domain: out of scope unless the conversation says otherwise (decide)
        for name in ("amount", "compare", "city_menu", "eligibility", "apply", "status", "definition"):
            scores[name] -= CUE_WEIGHT
    ranked = sorted((s, n) for n, s in scores.items())
    ranked.reverse()
    chosen = [n for s, n in ranked if s >= KEEP]
    if not chosen and ranked and ranked[0][0] >= 0.3:
        chosen = [ranked[0][1]]
    # a cue-less second intent rides only on the vote's clear first choice
    chosen = [n for i, n in enumerate(chosen) if i == 0 or n in cues]
    # what the words say leads what the examples suggest (还管用不: status, not the city's menu)
    chosen.sort(key=lambda n: n not in cues)
    if "out_of_scope" in chosen and domain:
        chosen.remove("out_of_scope")
    if not domain and (not chosen or chosen[0] not in ("smalltalk", "out_of_scope")):
        chosen = ["out_of_scope"]  # 1234 乘以 5678 等于多少 asks an amount, but not of this domain
    if chosen[:1] == ["smalltalk"] and "smalltalk" not in cues and not _social(text):
        chosen = ["out_of_scope"]  # 讲个笑话 / 电脑开不了机: off topic, not a word to the assistant
    compare_all = "compare" in chosen and not several
    return Understanding(
        message=message or "",
        text=text,
        facts=ext,
        intents=chosen,
        scores={k: round(v, 3) for k, v in scores.items()},
        cues=cues,
        situations=situations,
        compare_all=compare_all,
        cities=cities if several else [],
        states_facts=stated,
    )


_ASKS = re.compile(r"[?？吗呢]|怎么|什么|多少|哪|几|how|what|which|when|where")


def _bare(text: str) -> bool:
    """Only a few characters besides punctuation: a reply that states a fact (天津 / 在郑州)."""
    return len(re.sub(r"\W", "", text)) <= BARE_CHARS


_ADDRESSES = re.compile(
    r"你|您|机器人|客服|\bai\b|\bbot\b|thank|hello|\bhi\b|good (morning|afternoon|evening|night)|bye"
)


def _social(text: str) -> bool:
    """A word to the assistant itself: short (早啊, 晚安), or addressing it (你是人工客服还是AI)."""
    return _short_social(text) or bool(_ADDRESSES.search(text))


def _short_social(text: str) -> bool:
    return len(re.sub(r"\W", "", text)) <= 8
