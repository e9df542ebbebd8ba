"""Judges: compare what the product returned with a gold case (same rules as shared/tools/contract_check.py)."""

from __future__ import annotations

import re
from typing import Any

from foundation.text import squash
from knowledge.regions import resolve_region


def judge_calc(expect: dict[str, Any], got: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    items = got.get("items") or []
    for i, want in enumerate(expect.get("items", [])):
        have = next((it for it in items if it.get("input_index") == i), None)
        if have is None:
            problems.append(f"item {i}: missing")
            continue
        if bool(have.get("covered")) != bool(want["covered"]):
            problems.append(f"item {i}: covered={have.get('covered')} want {want['covered']}")
            continue
        if not want["covered"]:
            if have.get("amount_yuan") not in (None, 0):
                problems.append(f"item {i}: uncovered but amount_yuan={have.get('amount_yuan')}")
            continue
        ok_amounts = want.get("accept") or [want["amount_yuan"]]
        if have.get("amount_yuan") not in ok_amounts:
            problems.append(f"item {i}: amount_yuan={have.get('amount_yuan')} want {ok_amounts}")
        if want.get("basis") and have.get("basis") != want["basis"]:
            problems.append(f"item {i}: basis={have.get('basis')} want {want['basis']}")
        if want.get("policy_status") and have.get("policy_status") != want["policy_status"]:
            problems.append(
                f"item {i}: policy_status={have.get('policy_status')} want {want['policy_status']}"
            )
        quote = squash((have.get("citation") or {}).get("quote"))
        for frag in want.get("quote_has", []):
            if squash(frag) not in quote:
                problems.append(f"item {i}: citation.quote lacks {frag!r}")
        if want.get("rule_id") and have.get("rule_id") != want["rule_id"]:
            problems.append(f"item {i}: rule_id={have.get('rule_id')} want {want['rule_id']}")
        if "counted_yuan" in want and have.get("counted_yuan") != want["counted_yuan"]:
            problems.append(f"item {i}: counted_yuan={have.get('counted_yuan')} want {want['counted_yuan']}")
    if "total_yuan" in expect:
        accept = expect.get("accept_total") or [expect["total_yuan"]]
        if got.get("total_yuan") not in accept:
            problems.append(f"total_yuan={got.get('total_yuan')} want {accept}")
    if "caps_applied" in expect:
        have_caps = sorted(c.get("id") for c in got.get("caps_applied") or [])
        if have_caps != sorted(expect["caps_applied"]):
            problems.append(f"caps_applied={have_caps} want {sorted(expect['caps_applied'])}")
    return problems


def amount_forms(yuan: int) -> list[str]:
    wan = yuan / 10000
    wan_txt = f"{wan:g}" if wan != int(wan) else str(int(wan))
    return [f"{wan_txt}万元", f"{wan_txt}万", f"{yuan}元", f"{yuan:,}元"]


def _region_id(name: str) -> str:

    try:
        return resolve_region(name).id
    except Exception:
        return name


def _has(answer: str, fragment: str) -> bool:
    """`fragment` (whitespace ignored) is in the answer; "a|b" is satisfied by either."""
    return any(squash(alt) and squash(alt) in answer for alt in fragment.split("|"))


def _looks_english(text: str) -> bool:
    """The answer's own words are English: most of its lines (quotes aside) are Latin text."""
    lines = [line for line in (text or "").splitlines() if line.strip()]
    if not lines:
        return False
    latin = sum(1 for line in lines if len(re.findall(r"[A-Za-z]{2,}", line)) >= 2)
    return latin / len(lines) >= 0.5


def judge_chat(case: dict[str, Any], got: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    answer = squash(got.get("answer"))
    follow = got.get("follow_up")
    if not answer and not follow:
        return ["empty answer"]
    intent = case.get("intent")
    if intent and intent not in (got.get("intents") or []):
        problems.append(f"intents={got.get('intents')} lack {intent!r}")
    for fragment in case.get("expect_answer_has", []):
        if not _has(answer, fragment):
            problems.append(f"answer lacks {fragment!r}")
    for fragment in case.get("expect_answer_lacks", []):
        if _has(answer, fragment):
            problems.append(f"answer has {fragment!r}")
    if case.get("expect_english") and not _looks_english(got.get("answer") or ""):
        problems.append("answer is not in English")
    if case.get("expect_no_follow_up") and follow:
        problems.append(f"asked back: {follow[:80]!r}")
    if case.get("expect_verdict") and got.get("verdict") != case["expect_verdict"]:
        problems.append(f"verdict={got.get('verdict')} want {case['expect_verdict']}")
    rows = got.get("comparison") or []
    by_city = {row.get("city"): row for row in rows}
    for city, want in (case.get("expect_city_amounts") or {}).items():
        row = by_city.get(_region_id(city))
        if row is None:
            problems.append(f"comparison lacks {city}")
        elif row.get("total_yuan") != want:
            problems.append(f"comparison {city}={row.get('total_yuan')} want {want}")
    if case.get("expect_top_city"):
        top = rows[0].get("city") if rows else None
        if top != _region_id(case["expect_top_city"]):
            problems.append(f"comparison starts with {top} want {case['expect_top_city']}")
    if case.get("expect_follow_up"):
        if not follow:
            problems.append("expected a follow-up question for the missing fact")
        return problems
    if follow and case.get("expect_amount_yuan") is not None:
        problems.append(f"asked back instead of answering: {follow[:80]!r}")
    est = got.get("estimate") or {}
    if case.get("expect_items") is not None and len(est.get("items") or []) != case["expect_items"]:
        problems.append(f"estimate has {len(est.get('items') or [])} items want {case['expect_items']}")
    covered = [it for it in est.get("items", []) if it.get("covered")]
    if case.get("expect_not_covered"):
        if covered:
            problems.append("claimed coverage where no clause pays")
        return problems
    want = case.get("expect_amount_yuan")
    if want is not None:
        amounts = {it.get("amount_yuan") for it in covered} | {est.get("total_yuan")}
        amounts |= {row.get("total_yuan") for row in rows}
        if want not in amounts:
            problems.append(f"estimate amounts {sorted(a for a in amounts if a is not None)} lack {want}")
        if not any(squash(f) in answer for f in amount_forms(want)):
            problems.append(f"answer text does not state {amount_forms(want)[0]}")
    citations = got.get("citations") or []
    if case.get("expect_doc_has"):
        docs = [c.get("document", "") for c in citations]
        if not any(case["expect_doc_has"] in d for d in docs):
            problems.append(f"no citation from a document with {case['expect_doc_has']!r}: {docs[:3]}")
    if case.get("expect_article"):
        wanted = squash(case["expect_article"])
        cites = [
            c
            for c in citations
            if squash(c.get("article")).startswith(wanted)
            and (not case.get("expect_doc_has") or case["expect_doc_has"] in c.get("document", ""))
        ]
        if not cites:
            problems.append(
                f"no citation of {case['expect_article']}: {[c.get('article') for c in citations][:5]}"
            )
    return problems


def judge_retrieval(case: dict[str, Any], hits: list[dict[str, Any]]) -> list[str]:
    for hit in hits[:5]:
        if case["expect_doc_has"] in (hit.get("document") or "") and squash(
            case["expect_text_has"]
        ) in squash(hit.get("text")):
            return []
    tops = [(h.get("document", "")[:20], h.get("article")) for h in hits[:5]]
    return [f"top-5 lacks {case['expect_doc_has']!r} with {case['expect_text_has']!r}; got {tops}"]
