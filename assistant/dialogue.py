"""One chat turn: message → facts (extraction) → Estimate (calculators) → evidence → answer (templates).

The session state carries the facts between turns, so "在天津" / "是修订" / "那如果是修订呢？" /
"换成郑州呢？" complete or change the previous question. When the calculator still needs a
fact (the city, or a required field of the achievement type per the registry) the answer asks
for exactly that in `follow_up` and states no amount.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from assistant import answers, evidence, llm, optional_facts, replies
from assistant.definitions import define, related_sentences
from assistant.extraction import accepts_value, normalise
from assistant.lexicon import lexicon
from assistant.models import AchievementFacts, Extraction, Reply, SessionState, Slot
from assistant.open_facts import missing_fields
from assistant.understanding import Understanding, understand
from calculators import engine
from calculators.achievement_types import achievement_types
from calculators.models import Citation, Estimate, distinct_citations
from foundation.limits import MAX_CHAT_ACHIEVEMENTS, MAX_COUNT, MAX_MESSAGE_CHARS
from knowledge import corpus
from knowledge.hit import Search
from knowledge.regions import all_regions, resolve_region

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

log = logging.getLogger("assistant.dialogue")

INJECTION_NOTICE = "说明：我只能依据政策条文和计算器给出金额，不会按指令改变规则或给出条文之外的数字。"
TRUNCATED_NOTICE = f"说明：消息较长，只读取了前 {MAX_MESSAGE_CHARS} 个字。"
TOO_MANY_NOTICE = f"说明：一次最多计算 {MAX_CHAT_ACHIEVEMENTS} 项成果，其余请分开询问。"
COUNT_NOTICE = f"说明：数量「{{said}}」无法识别（应为 1 到 {MAX_COUNT} 之间的整数），没有采用；未写明数量的成果按 1 项计算。"
PENDING_NOTICE = "各地政策和金额不同，需要先确认下面的信息才能计算。"
ENGLISH_NOTICE = "说明：目前只用中文作答。(Answers are given in Chinese.)"
MAX_READINGS = 64  # combinations of open facts estimated before the question is simply asked
_INFO_TITLES = {
    "conditions": "申报条件",
    "validity": "有效期",
    "materials": "申报材料",
    "office": "受理部门",
    "timing": "申报时间",
}
_INFO_KEYWORDS = {
    "conditions": ("条件", "应当", "具备", "符合"),
    "validity": ("有效期", "施行", "实施"),
    "materials": ("材料", "申请表", "提交"),
    "office": ("受理", "部门", "报送"),
    "timing": ("每年", "申报", "时间"),
}


# ---------------------------------------------------------------- merging facts into the session
def _affirms(message: str) -> bool:
    """是的 / 对 / yes, alone: the reply confirms what was offered."""
    return normalise(message).rstrip(",。!.！") in lexicon().words["affirmative"]


def _merge_achievement(target: AchievementFacts, new: AchievementFacts) -> None:
    for name, value in new.fields.items():
        target.fields[name] = value
        target.candidates.pop(name, None)
        target.same_for.pop(name, None)
        target.assumed.pop(name, None)
    for name, options in new.candidates.items():
        target.candidates[name] = options
        target.fields.pop(name, None)
        target.same_for.pop(name, None)
    if new.count is not None:
        target.count = new.count
    if new.achieved:
        target.achieved = new.achieved
    if new.said or new.fields:
        target.said = new.said


def merge(state: SessionState, ext: Extraction, message: str) -> bool:
    """Fold one message's facts into the conversation's; True if a fact changed."""
    before = state.model_dump_json()
    before_city = state.city
    if ext.city:
        state.city, state.city_candidates = ext.city, []
    elif ext.city_candidates:
        if state.city not in ext.city_candidates:
            state.city, state.city_candidates = None, list(ext.city_candidates)
    elif len(state.city_candidates) == 1 and _affirms(message):
        state.city, state.city_candidates = state.city_candidates[0], []
    if ext.grant_date:
        state.as_of = ext.grant_date

    new = ext.achievements
    new_case = bool(new and ext.city and before_city and ext.city != before_city and not ext.whatif)
    if new:
        same_type = [a for a in state.achievements if a.type == new[0].type]
        if new_case:  # 我们是郑州的企业…另外还承担了…: a new case, not an addition to the 威海 one
            state.achievements = new
        elif ext.addition and state.achievements:
            state.achievements += new
        elif len(new) == 1 and same_type and (ext.whatif or state.pending):
            _merge_achievement(same_type[-1], new[0])
        else:
            state.achievements = new
    elif ext.loose or ext.loose_count:
        for loose in ext.loose:
            targets = [
                s
                for s in state.pending
                if s.kind == "field"
                and s.index is not None
                and s.index < len(state.achievements)
                and accepts_value(state.achievements[s.index].type, loose.field, loose.value) == s.field
            ]
            indexes = {s.index for s in targets} or set(range(len(state.achievements)))
            for i in sorted(i for i in indexes if i is not None):
                achievement = state.achievements[i]
                name = accepts_value(achievement.type, loose.field, loose.value)
                if name and isinstance(loose.value, list):  # 制修订: open again between these
                    achievement.fields.pop(name, None)
                    achievement.candidates[name] = list(loose.value)
                elif name:
                    achievement.fields[name] = loose.value
                    achievement.candidates.pop(name, None)
                if name:
                    achievement.same_for.pop(name, None)
                    achievement.assumed.pop(name, None)
        if ext.loose_count and state.achievements:
            state.achievements[-1].count = ext.loose_count
    if not new and ext.optional_facts:  # 我们排第二 / 省里已经给过10万: about the achievement on the table
        optional_facts.apply(ext.optional_facts, state.achievements)
    return state.model_dump_json() != before


def resolve_candidates(state: SessionState) -> None:
    """A phrase that fits several values (省长质量奖, 地方标准, 制修订): keep the ones the city pays for.

    One left → that value. None left → an open field takes the first (the answer says it is not
    covered). The facts still open are asked only when the answer depends on them: not when
    every reading of an achievement leads to the same clause and amount (郑州 “制(修)订” 国家标准,
    北京 主导 or 参与), nor when every reading of the whole question gives the same total (北京
    ISO TC + SC: the annual cap); those take their first reading. Otherwise the user's own words
    decide (省 or 市, 制定 or 修订) and the fact is asked.
    """

    for achievement in state.achievements:  # the city may have changed: decide those afresh
        for name in achievement.assumed:  # a default (制定) is applied again after, where still open
            achievement.fields.pop(name, None)
        achievement.assumed = {}
        for name, options in achievement.same_for.items():
            achievement.fields.pop(name, None)
            if options is not None:
                achievement.candidates[name] = list(options)
        achievement.same_for = {}
    if not state.city:
        return
    said = [dict(a.candidates) for a in state.achievements]  # before the city narrows them
    for achievement in state.achievements:
        for name, options in list(achievement.candidates.items()):
            paid = evidence.paid_values(state.city, achievement.type, name)
            fitting = [v for v in options if v in paid]
            is_open = not achievement_types()[achievement.type].core  # open types' values come from rules
            if len(fitting) == 1 or (not fitting and is_open):
                achievement.fields[name] = (fitting or options)[0]
                del achievement.candidates[name]
            elif fitting:
                achievement.candidates[name] = fitting

    open_readings, countable = [], True
    for i, achievement in enumerate(state.achievements):
        readings = _readings(achievement)
        if readings is None:
            countable = False  # a fact with no finite options, or too many: asked
        elif readings and _same_item(state, achievement, readings):
            _settle(achievement, readings[0], said[i])
        elif readings:
            open_readings.append((i, readings))
    if countable and open_readings and _same_total(state, open_readings):
        for i, readings in open_readings:
            _settle(state.achievements[i], readings[0], said[i], total=True)


def _readings(achievement: AchievementFacts) -> list[dict[str, Any]] | None:
    """Every combination of the achievement's open facts (none open: []); None when a fact has no
    finite list of values or there are more than MAX_READINGS combinations."""

    spec = achievement_types()[achievement.type]
    names, choices = [], []
    for name in missing_fields(achievement):
        fspec = spec.field(name)
        values = achievement.candidates.get(name) or (fspec.listed if fspec is not None else None)
        if not values:
            return None
        names.append(name)
        choices.append(list(values))
    if not names:
        return []
    if math.prod(len(c) for c in choices) > MAX_READINGS:
        return None
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*choices)]


def _settle(
    achievement: AchievementFacts, reading: dict[str, Any], said: dict[str, list[Any]], total: bool = False
) -> None:
    """Fill the open facts with one reading; `same_for` keeps them open for the next turn's check
    and the answer's note (the clause pays them alike, or with `total` the question's total is the same)."""
    for name, value in reading.items():
        achievement.fields[name] = value
        achievement.candidates.pop(name, None)
        achievement.same_for[name] = said.get(name)
    if total:
        achievement.same_for[answers.SAME_TOTAL] = None


def _estimate_readings(
    state: SessionState, requests: Iterator[list[dict[str, Any]]]
) -> Iterator[Estimate | None]:
    """Estimate each reading's achievements; None where the calculator rejects the combination."""

    day = state.as_of or state.asked_on  # the day the answer will be given for (`respond`)
    when = {"as_of": day} if day else {}
    for achievements in requests:
        try:
            yield engine.estimate({"city": state.city, **when, "achievements": achievements})
        except Exception:  # an unusable combination is simply not "the same"
            yield None


