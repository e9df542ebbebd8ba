"""`subsidy rules draft REGION`: a first rule file for a region's ingested documents, for a person to review.

One rule per money clause, with the clause's verbatim `quote`, the words stating the amount
(`quote_amount`) and `basis` (给予/奖励 N 万元 → fixed; 不超过/不高于/最高 → up_to); `when` guessed
from the clause with the vocabulary of calculators/achievement_types.yaml; `derive` for 按…的50%;
caps for 每年…总额不超过 N 万元 and 每年不超过 N 项; exclusions as notes; apply information. Every
guess carries `review: needed`. An amount is only ever one written in the text: a money clause
whose achievement cannot be recognised is listed under `inexpressible`, never guessed at.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import yaml

from calculators.amounts import parse_amount_yuan
from knowledge.corpus import Article, articles_of, document, documents_for_region
from knowledge.ingest.validity import cn_number
from knowledge.regions import resolve_region

AMOUNT = re.compile(r"\d+(?:\.\d+)?\s*(?:万元|千元|元|万(?!人))")
PERCENT = re.compile(r"\d+(?:\.\d+)?\s*%")
UP_TO = re.compile(r"不超过|不高于|最高|最多|以内|上限")
CAP_WORDS = re.compile(r"总额|累计|合计|总计")
UNITS_CAP = re.compile(r"(?:每年|年度).{0,20}?不超过\s*(\d+)\s*项")
EXCLUSION = re.compile(r"不再重复|不重复资助|不予补助|不予资助|不予奖励|不得重复|不再给予")
WINDOW = re.compile(r"每年\s*\d{1,2}\s*月|申报通知|集中申报|申报时间")
DEADLINE = re.compile(r"截止|\d{1,2}\s*月\s*\d{1,2}\s*日前|逾期")
OFFICE = re.compile(r"向(?P<office>[^，。；]{2,30}?)(?:提交|提出|报送|申报)")
MATERIALS = re.compile(r"提交(?:下列|以下|如下)(?:申报)?(?:材料|资料)")
ITEM_LINE = re.compile(r"^\s*[-•]?\s*[（(][一二三四五六七八九十]+[）)]\s*(?P<text>.+?)[；;。]?\s*$")
LEADING_LABEL = re.compile(
    r"^(?:第[一二三四五六七八九十百零]+条|[（(][一二三四五六七八九十]+[）)]|\d{1,2}\s*[.．、]|[一二三四五六七八九十]+、)\s*"
)
REVIEW = "needed"

# (pattern, value) in the order a list (分别给予 a、b、c) pairs values with amounts
LEVELS = [
    (r"国际标准|国际", "international"),
    (r"国家标准|国家级|全国|国家", "national"),
    (r"行业标准|行业", "industry"),
    (r"[省]地方标准|省级|省(?:专业)?标准化|江苏省|山东省|广东省|省", "provincial"),
    (r"市地方标准|市级", "municipal"),
    (r"团体标准", "group"),
]
GRADES = [(r"一等奖", "first"), (r"二等奖", "second"), (r"三等奖", "third"), (r"组织奖", "organization")]
GOOD_BEHAVIOR = [(r"5A", "5A"), (r"4A", "4A"), (r"3A", "3A")]
ROLES = [(r"主导|主持|牵头|第一起草", "lead"), (r"参与|参加", "participate")]
ACTIONS = [(r"制定", "draft"), (r"修订", "revise")]
BODIES = [(r"分技术委员会", "SC"), (r"工作组", "WG"), (r"技术委员会", "TC")]


@dataclass(frozen=True)
class Clause:
    article: Article
    label: str  # the article, with its （一） item when the article is a section
    sentence: str  # verbatim, label stripped


def _matches(text: str, table: list[tuple[str, str]]) -> list[str]:
    """Values of `table` named in `text`, in order of appearance, each once (longest spelling wins)."""
    found: list[tuple[int, str]] = []
    taken: list[tuple[int, int]] = []
    for pattern, value in table:
        for m in re.finditer(pattern, text):
            if any(s <= m.start() < e for s, e in taken):
                continue
            taken.append((m.start(), m.end()))
            found.append((m.start(), value))
    out: list[str] = []
    for _, value in sorted(found):
        if value not in out:
            out.append(value)
    return out


def guess_type(text: str) -> str | None:
    if "创新贡献奖" in text:
        return "innovation_award"
    if "良好行为" in text:
        return "good_behavior"
    if "领跑者" in text:
        return "standard_leader"
    if "秘书处" in text or "技术委员会" in text:
        return "tc_secretariat"
    if "试点" in text or "示范" in text:
        return "pilot_project"
    if "标准" in text and re.search(r"制定|修订|制修订", text):
        return "standard"
    return None


def guess_fields(kind: str, text: str) -> dict[str, list[str]]:
    """Every field of `kind` the text names, with the values in order of appearance."""
    levels = _matches(text, LEVELS)
    if kind == "standard":
        return {"level": levels, "role": _matches(text, ROLES), "action": _matches(text, ACTIONS)}
    if kind == "tc_secretariat":
        return {"scope": levels, "body": _matches(text, BODIES) or ["TC"]}
    if kind in ("standard_leader", "pilot_project"):
        return {"level": [v for v in levels if v in ("national", "provincial", "municipal")]}
    if kind == "innovation_award":
        return {"grade": _matches(text, GRADES), "level": ["provincial"] if "省级" in text else ["national"]}
    if kind == "good_behavior":
        return {"grade": _matches(text, GOOD_BEHAVIOR)}
    return {}


def _label(article: Article, line: str) -> str:
    item = re.match(r"^\s*[-•]?\s*([（(][一二三四五六七八九十]+[）)])", line)
    if item and article.unit != "条" and not article.article.endswith(item.group(1)):
        return f"{article.article}{item.group(1)}"
    return article.article


def clauses_of(article: Article) -> list[Clause]:
    out = []
    for line in article.text.split("\n"):
        for sentence in re.findall(r"[^。]*。|[^。]+$", line):
            text = LEADING_LABEL.sub("", sentence.strip()).strip()
            if text:
                out.append(Clause(article, _label(article, line), text))
    return out


def _slug(article: Article) -> str:
    label = article.article
    if m := re.match(r"^第([一二三四五六七八九十百零]+)条", label):
        try:
            return f"art{cn_number(m.group(1))}"
        except KeyError:
            pass
    if m := re.match(r"^(\d+)\.", label):
        return f"pt{m.group(1)}"
    return f"pos{article.position}"


class Drafter:
    """Collects the rule file of one region while walking its clauses."""

    def __init__(self, region_id: str) -> None:
        self.region = resolve_region(region_id, "REGION")
        self.rules: list[dict[str, Any]] = []
        self.caps: list[dict[str, Any]] = []
        self.notes: list[dict[str, Any]] = []
        self.inexpressible: list[dict[str, Any]] = []
        self.apply: dict[str, Any] = {"materials": [], "citations": []}
        self.ids: set[str] = set()

    def unique(self, rule_id: str) -> str:
        candidate, n = rule_id, 2
        while candidate in self.ids:
            candidate, n = f"{rule_id}-{n}", n + 1
        self.ids.add(candidate)
        return candidate

    def quote(self, clause: Clause) -> dict[str, Any]:
        return {"document": clause.article.document_id, "article": clause.label, "quote": clause.sentence}

    # ---- one clause ----------------------------------------------------------------------

    def read(self, clause: Clause) -> None:
        text = clause.sentence
        amounts = list(AMOUNT.finditer(text))
        units = UNITS_CAP.search(text)
        if amounts and CAP_WORDS.search(text[: amounts[0].start()]):
            self.annual_total(clause, amounts[0])
        elif units:
            self.units_cap(clause, int(units.group(1)))
        elif amounts:
            self.money(clause)
        elif PERCENT.search(text):
            self.derived(clause)
        if EXCLUSION.search(text):
            self.notes.append(self.quote(clause))
        self.application(clause)

    def annual_total(self, clause: Clause, amount: re.Match[str]) -> None:
        select = {"type": "standard"} if re.search(r"标准制修订|制修订", clause.sentence) else {}
        self.caps.append(
            {
                "id": self.unique(f"{self.region.id}/{_slug(clause.article)}/annual-total"),
                "kind": "annual_total",
                **self.quote(clause),
                "description": clause.sentence,
                "select": select,
                "limit_yuan": parse_amount_yuan(amount.group(0)),
                "review": REVIEW,
            }
        )

    def units_cap(self, clause: Clause, limit: int) -> None:
        select = {"type": "standard"} if re.search(r"标准制修订|制修订|制定|修订", clause.sentence) else {}
        self.caps.append(
            {
                "id": self.unique(f"{self.region.id}/{_slug(clause.article)}/units-per-year"),
                "kind": "max_units_per_class",
                **self.quote(clause),
                "description": clause.sentence,
                "select": select,
                "limit": limit,
                "review": REVIEW,
            }
        )

    def money(self, clause: Clause) -> None:
        context = clause.sentence
        kind = guess_type(context)
        for piece in re.findall(r"[^；;]+[；;]?", context):
            amounts = list(AMOUNT.finditer(piece))
            if not amounts:
                continue
            if kind is None:
                self.inexpressible.append(
                    {
                        **self.quote(clause),
                        "quote": piece.strip("；; "),
                        "reason": "the achievement this amount pays was not recognised; write the rule by hand",
                    }
                )
                continue
            condition = piece[: amounts[0].start()]
            own = guess_fields(kind, condition)
            outer = guess_fields(kind, context[: context.find(piece)] + condition)
            whole = guess_fields(kind, context)
            fields = {k: own.get(k) or outer.get(k) or whole.get(k) or [] for k in whole}
            listed = next((k for k, v in fields.items() if len(v) == len(amounts) > 1), None)
            for i, amount in enumerate(amounts):
                when: dict[str, Any] = {"type": kind}
                for name, values in fields.items():
                    if name == listed:
                        when[name] = values[i]
                    elif len(values) == 1:
                        when[name] = values[0]
                    elif len(values) > 1:
                        when[name] = list(values)
                before = piece[amounts[i - 1].end() if i else 0 : amount.start()]
                basis = "up_to" if UP_TO.search(before) or UP_TO.search(condition[-12:]) else "fixed"
                self.rules.append(
                    {
                        "id": self.unique(self.rule_id(clause, when)),
                        **self.quote(clause),
                        "quote": piece.strip("；; ") if len(amounts) == 1 or listed else clause.sentence,
                        "when": when,
                        "amount_yuan": parse_amount_yuan(amount.group(0)),
                        "quote_amount": amount.group(0),
                        "basis": basis,
                        "category": f"{clause.label} {kind}",
                        "review": REVIEW,
                    }
                )

    def rule_id(self, clause: Clause, when: dict[str, Any]) -> str:
        values = [str(v) for k, v in when.items() if k != "type" and not isinstance(v, list)]
        return "/".join([self.region.id, _slug(clause.article), str(when["type"]), *values])

    def derived(self, clause: Clause) -> None:
        """按…的 50%: a percentage of the rule that differs in one field (修订 of 制定, 参与 of 主导)."""
        kind = guess_type(clause.sentence)
        factor = PERCENT.search(clause.sentence)
        if kind is None or factor is None:
            return
        fields = guess_fields(kind, clause.sentence.split("按", 1)[0])
        value = float(factor.group(0).rstrip("%").strip()) / 100
        for base in [r for r in self.rules if r["when"]["type"] == kind and "derive" not in r]:
            when = dict(base["when"])
            differs = [k for k, v in fields.items() if v and when.get(k) not in v]
            if len(differs) != 1:
                continue
            name = differs[0]
            if len(fields[name]) != 1 or any(
                v and when.get(k) not in v for k, v in fields.items() if k != name
            ):
                continue
            when[name] = fields[name][0]
            if any(r["when"] == when for r in self.rules):
                continue
            self.rules.append(
                {
                    "id": self.unique(self.rule_id(clause, when)),
                    **self.quote(clause),
                    "when": when,
                    "derive": {"from": base["id"], "factor": value},
                    "quote_factor": factor.group(0),
                    "category": base["category"],
                    "review": REVIEW,
                }
            )

    def application(self, clause: Clause) -> None:
        text = clause.sentence
        used = False
        if WINDOW.search(text) and "window" not in self.apply:
            self.apply["window"], used = text, True
        if DEADLINE.search(text) and "deadline" not in self.apply:
            self.apply["deadline"], used = text, True
        if (m := OFFICE.search(text)) and "office" not in self.apply:
            self.apply["office"], used = m.group("office"), True
        if MATERIALS.search(text):
            lines = clause.article.text.split("\n")
            self.apply["materials"] += [m.group("text") for line in lines if (m := ITEM_LINE.match(line))]
            used = True
        if used:
            self.apply["citations"].append(self.quote(clause))


def draft_rule_file(region: str, *, today: dt.date | None = None) -> dict[str, Any]:
    """The draft as the data of a rule file (calculators/rulebook.py CityRules)."""
    drafter = Drafter(region)
    documents = [d for d in documents_for_region(drafter.region.id)]
    for doc in documents:
        for article in articles_of(doc.id):
            for clause in clauses_of(article):
                drafter.read(clause)
    raw: dict[str, Any] = {
        "city": drafter.region.id,
        "verified_on": (today or dt.date.today()).isoformat(),
        "documents": {d.id: d.title for d in documents},
    }
    apply = {k: v for k, v in drafter.apply.items() if v}
    if apply:
        raw["apply"] = {"default": apply}
    if drafter.notes:
        raw["notes"] = drafter.notes
    raw["rules"] = drafter.rules
    if drafter.caps:
        raw["caps"] = drafter.caps
    if drafter.inexpressible:
        raw["inexpressible"] = drafter.inexpressible
    return raw


def render_draft(raw: dict[str, Any]) -> str:
    """The draft as YAML, headed by what was read and what a reviewer must do."""

    head = [
        "# Draft rule file written by `subsidy rules draft`: every `review: needed` is a guess.",
        "# Check each rule's `when` against its quote, fix what is wrong, delete `review: needed`,",
        "# then `subsidy rules check FILE` and `subsidy rules install FILE`.",
    ]
    for doc_id in raw["documents"]:
        doc = document(doc_id)
        valid = f"{doc.effective_from or '?'} .. {doc.effective_to or 'no end stated'}"
        head.append(f"# {doc_id}: {doc.title} · in force {valid}")
        if doc.validity_quote:
            head.append(f"#   validity: {doc.validity_quote}")
    body = yaml.safe_dump(raw, allow_unicode=True, sort_keys=False, width=200, default_flow_style=None)
    return "\n".join(head) + "\n" + body


def money_lines(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What each money rule of a rule file (as YAML data) pays, for comparing a draft with a
    curated file or an expected list: article, `when`, and the amount and basis (or the factor)."""
    out = []
    for rule in rules:
        line = {"article": rule["article"], "when": rule["when"]}
        if "derive" in rule:
            line["derive_factor"] = rule["derive"]["factor"]
        else:
            line.update(amount_yuan=rule["amount_yuan"], basis=rule["basis"])
        out.append(line)
    return out
