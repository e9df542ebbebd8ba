"""Engine texts in the words of a page or a spreadsheet: no internal codes, amounts formatted.

The calculators write notes for every face (`按 level=national 计算`, `合计1500000 元超过上限`);
the web pages and the exports say them the way a company reads them
(`按 级别「国家标准」计算`, `合计 150 万元超过上限`).
"""

from __future__ import annotations

import re
from typing import Any

from calculators.achievement_types import achievement_types
from calculators.engine import DEFAULT_POLICIES_AS_OF
from foundation import money
from knowledge.user_data import follows_user_data

# the trace's step kinds (calculators.models.TraceStep.op) in words
TRACE_OPS_ZH = {
    "base": "条款金额",
    "factor": "比例",
    "count": "数量",
    "cap": "封顶",
    "status": "政策状态",
    "choice": "择优",
    "assumption": "假设",
}
BASIS_SHORT_ZH = {"fixed": "定额", "up_to": "上限"}


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)


def data_date(estimate: Any = None) -> str:
    """The date the policy texts were collected (「政策收录截至」): the Estimate's provenance, else the engine's."""
    provenance = _get(estimate, "provenance") if estimate is not None else None
    if provenance and _get(provenance, "policies_as_of"):
        return str(_get(provenance, "policies_as_of"))

    return DEFAULT_POLICIES_AS_OF


@follows_user_data
def _field_words() -> dict[str, tuple[str, dict[str, str]]]:
    """field name → (title, {value: label}) over every achievement type (first title wins)."""

    words: dict[str, tuple[str, dict[str, str]]] = {"type": ("成果类型", {})}
    for spec in achievement_types().values():
        words["type"][1][spec.name] = spec.label
        for field in spec.fields:
            title, labels = words.setdefault(field.name, (field.title or field.name, {}))
            for value, label in field.labels.items():
                labels.setdefault(str(value), label)
    return words


FIELD_EQUALS = re.compile(r"\b([a-z_]+)\s*=\s*([A-Za-z0-9_]+)\b")
TYPE_IN_BRACKETS = re.compile(r"\(type ([a-z_]+)\)|（type ([a-z_]+)）")
BARE_CODE = re.compile(r"\s*\(?\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?:\s*/\s*[a-z][a-z0-9_]*)*\b\)?")
BIG_AMOUNT = re.compile(r"(?<![\d,.])(\d{4,})\s*元")


def plain_words(text: str | None) -> str:
    """An engine note without internal codes: field=value in words, rule/variant ids dropped."""
    if not text:
        return ""
    words = _field_words()

    def field_value(match: re.Match[str]) -> str:
        name, value = match.group(1), match.group(2)
        if name not in words:
            return match.group(0)
        title, labels = words[name]
        return f"{title}「{labels.get(value, value)}」"

    text = FIELD_EQUALS.sub(field_value, text)
    text = TYPE_IN_BRACKETS.sub(lambda m: f"（{words['type'][1].get(m.group(1) or m.group(2), '')}）", text)
    if "情形是：" in text:  # "…的情形是：第五章 standardization_service_agency；…": the articles, once
        head, _, rest = text.partition("情形是：")
        parts = [BARE_CODE.sub("", p).strip(" 。") for p in rest.rstrip("。").split("；")]
        text = head + "情形是：" + "、".join(dict.fromkeys(p for p in parts if p)) + "。"
    text = BARE_CODE.sub("", text)
    return text.replace("（）", "").replace("()", "")


def amounts_in_text(text: str | None) -> str:
    """'合计1500000 元超过上限 1000000 元' → '合计 150 万元超过上限 100 万元' (engine texts on a page)."""
    if not text:
        return ""
    return BIG_AMOUNT.sub(lambda m: f" {money.wan(int(m.group(1)), gap=' ')}", text).replace("  ", " ")


def basis_short(basis: str | None) -> str:
    return BASIS_SHORT_ZH.get(basis or "", "—")