def _same_item(state: SessionState, achievement: AchievementFacts, readings: list[dict[str, Any]]) -> bool:
    """Every reading of this achievement alone leads to the same rule and amount."""
    requests = ([{"type": achievement.type, **achievement.fields, **r, "count": 1}] for r in readings)
    outcomes = set()
    for est in _estimate_readings(state, requests):
        item = est.items[0] if est is not None else None
        if item is None or not item.covered:
            return False
        outcomes.add((item.rule_id, item.amount_yuan))
        if len(outcomes) > 1:
            return False
    return True


def _same_total(state: SessionState, open_readings: list[tuple[int, list[dict[str, Any]]]]) -> bool:
    """Every reading of the whole question gives the same total, and it pays something."""
    if math.prod(len(r) for _, r in open_readings) > MAX_READINGS:
        return False
    indexes = [i for i, _ in open_readings]

    def requests() -> Iterator[list[dict[str, Any]]]:
        for combo in itertools.product(*(r for _, r in open_readings)):
            chosen = dict(zip(indexes, combo, strict=True))
            yield [
                {"type": a.type, **a.fields, **chosen.get(i, {}), "count": a.count or 1}
                for i, a in enumerate(state.achievements)
            ]

    totals = set()
    for est in _estimate_readings(state, requests()):
        if est is None:
            return False
        totals.add(est.total_yuan)
        if len(totals) > 1:
            return False
    return totals != {0}


