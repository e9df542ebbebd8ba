"""Deterministic fact extraction: a Chinese message → the calculator's request fields.

No model and no key. One scan over the message finds the lexicon's phrases
(assistant/lexicon.yaml, longest match first); achievements are built clause by clause:
a field word applies to the achievements that follow it in its clause (主导制定国标和行标),
else to the one before it (国标是我们牵头的); a count applies to the achievement next to it
(两项国标 / 国标两项 / 国标x2, 各一项 to all; a clause that is only a count — 3个产品入选 — counts
the achievement before it). A field the clause leaves open takes the message's only value for
it (我们是第一起草单位，制定了两项国标). A word that fits several values (制修订) leaves them as
candidates, for the city's rules to decide or the assistant to ask. The readers that need no
clause structure (places, dates, counts, cue words) are in assistant/reading/.

The message is read in simplified script (臨沂 = 临沂). What a negation governs names nothing (不是
一个标准的若干部分; 不是多部门联合的 → false); a bare 标准 with only a count is the unit of the other
achievement named (国家级领跑者，一个标准); an SC/WG right after its committee refines it and keeps its
scope (全国…委员会下面一个SC); a level joined to an achievement of another level is one more of it
(既是国家级又是省级领跑者).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from assistant import optional_facts
from assistant.lexicon import lexicon, normalise
from assistant.models import AchievementFacts, Extraction, LooseField
from assistant.reading.counts import read_counts
from assistant.reading.cues import read_cues
from assistant.reading.dates import read_dates
from assistant.reading.places import read_places
from calculators.achievement_types import achievement_types
from foundation.limits import MAX_CHAT_ACHIEVEMENTS, MAX_MESSAGE_CHARS
from foundation.text import CJK_TEXT, contains_any

__all__ = ["accepts_value", "extract", "normalise", "unread_counts"]

MAX_CHARS = MAX_MESSAGE_CHARS  # longer messages are read up to here
MAX_ACHIEVEMENTS = MAX_CHAT_ACHIEVEMENTS

_CONJ = re.compile(r"和|及|以及|与|跟|、|并且|加上|还有")
_SEPARATOR = re.compile(r"[，,。；;！!？?\n]|(?<!\d)\.(?!\d)")


def unread_counts(message: str) -> list[str]:
    """The count phrases of a message that state no usable count (1.5项, 0项, 上百个, 两三项), as
    written: the message's achievements keep no count from them, and the answer should say so."""
    return _scan(normalise((message or "")[:MAX_CHARS]))[1]


@dataclass
class _Token:
    start: int
    end: int
    kind: str  # anchor | field | count | conj
    entry: Any = None
    count: int | None = None
    each: bool = False
    used: bool = False


@dataclass
class _Group:
    type: str
    fields: dict[str, Any] = field(default_factory=dict)
    candidates: dict[str, list[Any]] = field(default_factory=dict)
    count: int | None = None
    start: int = 0
    said: str | None = None
    weak: bool = False  # named only by a bare 标准
    source: _Group | None = None  # 参与修订 1项: the achievement it is one more of
    converts: bool = False  # 转化为国家标准: the level of the standard named before it


def _field_name(type_name: str, name: str) -> str | None:
    """The type's own name for a field word (`level` is `scope` for tc_secretariat)."""

    spec = achievement_types().get(type_name)
    if spec is None:
        return None
    if spec.field(name):
        return name
    if name == "level" and spec.field("scope"):
        return "scope"
    return None


def accepts_value(type_name: str, name: str, value: Any) -> str | None:
    """The field name under which `type_name` takes `value`, or None."""

    own = _field_name(type_name, name)
    if own is None:
        return None
    spec = achievement_types()[type_name].field(own)
    assert spec is not None
    wanted = value if isinstance(value, list) else [value]
    fits = all(any(v == w and type(v) is type(w) for v in spec.values) for w in wanted)
    return own if wanted and fits else None


def _assign(group: _Group, name: str, value: Any) -> bool:
    """Set a field the group leaves open: one value, or the candidates a word fits (制修订).

    A value outside the candidates the achievement's own word allows is not its value: in
    国家标准化示范项目…主导制定了一项地方标准 the 国家 of the pilot does not make the 地方标准 national.
    """
    options = group.candidates.get(name)
    if isinstance(value, list):
        if options is not None:
            return set(map(repr, value)) >= set(map(repr, options))
        group.candidates[name] = list(value)
        return True
    if options is not None and value not in options:
        return False
    group.fields[name] = value
    group.candidates.pop(name, None)
    return True


