"""The retrieval eval: its cases are sound, and the hybrid meets its bar on them."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from eval.cases import load_cases
from eval.retrieval_suite import first_match, run_retrieval_suite
from knowledge.corpus import load_documents, searchable_articles
from tests.gold_gate import unexpected_outcomes
from tests.test_search import build_session_index

# Builds the full index and runs the retrieval gold suite.
pytestmark = pytest.mark.integration

CASES_PATHS = sorted((Path(__file__).resolve().parents[1] / "eval" / "cases").glob("retrieval*.jsonl"))
MONEY_DOCUMENTS = {
    "beijing-subsidy-measures",
    "tianjin-subsidy-measures",
    "zhengzhou-quality-rules",
    "weihai-subsidy-measures",
    "zaozhuang-award-measures",
    "linyi-incentive-measures",
    "liaocheng-award-measures",
    "foshan-strategy-fund-measures",
    "huangpu-quality-fund-measures",
}
NATIONAL_DOCUMENTS = {
    "samr-enterprise-standardization-measures",
    "national-standardization-outline",
    "group-standards-opinions",
}


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def cases() -> list[dict]:
    return [
        json.loads(line)
        for path in CASES_PATHS
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def expected_articles(case: dict) -> list:
    titles = {d.id: d.title for d in load_documents()}
    return [
        a
        for a in searchable_articles()
        if case["expect_doc_has"] in titles[a.document_id]
        and squash(case["expect_text_has"]) in squash(a.text)
    ]


def test_cases_are_well_formed(cases: list[dict]) -> None:
    assert len(cases) >= 70
    assert [c["id"] for c in cases] == sorted({c["id"] for c in cases})
    # ret-: written alongside the index; reti-: written independently, without reading the code
    assert all(re.fullmatch(r"reti?-\d{3}", c["id"]) for c in cases)
    assert len(load_cases(CASES_PATHS, suite="retrieval")) == len(cases)  # the eval runner's schema
    for case in cases:
        assert case["query"].strip() and case["why"].strip()
        assert squash(case["expect_text_has"]) not in squash(case["query"]), case["id"]  # not copied


def test_every_case_points_at_a_real_article(cases: list[dict]) -> None:
    for case in cases:
        assert expected_articles(case), f"{case['id']}: no article has {case['expect_text_has']!r}"


def test_cases_cover_the_money_and_national_documents(cases: list[dict]) -> None:
    covered = Counter(a.document_id for case in cases for a in expected_articles(case)[:1])
    for doc_id in MONEY_DOCUMENTS:
        assert covered[doc_id] >= 5, doc_id
    anywhere = {a.document_id for case in cases for a in expected_articles(case)}
    assert anywhere >= NATIONAL_DOCUMENTS  # 团体标准意见 is also in the compilation: either copy counts
    regions = {d.id: d.region_id for d in load_documents()}
    no_money = {regions[d] for d in covered if regions[d] and d not in MONEY_DOCUMENTS}
    assert len(no_money) >= 6


def test_first_match_rank() -> None:
    case = {"expect_doc_has": "天津", "expect_text_has": "8 万元"}
    hits = [{"document": "北京", "text": "8万元"}, {"document": "天津市印发", "text": "给予 8万 元"}]
    assert first_match(case, hits) == 2
    assert first_match(case, hits[:1]) is None


def test_hybrid_fails_only_the_known_cases_and_beats_each_method(
    cases: list[dict], tmp_path_factory: pytest.TempPathFactory
) -> None:
    build_session_index(tmp_path_factory)
    result = run_retrieval_suite(cases)
    hybrid, bm25, dense = result["hybrid"], result["bm25"], result["dense"]
    assert unexpected_outcomes("retrieval", result["failures"], {c["id"] for c in cases}) == []
    assert hybrid["recall_at_5"] >= max(bm25["recall_at_5"], dense["recall_at_5"])
    assert hybrid["mrr"] > max(bm25["mrr"], dense["mrr"])
    assert len(result["failures"]) == round((1 - hybrid["recall_at_5"]) * len(cases))
    for failure in result["failures"]:
        assert set(failure) == {"id", "expected", "got"}