def missing_slots(state: SessionState, need_achievement: bool) -> list[Slot]:
    slots = []
    if not state.city:
        slots.append(Slot(kind="city"))
    if not state.achievements and need_achievement:
        slots.append(Slot(kind="achievement"))
    for i, achievement in enumerate(state.achievements):
        slots += [Slot(kind="field", index=i, field=name) for name in missing_fields(achievement)]
    return slots


# ---------------------------------------------------------------- questions back
def _region_name(region_id: str) -> str:

    return resolve_region(region_id).name


def _question(slot: Slot, state: SessionState) -> str:

    if slot.kind == "city":
        if len(state.city_candidates) == 1:
            only = state.city_candidates[0]
            return f"目前收录的这一带政策只有{_region_name(only)}的，贵单位是在{_region_name(only)}吗？"
        provinces = {resolve_region(c).province for c in state.city_candidates}
        if len(state.city_candidates) > 1 and len(provinces) > 1:  # two cities named, not one province
            named = [_region_name(c) for c in state.city_candidates]
            return f"您问的是{'、'.join(named[:-1])}还是{named[-1]}？各地政策和金额不同，请告诉我按哪个城市计算。"
        if state.city_candidates:
            names = "、".join(_region_name(c) for c in state.city_candidates)
            return f"这一带目前收录了{names}的政策，贵单位在哪个城市？"
        names = "、".join(r.name for r in all_regions() if r.has_amounts)
        return f"贵单位在哪个城市（或区）？目前收录有资助金额的地区：{names}。"
    if slot.kind == "achievement":
        return (
            "贵单位取得的是哪一类标准化成果？例如：主导或参与制定/修订国家标准、行业标准、地方标准、团体标准，"
            "承担标准化技术委员会秘书处，企业标准“领跑者”，标准化试点示范项目，标准创新贡献奖，标准化良好行为企业。"
        )
    assert slot.index is not None and slot.field is not None
    achievement = state.achievements[slot.index]
    spec = achievement_types()[achievement.type].field(slot.field)
    ask = spec.ask if spec and spec.ask else f"请补充 {slot.field}。"
    options = achievement.candidates.get(slot.field)
    if options and spec is not None and set(options) >= set(spec.values):
        options = None  # 制修订: the question already names every value
    if options:
        choices = [answers.display_value(achievement.type, slot.field, v) for v in options]
        ask += "（可能是：" + "、".join(choices) + "）"
    if len(state.achievements) > 1:
        ask = f"第 {slot.index + 1} 项（{answers.describe(achievement)}）：{ask}"
    return ask


