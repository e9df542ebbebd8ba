"""The check an LLM-phrased answer must pass before a user sees it.

Every number in the text must be one the template answer (rendered from the Estimate) or a
cited clause states; every amount must be an amount of the Estimate or of a cited clause;
every article and document it names must be one that was cited; it must keep each item's
amount and say plainly when a policy has expired. Anything else → the template answer is used.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from calculators.models import Citation, Estimate
from foundation.chinese_numerals import chinese_integer

_ARABIC = re.compile(r"\d[\d,，]*(?:\.\d+)?")
_MONEY = re.compile(r"(\d[\d,，]*(?:\.\d+)?|[零〇一二两三四五六七八九十百千万]+)\s*(万元|万|千元|元)")
_ARTICLE = re.compile(r"第[零〇一二三四五六七八九十百\d]+[条章]")
_TITLE = re.compile(r"《([^》]{2,80})》")


def _number(raw: str) -> Decimal | None:
    raw = raw.replace(",", "").replace("，", "")
    try:
        return Decimal(raw)
    except InvalidOperation:
        value = chinese_integer(raw)  # the extraction's parser: 一万二 is 12000, 一百二 is 120
        return Decimal(value) if value is not None else None


def numbers(text: str) -> set[Decimal]:
    out = set()
    for m in _ARABIC.finditer(text):
        value = _number(m.group(0))
        if value is not None:
            out.add(value.normalize())
    return out


def money_yuan(text: str) -> list[tuple[str, Decimal]]:
    """Every amount of money written in `text`, in yuan: 8万元 → 80000, 八万 → 80000, 80,000元 → 80000."""
    out = []
    for m in _MONEY.finditer(text):
        value = _number(m.group(1))
        if value is None:
            continue
        factor = {"万元": 10000, "万": 10000, "千元": 1000, "元": 1}[m.group(2)]
        out.append((m.group(0), (value * factor).normalize()))
    return out


def estimate_amounts(estimate: Estimate | None) -> set[Decimal]:
    if estimate is None:
        return set()
    values: set[int] = {estimate.total_yuan, estimate.total_in_force_yuan}
    for item in estimate.items:
        values |= {v for v in (item.amount_yuan, item.counted_yuan) if v is not None}
        values |= {s.yuan for s in item.trace if s.yuan is not None}
    values |= {cap.reduced_by_yuan for cap in estimate.caps_applied}
    return {Decimal(v).normalize() for v in values}


def _estimate_text(estimate: Estimate | None) -> str:
    if estimate is None:
        return ""
    parts = []
    for item in estimate.items:
        parts += [c.quote for c in item.citations] + list(item.notes) + [s.detail for s in item.trace]
        if item.apply is not None:
            parts += [c.quote for c in item.apply.citations]
    parts += [cap.description + cap.citation.quote for cap in estimate.caps_applied]
    return "\n".join(parts)


def check(
    text: str,
    draft: str,
    estimate: Estimate | None,
    citations: list[Citation],
    also: Sequence[Estimate] = (),
) -> list[str]:
    """Problems with an LLM answer; empty means it may be shown.

    `also`: further Estimates the answer may draw numbers and amounts from (the agent's tool
    results); only `estimate`'s items must each be stated."""
    if not text or not text.strip():
        return ["empty answer"]
    problems: list[str] = []
    sources = draft + "\n" + "\n".join(c.quote for c in citations) + "\n" + _estimate_text(estimate)
    sources += "".join("\n" + _estimate_text(e) for e in also)
    allowed_numbers = numbers(sources)
    for more in also:  # a tool's amounts, as written in yuan or in 万元
        amounts = estimate_amounts(more)
        allowed_numbers |= amounts | {(v / 10000).normalize() for v in amounts}
    for value in sorted(numbers(text) - allowed_numbers):
        problems.append(f"number {value} is not in the Estimate or the cited clauses")
    allowed_money = estimate_amounts(estimate) | {v for _, v in money_yuan(sources)}
    for more in also:
        allowed_money |= estimate_amounts(more)
    for raw, value in money_yuan(text):
        if value not in allowed_money:
            problems.append(f"amount {raw!r} is not an amount of the Estimate")
    articles = {c.article for c in citations} | set(_ARTICLE.findall(draft))
    for article in set(_ARTICLE.findall(text)):
        if not any(article in known for known in articles):
            problems.append(f"article {article} was not cited")
    documents = [c.document for c in citations] + _TITLE.findall(draft)
    for title in set(_TITLE.findall(text)):
        if not any(title in d or d in title for d in documents):
            problems.append(f"document 《{title}》 was not cited")
    if estimate is not None:  # what the template answer says of the Estimate, the text must say too
        stated = {v for _, v in money_yuan(re.sub(r"\s+", "", text))}
        drafted = {v for _, v in money_yuan(re.sub(r"\s+", "", draft))}
        for item in estimate.items:
            amount = Decimal(item.amount_yuan) if item.amount_yuan is not None else None
            if item.covered and amount is not None and amount in drafted and amount not in stated:
                problems.append(f"item {item.input_index} amount {item.amount_yuan} is missing")
            if item.policy_status == "expired" and "失效" in draft and "失效" not in text:
                problems.append(f"item {item.input_index}: the policy's expiry is not stated")
    return problems
