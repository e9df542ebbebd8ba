"""Gold case files (eval/cases/*.jsonl), validated on load."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from assistant.intents import INTENTS  # the Answer's intent names (CONTRACT.md)

CALC_FIELDS = {"id", "request", "expect", "source_lines", "why"}
CHAT_FIELDS = {
    "id",
    "question",
    "as_of",
    "turns",
    "expect_follow_up",
    "expect_first_follow_up",  # dialogues: the first answer must ask back (as the shared checker reads it)
    "expect_amount_yuan",
    "expect_not_covered",
    "expect_doc_has",
    "expect_article",
    "expect_items",
    "expect_no_follow_up",
    "expect_answer_has",
    "expect_answer_lacks",
    "expect_verdict",
    "expect_city_amounts",
    "expect_top_city",
    "expect_english",
    "intent",
    "source_lines",
    "why",
}
RETRIEVAL_FIELDS = {"id", "query", "city", "expect_doc_has", "expect_text_has", "expect_article", "why"}
SUITE_FIELDS = {"calc": CALC_FIELDS, "chat": CHAT_FIELDS, "retrieval": RETRIEVAL_FIELDS}


class CaseFileError(ValueError):
    pass


@dataclass(frozen=True)
class Case:
    suite: str
    id: str
    data: dict[str, Any]
    source: str


def suite_of(case: dict[str, Any]) -> str:
    if "request" in case:
        return "calc"
    if "question" in case or "turns" in case:
        return "chat"
    if "query" in case:
        return "retrieval"
    raise CaseFileError(f"unknown case shape: {sorted(case)}")


def parse_case_lines(text: str, source: str) -> list[Case]:
    cases = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{source}:{lineno}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as err:
            raise CaseFileError(f"{where}: not JSON ({err.msg})") from None
        if not isinstance(raw, dict) or not raw.get("id"):
            raise CaseFileError(f"{where}: a case needs an id")
        suite = suite_of(raw)
        unknown = sorted(set(raw) - SUITE_FIELDS[suite])
        if unknown:
            raise CaseFileError(f"{where}: unknown field {unknown[0]!r} in a {suite} case")
        if suite == "chat" and raw.get("intent", "amount") not in INTENTS:
            raise CaseFileError(f"{where}: intent {raw['intent']!r} is not one of {', '.join(INTENTS)}")
        cases.append(Case(suite=suite, id=raw["id"], data=raw, source=where))
    return cases


def default_case_files() -> list[Path]:
    folder = resources.files("eval").joinpath("cases")
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".jsonl"))


def load_cases(paths: list[Path] | None = None, suite: str | None = None) -> list[Case]:
    cases: list[Case] = []
    for path in paths or default_case_files():
        cases += parse_case_lines(path.read_text(encoding="utf-8"), path.name)
    seen: dict[str, str] = {}
    for case in cases:
        if case.id in seen:
            raise CaseFileError(f"{case.source}: duplicate id {case.id!r} (first at {seen[case.id]})")
        seen[case.id] = case.source
    return [c for c in cases if suite is None or c.suite == suite]