def _understood(state: SessionState) -> list[str]:
    parts = []
    if state.city:
        parts.append(f"地区 {_region_name(state.city)}")
    for a in state.achievements:
        text = answers.describe(a)
        if a.count and a.count > 1:
            text += f"（{a.count} 项）"
        parts.append(f"成果 {text}")
    if state.as_of:
        parts.append(f"申报日期按 {state.as_of}")
    return parts


def follow_up_reply(state: SessionState, slots: list[Slot], notices: list[str]) -> Reply:
    questions = list(dict.fromkeys(_question(s, state) for s in slots))
    state.pending = slots
    text = answers.render_follow_up(_understood(state), questions, notices)
    return Reply(answer=text, follow_up="\n".join(questions))


# ---------------------------------------------------------------- the amount answer
def estimate_request(state: SessionState, as_of: dt.date) -> dict[str, Any]:
    return {
        "city": state.city,
        "as_of": as_of.isoformat(),
        "achievements": [{"type": a.type, **a.fields, "count": a.count or 1} for a in state.achievements],
    }


def _date_notes(est: Estimate, facts: list[AchievementFacts]) -> dict[int, list[str]]:
    """The user said when the achievement was obtained: flag a date outside the policy's period."""
    notes: dict[int, list[str]] = {}
    for item in est.items:
        fact = facts[item.input_index]
        if not (item.covered and fact.achieved and fact.achieved[:4].isdigit()):
            continue
        year = int(fact.achieved[:4])
        if item.effective_from and year < int(item.effective_from[:4]):
            notes.setdefault(item.input_index, []).append(
                f"您提到成果取得于 {fact.achieved}，早于该办法施行日期 {item.effective_from}；"
                "多数办法只奖励施行后取得的成果，请向受理部门核实。"
            )
        elif item.effective_to and year > int(item.effective_to[:4]):
            notes.setdefault(item.input_index, []).append(
                f"您提到成果取得于 {fact.achieved}，晚于该办法有效期（至 {item.effective_to}）。"
            )
    return notes


def _uncovered_citations(est: Estimate) -> list[Citation]:
    """For each item no clause pays: the clauses the city pays for the same kind, or its conditions."""
    out: list[Citation] = []
    for item in est.items:
        if not item.covered:
            out += evidence.same_type_rules(est.city, item.type) or evidence.city_conditions(est.city)
    return out[: answers.MAX_SOURCES * 2]


def _other_readings(
    state: SessionState, as_of: dt.date
) -> tuple[dict[int, list[str]], list[Citation], list[Estimate]]:
    """For each assumed fact (制定 by default): what the other reading pays, in one line, cited."""

    notes: dict[int, list[str]] = {}
    cites: list[Citation] = []
    estimates: list[Estimate] = []
    for i, fact in enumerate(state.achievements):
        for name, others in fact.assumed.items():
            shown = answers.display_value(fact.type, name, fact.fields.get(name))
            for value in others:
                request = {"type": fact.type, **fact.fields, name: value, "count": fact.count or 1}
                try:
                    other_est = engine.estimate(
                        {"city": state.city, "as_of": as_of.isoformat(), "achievements": [request]}
                    )
                except Exception:  # the other reading is not a valid request: nothing to say
                    continue
                item = other_est.items[0]
                estimates.append(other_est)
                other = answers.display_value(fact.type, name, value)
                if item.covered and item.amount_yuan is not None and item.citation is not None:
                    word = "最高不超过 " if item.basis == "up_to" else ""
                    line = f"未说明{shown}还是{other}，按{shown}计算；若为{other}：{word}{answers.money_text(item.amount_yuan)}（{item.citation.article}）。"
                    cites.append(item.citation)
                else:
                    line = f"未说明{shown}还是{other}，按{shown}计算；若为{other}，当地没有条款资助。"
                notes.setdefault(i, []).append(line)
    return notes, cites, estimates


