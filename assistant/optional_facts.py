"""The optional facts a message may state about its achievement (calculators/achievement_types.yaml
`facts:`): the drafting unit's rank, what another government already paid, the level a title was
upgraded from, the grade of an earlier award. Never asked for; read when said, so the clauses that
use them (临沂 第七条 ranks, 枣庄 第八条 补齐, 黄埔 第八条(四) 差额, 聊城 第五条(三)) reach the chat.

The message is normalised (simplified, lower case) before it gets here.
"""

from __future__ import annotations

import re
from typing import Any

from assistant.models import AchievementFacts
from calculators.achievement_types import achievement_types
from foundation.chinese_numerals import chinese_integer

_NUMBER = r"(\d{1,2}|[一二两三四五六七八九十]{1,3})"
# 第二起草单位 / 起草单位里排第四 / 排名第二的起草单位 / 前言里排第一
_RANK = (
    re.compile(rf"第{_NUMBER}(?:起草单位|起草人|主要起草单位)"),
    re.compile(rf"起草单位(?:中|里|里面|当中|名单中)?(?:排|排名|排在|位列|位居|列)第?{_NUMBER}"),
    re.compile(rf"(?:排|排名|排在|位列|位居)(?:第){_NUMBER}(?:位|名)?的?(?:起草单位|起草人)"),
    re.compile(rf"(?:前言|文本)[^，。,；;]{{0,8}}(?:排|排名|排在|位列)第{_NUMBER}"),
    re.compile(r"\b(first|second|third|fourth|fifth|\d{1,2})(?:st|nd|rd|th)? drafting unit"),
)
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}
_MONEY = re.compile(r"(\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万]+)\s*(万元|万|元)")
# 已获得省里资助20万元 / 市里已经奖励过10万 / 拿过区里5万元补助
_PRIOR = re.compile(
    r"(?:已经?|之前|此前|曾经?|先前)[^，。,；;]{0,10}?(?:获得|拿到|拿了|领了|领到|得到|获|拿过|领过|给过|奖励|资助|补助)"
    r"[^，。,；;]{0,16}?(?P<money>(?:\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万]+)\s*(?:万元|万|元))"
)
_LEVEL_WORDS = {"国家": "national", "省": "provincial", "市": "municipal"}
# 由省级升级为国家级 / 从市级升到省级
_UPGRADE = re.compile(
    r"(?:由|从)(国家|省|市)级?[^，。,；;]{0,6}?(?:升级|升为|升到|晋升|提升|上升)(?:为|到|至|成)?(?:(国家|省|市)级)?"
)
UPGRADED_TO = "upgraded_to"  # not a registry fact: the level the title has now (the achievement's level)
_GRADES = {"一等奖": "first", "二等奖": "second", "三等奖": "third", "组织奖": "organization"}
# 去年获得过二等奖 / 以前得过三等奖 / 之前是省级领跑者
_EARLIER = re.compile(
    r"(?:去年|前年|上一年|以前|之前|此前|曾经?|往年|以前年度)[^，。,；;]{0,8}?"
    r"(?:获得过|获得|得过|拿过|拿了|获过|评过|被评为|是)[^，。,；;]{0,6}?"
    r"(?P<grade>一等奖|二等奖|三等奖|组织奖|(?:国家|省|市)级)"
)


def _money_yuan(text: str) -> int | None:
    m = _MONEY.search(text)
    if m is None:
        return None
    raw = m.group(1)
    try:
        number = float(raw)
    except ValueError:
        value = chinese_integer(raw)
        if value is None:
            return None
        number = float(value)
    factor = 10_000 if m.group(2).startswith("万") else 1
    yuan = number * factor
    return int(yuan) if yuan.is_integer() else None


def read(text: str) -> dict[str, Any]:
    """The optional facts stated in a normalised message, by fact name (values as the registry's)."""
    found: dict[str, Any] = {}
    for pattern in _RANK:
        m = pattern.search(text)
        if m:
            said = m.group(1)
            rank = int(said) if said.isdigit() else _ORDINALS.get(said) or chinese_integer(said)
            if rank:
                found["drafter_rank"] = rank
                break
    m = _PRIOR.search(text)
    if m:
        yuan = _money_yuan(m.group("money"))
        if yuan is not None:
            found["prior_award_yuan"] = yuan
    m = _UPGRADE.search(text)
    if m:
        found["upgraded_from"] = _LEVEL_WORDS[m.group(1)]
        if m.group(2):
            found[UPGRADED_TO] = _LEVEL_WORDS[m.group(2)]
    m = _EARLIER.search(text)
    if m:
        grade = m.group("grade")
        found["previous_grade"] = _GRADES.get(grade) or _LEVEL_WORDS[grade.removesuffix("级")]
    return found


def apply(facts: dict[str, Any], achievements: list[AchievementFacts]) -> None:
    """Give each stated fact to the one achievement it can belong to (a fact that fits several is
    left unsaid rather than guessed). A drafter rank without 主导/参与 also says the role: the first
    drafting unit leads, the others take part."""
    types = achievement_types()
    facts = dict(facts)
    now = facts.pop(UPGRADED_TO, None)
    for name, value in facts.items():
        fitting = []
        for achievement in achievements:
            spec = types.get(achievement.type)
            fact = next((f for f in spec.facts if f.name == name), None) if spec else None
            if fact is not None and (fact.whole_number is not None or value in fact.values):
                fitting.append(achievement)
        if len(fitting) != 1:
            continue
        target = fitting[0]
        target.fields[name] = value
        if name == "upgraded_from" and now is not None and now in _level_values(target):
            target.fields["level"] = now  # 由省级升级为国家级: the title is national now
        if name == "drafter_rank" and "role" not in target.fields:
            spec = types[target.type]
            if spec.field("role") is not None:
                target.fields["role"] = "lead" if value == 1 else "participate"
                target.candidates.pop("role", None)


def _level_values(achievement: AchievementFacts) -> tuple[Any, ...]:
    field = achievement_types()[achievement.type].field("level")
    return tuple(field.values) if field is not None else ()
