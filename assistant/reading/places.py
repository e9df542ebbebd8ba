"""The place a message is about: the region it names, the cities a province stands for, or a
place the corpus has no policy for."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.lexicon import lexicon
from knowledge.regions import all_regions


@dataclass(frozen=True)
class PlacesSaid:
    city: str | None = None
    city_candidates: tuple[str, ...] = ()  # 山东 → the Shandong cities we hold
    place_word: str | None = None  # the place as written
    unknown_place: str | None = None  # a place the corpus has no policy for


def read_places(text: str) -> PlacesSaid:
    lex = lexicon()
    named: list[tuple[re.Match[str], str]] = []
    place_word: str | None = None
    candidates: tuple[str, ...] = ()
    unknown: str | None = None
    for match in lex.place_pattern.finditer(text):
        word = match.group(0)
        if word in lex.places:
            named.append((match, lex.places[word]))
            place_word = word
        elif word in lex.groups:
            if not candidates:
                candidates = tuple(lex.groups[word])
                place_word = place_word or word
        elif word in lex.other_places:
            unknown = word
    if not named:
        return PlacesSaid(None, candidates, place_word, unknown)
    meant = _meant_regions(text, named)
    if len(meant) == 1:
        return PlacesSaid(meant[0], (), place_word, None)
    # 北京和天津分别能拿多少: the assistant asks which one, it never picks one
    return PlacesSaid(None, tuple(meant), place_word, None)


def _meant_regions(text: str, named: list[tuple[re.Match[str], str]]) -> list[str]:
    """The regions the applicant may be in, in the order named; one when the message says which.

    One region named twice, or with its district (天津滨海新区) or province (江苏省泰州市), is one. Of
    several, the one switched to is meant (天津的不行，换成郑州); those set aside (不是北京，是天津) and
    those named only as an achievement's own (我们在天津，参与了北京市地方标准) are not.
    """
    lex = lexicon()
    province_of = {r.id: r.province for r in all_regions()}
    provinces = {r.id for r in all_regions() if r.level == "province"}
    regions = list(dict.fromkeys(region for _, region in named))
    regions = [
        r
        for r in regions
        if r not in provinces or not any(o != r and province_of[o] == province_of[r] for o in regions)
    ]
    if len(regions) <= 1:
        return regions
    switched = [r for m, r in named if lex.place_switch.search(text, max(0, m.start() - 6), m.start())]
    if switched:
        return switched[-1:]
    aside = {
        r
        for m, r in named
        if lex.place_aside_before.search(text, max(0, m.start() - 6), m.start())
        or lex.place_aside_after.match(text, m.end())
    }
    kept = [r for r in regions if r not in aside] or regions
    plain = {r for m, r in named if not lex.place_qualifies.match(text, m.end())}
    applicant = [r for r in kept if r in plain]
    return applicant if len(applicant) == 1 else kept