def estimate_reply(state: SessionState, as_of: dt.date, notices: list[str], english: bool = False) -> Reply:

    state.pending = []
    est = engine.estimate(estimate_request(state, as_of))
    assumed, assumed_cites, others = _other_readings(state, as_of)
    instead = {
        item.input_index: answers.alternatives_in_words(
            item.type, evidence.paid_alternatives(est.city, item.type)
        )
        for item in est.items
        if not item.covered
    }
    extra = _date_notes(est, state.achievements)
    for i, lines in assumed.items():
        extra.setdefault(i, []).extend(lines)
    text = answers.render_estimate(est, state.achievements, notices, extra, instead=instead, english=english)
    citations = answers.estimate_citations(est) + _uncovered_citations(est) + assumed_cites
    return Reply(
        answer=text, citations=distinct_citations(citations), estimate=est, alternatives=others or None
    )


# ---------------------------------------------------------------- non-amount questions
def _validity_lines(city: str | None, doc_id: str, on: dt.date) -> tuple[list[str], Citation | None]:
    v = evidence.validity(city, doc_id, on)
    span = f"{v.effective_from} 起施行" if v.effective_from else "文件未写明施行日期"
    span += f"，有效期至 {v.effective_to}" if v.effective_to else "，未规定截止日期"
    # the status first (已失效 / 尚未施行 / 有效), then the dates it follows from
    if v.status == "expired":
        line = f"《{v.title}》已失效：{span}，{on.isoformat()} 已不在有效期内，目前不能据此申请。"
    elif v.status == "not_yet_in_force":
        line = f"《{v.title}》尚未施行：{span}，{on.isoformat()} 还未生效。"
    else:
        line = f"《{v.title}》有效：{span}，{on.isoformat()} 仍在有效期内。"
    return [line], v.citation


def _apply_lines(intent: str, apply: Any) -> list[str]:
    if apply is None:
        return ["文件没有写明这一点。"]
    if intent == "materials":
        return [f"- {m}" for m in apply.materials] or ["文件没有列出具体材料，以受理部门当年的申报通知为准。"]
    if intent == "office":
        return [apply.office] if apply.office else ["文件没有写明受理部门。"]
    if intent == "timing":
        lines = [x for x in (apply.window, f"截止：{apply.deadline}" if apply.deadline else None) if x]
        return lines or ["文件没有写明申报时间，以当年申报通知为准。"]
    return []


def info_reply(
    state: SessionState, ext: Extraction, message: str, as_of: dt.date, notices: list[str], search: Search
) -> Reply:
    intents = [i for i in ext.intents if i != "amount"]
    keywords = tuple(w for i in intents for w in _INFO_KEYWORDS[i])
    complete = bool(state.city and state.achievements) and not missing_slots(state, need_achievement=True)
    if complete:
        amount = estimate_reply(state, as_of, [])
        est = amount.estimate
        assert est is not None
        sections: list[dict[str, Any]] = []
        sources: list[Citation] = []
        for item, fact in zip(est.items, state.achievements, strict=False):
            name = answers.describe(fact)
            if not item.covered:
                sections.append({"title": name, "lines": ["当地政策没有为这一项给予资助。", *item.notes]})
                continue
            for intent in intents:
                if intent == "conditions":
                    lines = list(dict.fromkeys(item.notes)) or ["条文没有另行规定条件。"]
                    if item.apply and item.apply.window:
                        lines.append(item.apply.window)
                    if item.citation:
                        sources.append(item.citation)
                elif intent == "validity":
                    assert item.citation is not None and item.citation.document_id is not None
                    lines, cite = _validity_lines(est.city, item.citation.document_id, as_of)
                    if cite:
                        sources.append(cite)
                else:
                    lines = _apply_lines(intent, item.apply)
                    if item.apply:
                        sources += item.apply.citations
                sections.append({"title": f"{name} · {_INFO_TITLES[intent]}", "lines": lines})
        related = _related(search, message, est.city, sources)
        if related:
            sections.append({"title": "相关条文", "lines": [_quoted(c) for c in related]})
            sources += related
        text = answers.render_info(
            est.city_name,
            _merge_sections(sections),
            distinct_citations(sources)[: answers.MAX_SOURCES],
            notices,
        )
        if "amount" in ext.intents:
            text = amount.answer + "\n\n" + text
        return Reply(answer=text, citations=distinct_citations(amount.citations + sources), estimate=est)

    if state.city:
        region = _region_name(state.city)
        sections, sources = [], []
        apply = evidence.city_apply(state.city)
        for intent in intents:
            if intent == "validity":
                lines = []
                for doc_id in evidence.city_documents(state.city):
                    more, cite = _validity_lines(state.city, doc_id, as_of)
                    lines += more
                    if cite:
                        sources.append(cite)
            elif intent == "conditions":
                conditions = evidence.city_conditions(state.city)
                hits = [] if conditions else evidence.retrieve(search, message, state.city, 3, keywords)
                lines = [f"- {c.quote}（{c.article}）" for c in conditions[:6]]
                if not lines and hits:
                    lines = ["相关条文见下方依据；具体条件因成果类型而异，告诉我成果类型可以给出对应条款。"]
                elif not lines:
                    lines = ["告诉我成果类型（如主导制定国家标准），可以给出对应条款的条件。"]
                sources += conditions[:6] + hits
            else:
                lines = _apply_lines(intent, apply)
                if apply:
                    sources += apply.citations
            sections.append({"title": _INFO_TITLES[intent], "lines": lines})
        related = _related(search, message, state.city, sources)
        if related:
            sections.append({"title": "相关条文", "lines": [_quoted(c) for c in related]})
            sources = related + sources
        text = answers.render_info(
            region, _merge_sections(sections), distinct_citations(sources)[: answers.MAX_SOURCES], notices
        )
        return Reply(answer=text, citations=distinct_citations(sources))

    hits = evidence.retrieve(search, message, None, 4, keywords)
    slots = [Slot(kind="city")]
    question = _question(slots[0], state)
    state.pending = slots
    return Reply(answer=answers.render_retrieval(hits, notices), citations=hits, follow_up=question)