def _set_anchor_fields(group: _Group, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        if isinstance(value, list):
            if name not in group.fields:
                group.candidates[name] = list(value)
        else:
            group.fields[name] = value
            group.candidates.pop(name, None)


def _refines(group: _Group, fields: dict[str, Any]) -> bool:
    """全国XX标准化技术委员会的分委会秘书处: the committee named first is the parent of the SC/WG."""
    return (
        group.type == "tc_secretariat"
        and group.fields.get("body") == "TC"
        and fields.get("body") in ("SC", "WG")
    )


def _conflicts(group: _Group, type_name: str, fields: dict[str, Any]) -> bool:
    if group.type != type_name:
        return True
    if _refines(group, fields):
        return False
    return any(
        name in group.fields and not isinstance(value, list) and group.fields[name] != value
        for name, value in fields.items()
    ) or any(name in group.candidates and isinstance(value, list) for name, value in fields.items())


def _negate(text: str, tokens: list[_Token]) -> list[_Token]:
    """Drop what a negation governs (不是一个标准的若干部分); a negated yes/no field becomes false
    (不是多部门联合的区域性项目). The reach ends at a clause end or a turn word (而是), and takes the
    first achievement after it only when no 的 makes that achievement the head of the negated words."""
    lex = lexicon()
    dropped: set[int] = set()
    flipped: set[int] = set()
    for match in lex.negation.finditer(text):
        if any(t.start <= match.start() < t.end for t in tokens if t.kind != "conj"):
            continue  # inside a phrase of the lexicon
        separator = _SEPARATOR.search(text, match.end())
        end = separator.start() if separator else len(text)
        turn = lex.negation_turn.search(text, match.end(), end)
        end = turn.start() if turn else end
        # 不需要多个部门联合建设的国家级试点: an achievement after a 的 is the head the negated words
        # describe; the reach ends at that 的 (不是一个标准的若干部分: no 的 before 标准, it is negated)
        head = next((t for t in tokens if t.kind == "anchor" and match.end() <= t.start < end), None)
        if head is not None:
            modifier_end = text.rfind("的", match.end(), head.start)
            end = modifier_end if modifier_end >= 0 else head.end
        for index, token in enumerate(tokens):
            if token.start < match.end() or token.start >= end or token.kind == "conj":
                continue
            if token.kind == "field" and token.entry.value is True:
                flipped.add(index)
            else:
                dropped.add(index)
    for index in flipped - dropped:
        tokens[index].entry = dataclasses.replace(tokens[index].entry, value=False)
    return [t for i, t in enumerate(tokens) if i not in dropped]


def _phrases(text: str) -> list[_Token]:
    """The lexicon's phrases in the message, longest match first."""
    lex = lexicon()
    tokens = []
    for match in lex.pattern.finditer(text):
        entry = lex.entries.get(match.group(0))
        if entry is None or entry.kind == "ignore":
            continue
        tokens.append(_Token(match.start(), match.end(), entry.kind, entry=entry))
    return tokens


def _scan(text: str) -> tuple[list[_Token], list[str]]:
    """The message's tokens in text order, and the count phrases no count can be read from."""
    tokens = _phrases(text)
    taken = [(t.start, t.end) for t in tokens]
    counts, unread = read_counts(text, taken)
    tokens += [_Token(c.start, c.end, "count", count=c.value, each=c.each) for c in counts]
    for match in _CONJ.finditer(text):
        if not any(s <= match.start() < e for s, e in taken):
            tokens.append(_Token(match.start(), match.end(), "conj"))
    return _negate(text, sorted(tokens, key=lambda t: t.start)), unread


def _clauses(text: str, tokens: list[_Token]) -> list[list[_Token]]:
    cuts = [m.start() for m in _SEPARATOR.finditer(text)] + [len(text) + 1]
    clauses: list[list[_Token]] = [[] for _ in cuts]
    for token in tokens:
        index = next(i for i, cut in enumerate(cuts) if token.start < cut)
        clauses[index].append(token)
    return [c for c in clauses if c]


def _supported(clause: list[_Token], by_count: bool) -> bool:
    """A weak anchor (bare 标准) names an achievement only next to a role/action/level word, or a
    count when the message names no other achievement: 国家级领跑者，一个标准 counts the 领跑者."""
    return any(
        (by_count and t.kind == "count")
        or (t.kind == "field" and t.entry.field in ("role", "action", "level"))
        for t in clause
    )


def _elided(last: _Group, words: list[_Token], count: _Token, differ: bool = True) -> _Group | None:
    """行业标准 主持修订 2项，参与修订 1项: a count after field words, with no achievement of its own,
    is one more of the achievement named next to it, with those fields (that must differ) changed."""
    fields = {}
    for word in words:
        name = accepts_value(last.type, word.entry.field, word.entry.value)
        if name and not isinstance(word.entry.value, list):
            fields[name] = word.entry.value
    if not fields or (differ and all(last.fields.get(k) == v for k, v in fields.items())):
        return None
    group = _Group(
        type=last.type, fields={**last.fields, **fields}, start=count.start, count=count.count, source=last
    )
    group.candidates = {k: list(v) for k, v in last.candidates.items() if k not in fields}
    for word in words:
        word.used = True
    count.used = True
    return group


def _coordinated(text: str, clause: list[_Token], groups: list[_Group]) -> list[_Group]:
    """国家级和省级领跑者, 既拿了国家级又拿了省级标准领跑者, 国家和行业标准: a level word joined to
    the next achievement's own, different level is one more of that achievement at that level."""
    out = list(groups)
    for token in clause:
        if token.kind != "field" or token.used or token.entry.adjacent or token.entry.field != "level":
            continue
        if isinstance(token.entry.value, list):
            continue
        after = [g for g in groups if g.start > token.start]
        if not after:
            continue
        target = min(after, key=lambda g: g.start)
        name = accepts_value(target.type, "level", token.entry.value)
        between = text[token.end : target.start]
        joined = (
            any(t.kind == "conj" and token.end <= t.start < target.start for t in clause) or "又" in between
        )
        if (
            name is None
            or name not in target.fields
            or target.fields[name] == token.entry.value
            or not joined
        ):
            continue
        twin = _Group(
            type=target.type,
            fields={**target.fields, name: token.entry.value},
            candidates={k: list(v) for k, v in target.candidates.items()},
            count=target.count,
            start=token.start,
        )
        out.insert(out.index(target), twin)
        token.used = True
    return out


def _groups_of_clause(text: str, clause: list[_Token], count_names: bool = True) -> list[_Group]:
    groups: list[_Group] = []
    active: dict[str, _Token] = {}  # field word seen in this clause, by field
    pending_count: _Token | None = None
    trail: list[_Token] = []  # field words since the last achievement or count
    # counts not yet placed, with the field words before each: 主持修订2项、参与修订1项(行业标准)
    waiting: list[tuple[_Token, list[_Token]]] = []

    broken = False  # a conjunction or count since the last achievement
    joined = False  # a conjunction since the last achievement (a count still lets an SC refine its TC)
    for position, token in enumerate(clause):
        if token.kind == "field" and token.entry.adjacent:
            following = clause[position + 1] if position + 1 < len(clause) else None
            if following is None or following.kind != "anchor" or following.start != token.end:
                continue
        if token.kind == "anchor":
            entry = token.entry
            if entry.weak and not _supported(clause, count_names):
                continue
            token.used = True
            last = groups[-1] if groups else None
            if (
                last is not None
                and (not broken or (not joined and _refines(last, entry.fields)))
                and not entry.converts
                and not _conflicts(last, entry.type, entry.fields)
            ):
                _set_anchor_fields(last, entry.fields)
                group = last
                group.weak = group.weak and entry.weak
            else:
                group = _Group(type=entry.type, start=token.start, weak=entry.weak, converts=entry.converts)
                _set_anchor_fields(group, entry.fields)
                for count, words in waiting[:-1]:  # 主持修订2项、参与修订1项行业标准: the first ones too
                    earlier = _elided(group, words, count, differ=False)
                    if earlier is not None:
                        groups.append(earlier)
                groups.append(group)
            if any(isinstance(v, list) for v in entry.fields.values()):
                group.said = text[token.start : token.end]
            for word in active.values():
                name = accepts_value(group.type, word.entry.field, word.entry.value)
                if name and name not in group.fields and _assign(group, name, word.entry.value):
                    word.used = True
            if pending_count is not None and group.count is None:
                group.count = pending_count.count
                pending_count.used = True
                pending_count = None
            waiting, trail = [], []
            broken = joined = False
        elif token.kind == "field":
            active[token.entry.field] = token
            trail.append(token)
            last = groups[-1] if groups else None
            if last is not None and not joined and _refines(last, {token.entry.field: token.entry.value}):
                last.fields["body"] = token.entry.value  # ISO/TC 22/SC 3, 全国…委员会下面一个WG
                token.used = True
        elif token.kind == "count":
            if token.each:
                for group in groups:
                    if group.count is None:
                        group.count = token.count
                        token.used = True
            elif groups and groups[-1].count is None and not broken:
                groups[-1].count = token.count
                token.used = True
            else:
                pending_count = token
                waiting.append((token, list(trail)))
            trail = []
            broken = True
        elif token.kind == "conj":
            broken = joined = True
    for count, words in waiting:  # 行业标准 主持修订2项 参与修订1项: one more of the one named before
        extra = _elided(groups[-1], words, count) if groups and not count.used else None
        if extra is not None:
            groups.append(extra)
    groups = _coordinated(text, clause, groups)
    # a field word after the achievements it describes: 国标是我们牵头的
    for token in clause:
        if token.kind != "field" or token.used or token.entry.adjacent:
            continue
        for group in reversed([g for g in groups if g.start < token.start]):
            name = accepts_value(group.type, token.entry.field, token.entry.value)
            if name and name not in group.fields and _assign(group, name, token.entry.value):
                token.used = True
                break
    for group in groups:  # 主持修订 2项，参与 1项: the second is a 修订 too
        if group.source is not None:
            for name, value in group.source.fields.items():
                group.fields.setdefault(name, value)
    return groups


def _merge_weak(groups: list[_Group]) -> list[_Group]:
    """A bare 标准 with no level (标准前言里排名第一…，制定了一项行标) describes the levelled standard
    the message names, when their facts agree: it adds its role/action/count to the nearest one."""
    out = list(groups)
    for weak in [g for g in groups if g.weak and g.type == "standard"]:
        if "level" in weak.fields or weak.candidates.get("level"):
            continue
        targets = [
            g
            for g in out
            if g is not weak
            and g.type == "standard"
            and not g.weak
            and ("level" in g.fields or g.candidates.get("level"))
            and all(g.fields.get(k, v) == v for k, v in weak.fields.items())
            and (weak.count is None or g.count in (None, weak.count))
        ]
        if not targets:
            continue
        target = min(targets, key=lambda g: abs(g.start - weak.start))
        for name, value in weak.fields.items():
            target.fields.setdefault(name, value)
            target.candidates.pop(name, None)
        for name, options in weak.candidates.items():
            if name not in target.fields:
                target.candidates.setdefault(name, options)
        target.count = target.count if target.count is not None else weak.count
        out.remove(weak)
    return out


def _merge_conversions(groups: list[_Group]) -> list[_Group]:
    """团体标准（后来）转化为国家标准: one standard, at the level it was converted to."""
    out: list[_Group] = []
    for group in groups:
        source = next((g for g in reversed(out) if g.type == group.type), None)
        if not group.converts or source is None:
            out.append(group)
            continue
        for name, value in group.fields.items():
            if name == "level" or name not in source.fields:
                source.fields[name] = value
                source.candidates.pop(name, None)
        source.count = source.count if source.count is not None else group.count
    return out


def _fill_from_message(groups: list[_Group], tokens: list[_Token]) -> None:
    """A field a clause left open takes the message's single value for it."""

    for group in groups:
        spec = achievement_types()[group.type]
        for fspec in spec.fields:
            if fspec.name in group.fields:
                continue
            words = [
                t
                for t in tokens
                if t.kind == "field"
                and not t.entry.adjacent
                and accepts_value(group.type, t.entry.field, t.entry.value) == fspec.name
            ]
            if not words:
                continue
            fixed = {repr(t.entry.value): t.entry.value for t in words if not isinstance(t.entry.value, list)}
            ranges = {repr(t.entry.value): t.entry.value for t in words if isinstance(t.entry.value, list)}
            if len(fixed) == 1 and all(next(iter(fixed.values())) in r for r in ranges.values()):
                value = next(iter(fixed.values()))  # 参与制定…申请制修订的: 制定 is the one both fit
            elif not fixed and len(ranges) == 1:
                value = next(iter(ranges.values()))
            else:
                continue
            if _assign(group, fspec.name, value):
                for t in words:
                    t.used = True


def _service_agency(text: str, groups: list[_Group]) -> None:
    """我们是标准化咨询服务机构，协助企业完成了国家级试点: the agency's service is the achievement
    (standardization_project), not the pilot it helped with."""
    lex = lexicon()
    if not (contains_any(text, lex.agency_applicant) and contains_any(text, lex.agency_helps)):
        return
    said = [kind for kind, words in lex.agency_kinds.items() if contains_any(text, words)]
    for group in groups:
        if group.type == "pilot_project":
            group.type, group.fields = "standardization_project", {}
            group.candidates = {"kind": said if len(said) == 1 else list(lex.agency_kinds)}
            group.said = None


def extract(message: str, today: dt.date | None = None) -> Extraction:
    """Read the facts of one message; `today` anchors 去年/今年/前年."""
    today = today or dt.date.today()
    raw = message or ""
    out = Extraction(truncated=len(raw) > MAX_CHARS)
    text = normalise(raw[:MAX_CHARS])
    letters = len(re.findall(r"[a-z]", text))
    out.english = letters > 0 and not re.search(CJK_TEXT, text)
    if not text:
        return out
    place = read_places(text)
    out.city, out.city_candidates = place.city, list(place.city_candidates)
    out.place_word, out.unknown_place = place.place_word, place.unknown_place
    dates = read_dates(text, today)
    out.achieved, out.grant_date = dates.achieved, dates.grant_date
    cues = read_cues(text)
    out.intents = list(cues.intents)
    out.whatif, out.addition, out.injection = cues.whatif, cues.addition, cues.injection
    out.greeting, out.thanks = cues.greeting, cues.thanks

    tokens, out.unread_counts = _scan(text)
    groups: list[_Group] = []
    held: _Token | None = None  # a count-only clause before any achievement: 3个产品，被评为…
    # a bare 标准 with only a count is the unit of another achievement the message names
    count_names = not any(t.kind == "anchor" and not t.entry.weak for t in tokens)
    for clause in _clauses(text, tokens):
        found = _groups_of_clause(text, clause, count_names)
        if found:
            if held is not None and found[0].count is None:
                found[0].count, held.used = held.count, True
            held = None
        elif all(t.kind in ("count", "conj") or (t.kind == "anchor" and t.entry.weak) for t in clause):
            count = next((t for t in clause if t.kind == "count"), None)
            previous = groups[-1] if groups else None
            if count is not None and previous is not None and previous.count is None:
                previous.count, count.used = count.count, True  # 市级领跑者，3个产品入选
            elif count is not None and previous is None:
                held = count
        groups += found
    groups = _merge_conversions(_merge_weak(groups))
    # a grade word alone (5A) names its achievement when nothing else does
    for token in tokens:
        implied = token.entry.implies if token.kind == "field" else None
        if not implied or token.used or any(g.type == implied for g in groups):
            continue
        if token.entry.implies_alone and groups:
            continue
        group = _Group(type=implied, start=token.start)
        _assign(group, token.entry.field, token.entry.value)
        groups.append(group)
        token.used = True
    groups.sort(key=lambda g: g.start)
    _service_agency(text, groups)
    _fill_from_message(groups, tokens)
    if len(groups) > MAX_ACHIEVEMENTS:
        out.too_many = True
        groups = groups[:MAX_ACHIEVEMENTS]
    out.achievements = [
        AchievementFacts(
            type=g.type,
            fields=g.fields,
            candidates=g.candidates,
            count=g.count,
            achieved=out.achieved,
            said=g.said,
        )
        for g in groups
    ]
    out.optional_facts = optional_facts.read(text)
    optional_facts.apply(out.optional_facts, out.achievements)
    if not groups:
        seen: set[str] = set()
        for token in tokens:
            if token.kind == "field" and not token.entry.adjacent and token.entry.field not in seen:
                seen.add(token.entry.field)
                out.loose.append(LooseField(field=token.entry.field, value=token.entry.value))
        counts = [t.count for t in tokens if t.kind == "count"]
        out.loose_count = counts[-1] if counts else None
    return out