def _related(search: Search, message: str, city: str, known: list[Citation]) -> list[Citation]:
    """The region's sentences closest to the question, unless an article already cited says them."""
    cited = {(c.document_id, c.article) for c in known}
    return [c for c in related_sentences(search, message, city) if (c.document_id, c.article) not in cited]


def _quoted(c: Citation) -> str:
    return f"- {c.article}：“{c.quote}”"


def _merge_sections(sections: list[dict[str, Any]]) -> list[dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for s in sections:
        target = merged.setdefault(s["title"], {"title": s["title"], "lines": []})
        target["lines"] += [line for line in s["lines"] if line not in target["lines"]]
    return list(merged.values())


# ---------------------------------------------------------------- the turn
def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def apply_defaults(state: SessionState) -> None:
    """Answer first: a fact users mean one reading of by default takes it, and the answer says so.
    Runs after resolve_candidates, so only a fact the answer depends on is assumed.

    A standard with no word on 制定/修订 (发布了一项国家标准) is a new one: 制定; the other reading's
    amount is stated in one line. Facts with no default (city, level, 主导/参与) are still asked.
    """
    for achievement in state.achievements:
        if achievement.type != "standard":
            continue
        if "action" not in achievement.fields and "action" not in achievement.candidates:
            achievement.fields["action"] = "draft"
            achievement.assumed["action"] = ["revise"]


def _reused(state: SessionState, u: Understanding, before: SessionState) -> list[str]:
    """The facts this answer takes from earlier turns, said in one line (已沿用上文：…)."""
    ext = u.facts
    parts = []
    if before.city and state.city == before.city and not ext.city and (ext.achievements or ext.loose):
        parts.append(f"地区 {_region_name(state.city)}")
    if before.achievements and (ext.city or ext.grant_date) and not ext.achievements and not ext.loose:
        parts += [f"成果 {answers.describe(a)}" for a in state.achievements]
    return parts


def _pays_amounts(city: str | None) -> bool:

    return bool(city) and resolve_region(city).has_amounts  # type: ignore[arg-type]


def _route(u: Understanding, state: SessionState) -> str | None:
    """The answer this turn leads with, given what the conversation already holds."""
    primary = u.primary
    ext = u.facts
    context = bool(state.city or state.achievements or state.pending)
    domain_cues = [c for c in u.cues if c not in ("smalltalk",)]
    if primary == "out_of_scope" and (ext.achievements or (context and (domain_cues or u.states_facts))):
        primary = domain_cues[0] if domain_cues else "amount"
    if primary == "smalltalk" and ext.has_facts:
        primary = "amount"
    if primary == "definition" and ext.achievements and "amount" in u.cues:
        primary = "amount"
    city = ext.city or state.city
    if primary == "city_menu" and ext.achievements and "city_menu" not in u.cues and _pays_amounts(city):
        primary = "amount"  # 佛山承担了一项省级试点项目: a stated achievement is priced, not a menu
    if primary == "amount" and city and not _pays_amounts(city) and "compare" not in u.intents:
        return "city_menu"  # 辽宁的领跑者有奖励吗: its texts set no amounts; say what they offer
    # 天津 / 是修订 / 那如果是修订呢: a short reply that only completes or changes the facts of the
    # conversation continues it; the examples' vote alone does not turn it into another question
    carries_on = (
        context
        and primary not in u.cues
        and (u.states_facts or ext.whatif or (state.pending and primary != "out_of_scope"))
    )
    if carries_on and not (primary == "compare" and len(u.cities) > 1):
        primary = "amount" if (state.achievements or ext.achievements or state.pending) else primary
    return primary


def _knowledge_instead(
    message: str, u: Understanding, route: str | None, state: SessionState, search: Search
) -> list[Citation]:
    """A question that would be asked back for a city although neither it nor the conversation
    holds a city or an achievement of the user's own (a standard named as a topic is not one): when
    sentences of the national texts answer it as it stands, those sentences."""
    ext = u.facts
    if route not in (None, "amount", "eligibility", "apply") or "compare" in u.intents:
        return []
    if state.city or state.achievements or ext.city or ext.city_candidates:
        return []
    if ext.achievements and (_money_words(u.text) or any(_done_by_us(a) for a in ext.achievements)):
        return []  # 我们主导制定了国家标准，能拿多少: an amount question still missing its city
    quotes = define(search, message)
    national = [q for q in quotes if q.document_id and corpus.document(q.document_id).region_id is None]
    return national if len(national) == len(quotes) else []  # a region's rule needs its region


def _money_words(text: str) -> bool:
    """资助 / 奖励 / 能拿 …: the message is about money, not about what a text says."""
    lex = lexicon()
    strong = [w for w in lex.intents["amount"] if w not in ("多少", "how much")]
    return any(w in text for w in (*lex.intents["amount_weak"], *strong))


def _done_by_us(achievement: AchievementFacts) -> bool:
    """An achievement the user did (主导/参与, 制定/修订, a level of a title), not a topic named."""
    return any(name in achievement.fields for name in ("role", "action", "grade", "scope", "body"))


def respond(
    message: str,
    state: SessionState,
    request_day: dt.date | None,
    *,
    search: Search,
    model: BaseChatModel | None = None,
) -> Reply:
    """Understand → decide → compute → render one answer; mutates `state`. `search` finds the
    policy texts; `model` (optional) fills in facts the lexicon missed."""
    if request_day is not None:
        state.asked_on = request_day.isoformat()
    today = request_day or _day(state.asked_on) or dt.date.today()
    u = understand(message, today)
    route = _route(u, state)
    quotes = _knowledge_instead(message, u, route, state, search)
    if quotes:  # 企业一直不公开执行的标准会怎样: the national texts answer it, no city needed
        route = "definition"
        reply = replies.definition_reply(message, None, [], u.english, quotes, search=search)
    else:
        reply = _answer(message, u, route, state, today, search, model)
    intents = list(dict.fromkeys([*reply.event.get("intents", []), *([route] if route else []), *u.intents]))
    # a turn answered in the domain (如果是两项呢 in a conversation) was not out of scope after all
    reply.event["intents"] = [i for i in intents if i and (i != "out_of_scope" or intents[0] == i)]
    return reply


def _answer(
    message: str,
    u: Understanding,
    route: str | None,
    state: SessionState,
    today: dt.date,
    search: Search,
    model: BaseChatModel | None,
) -> Reply:
    ext = u.facts
    english = ext.english
    notices = []
    if ext.injection:
        notices.append(INJECTION_NOTICE)
    if ext.truncated:
        notices.append(TRUNCATED_NOTICE)
    if ext.too_many:
        notices.append(TOO_MANY_NOTICE)
    notices += [COUNT_NOTICE.format(said=said) for said in ext.unread_counts]
    event: dict[str, Any] = {}
    if model is not None and llm.needs_help(ext):
        ext, more = llm.fill_facts(model, message, ext)
        u.facts = ext
        event.update(more)

    before = state.model_copy(deep=True)
    if not message.strip():
        return Reply(answer=answers.render_help("empty", notices))
    if route == "out_of_scope":
        return Reply(answer=answers.render_help("out_of_scope", notices, english=english))
    if route == "smalltalk":
        kind = "thanks" if ext.thanks else "greeting"
        return Reply(answer=answers.render_help(kind, notices, english=english))

    if route == "compare":
        cities = list(u.cities) or (list(ext.city_candidates) if len(ext.city_candidates) > 1 else None)
        if cities and state.city and len(cities) == 1:
            cities = [state.city, *cities]
        if cities is None and ext.city and state.city and ext.city != state.city:
            cities = [state.city, ext.city]  # 和佛山比呢
        facts = ext.achievements or state.achievements
        if ext.achievements:
            state.achievements = list(ext.achievements)
        state.achievements = facts
        apply_defaults(state)
        as_of = _day(state.as_of) or today
        open_slots = [
            Slot(kind="field", index=i, field=name)
            for i, a in enumerate(state.achievements)
            for name in missing_fields(a)
        ]
        if not state.achievements:
            open_slots = [Slot(kind="achievement")]
        if open_slots:
            return follow_up_reply(state, open_slots, notices)
        return replies.compare_reply(state.achievements, cities, as_of, notices, english)

    changed = merge(state, ext, message)
    as_of = _day(state.as_of) or today
    asks_amount = "amount" in u.cues
    lists = "city_menu" in u.cues and not asks_amount  # 有哪些奖励 / 有什么支持, not 多少
    if route == "city_menu" and (not ext.achievements or lists or not _pays_amounts(state.city)):
        if not state.city:
            return follow_up_reply(state, [Slot(kind="city")], notices)
        named = [a.type for a in ext.achievements]
        besides = any(word in u.text for word in lexicon().words["besides"])
        return replies.menu_reply(state.city, as_of, notices, english, named, besides, message, search=search)
    if route == "eligibility":
        city = ext.city or state.city
        achieved = ext.achieved or next((a.achieved for a in state.achievements if a.achieved), None)
        reply = replies.eligibility_reply(
            city, u.situations, state.achievements, achieved, as_of, notices, english
        )
        if city is None:
            state.pending = [Slot(kind="city")]
            reply.follow_up = _question(Slot(kind="city"), state)
        elif state.achievements:
            resolve_candidates(state)
            apply_defaults(state)
            if not missing_slots(state, need_achievement=True):
                amount = estimate_reply(state, as_of, [], english=english)
                reply.answer += "\n\n" + amount.answer
                reply.estimate, reply.alternatives = amount.estimate, amount.alternatives
                reply.citations = distinct_citations(reply.citations + amount.citations)
        return reply
    if route == "definition":
        return replies.definition_reply(message, ext.city, notices, english, search=search)
    if route == "status" and (not state.city or evidence.documents_named_in(message)):
        return replies.status_reply(None if not state.city else state.city, as_of, notices, english, message)

    resolve_candidates(state)
    apply_defaults(state)
    reused = _reused(state, u, before)
    if reused:
        notices.append("已沿用上文：" + "；".join(reused) + "。")
    if ext.english and ext.has_facts and not english:
        notices.append(ENGLISH_NOTICE)
    if ext.unknown_place and not ext.city:
        return Reply(  # a region the corpus holds no policy for: outside what the assistant covers
            answer=answers.render_help("unknown_place", notices, place=ext.unknown_place),
            event={"intents": ["out_of_scope"]},
        )
    if any(i != "amount" for i in ext.intents) or route in ("status", "apply"):
        if route in ("status", "apply", "eligibility") and not [i for i in ext.intents if i != "amount"]:
            ext.intents += {"status": ["validity"], "apply": ["materials", "office", "timing"]}.get(
                route, ["conditions"]
            )
        return info_reply(state, ext, message, as_of, notices, search)
    wants_amount = "amount" in ext.intents or route == "amount"
    if changed or ext.has_facts or wants_amount or (ext.whatif and state.achievements):
        slots = missing_slots(state, need_achievement=True)
        if slots:
            return follow_up_reply(state, slots, notices)
        reply = estimate_reply(state, as_of, notices, english=english)
        reply.event.update(event)
        return reply
    if ext.thanks:
        return Reply(answer=answers.render_help("thanks", notices, english=english))
    if state.pending:  # the question asked last turn is still open
        notices.append(PENDING_NOTICE)
        return follow_up_reply(state, missing_slots(state, need_achievement=True), notices)
    if ext.english:
        return Reply(answer=answers.render_help("english", notices, english=True))
    return Reply(answer=answers.render_help("greeting" if ext.greeting else "unclear", notices))
