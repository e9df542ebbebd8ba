"""Retrieval eval: Recall@1, Recall@5 and MRR of BM25 alone, the embedding alone, and the hybrid.

A case (eval/cases/retrieval.jsonl) is a user's query, part of the expected document's title
and a short verbatim piece of the expected article; a hit matches when both are in it (the
same rule as eval/judges.py `judge_retrieval`, whitespace ignored). An optional `city` is
passed to the search as `--city` would be.

    python -m eval.retrieval_suite                 # the three methods, failures of the hybrid
    python -m eval.retrieval_suite --tokenizers    # BM25 and hybrid with each tokenizer
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from importlib import resources
from typing import Any

from foundation.settings import Settings
from foundation.text import squash
from knowledge.search import Searcher, get_searcher

MODES = ("bm25", "dense", "hybrid")
MRR_DEPTH = 10


def hit_matches(case: dict[str, Any], hit: Any) -> bool:
    document = hit.document if hasattr(hit, "document") else hit.get("document", "")
    text = hit.text if hasattr(hit, "text") else hit.get("text", "")
    return case["expect_doc_has"] in (document or "") and squash(case["expect_text_has"]) in squash(text)


def first_match(case: dict[str, Any], hits: Sequence[Any]) -> int | None:
    """1-based rank of the first matching hit, or None."""
    for rank, hit in enumerate(hits, 1):
        if hit_matches(case, hit):
            return rank
    return None


def _metrics(ranks: Sequence[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    return {
        "recall_at_1": round(sum(1 for r in ranks if r == 1) / n, 4),
        "recall_at_5": round(sum(1 for r in ranks if r is not None and r <= 5) / n, 4),
        "mrr": round(sum(1.0 / r for r in ranks if r is not None) / n, 4),
    }


def _as_dicts(cases: Iterable[Any]) -> list[dict[str, Any]]:
    return [c.data if hasattr(c, "data") else dict(c) for c in cases]


def run_retrieval_suite(
    cases: Iterable[Any],
    *,
    searcher: Any = None,
    modes: Sequence[str] = MODES,
) -> dict[str, Any]:
    """Metrics per method (`bm25`, `dense`, `hybrid`: recall_at_1, recall_at_5, mrr) and the
    hybrid's failures at 5 as [{id, expected, got}]. `searcher` defaults to the warm shared one."""

    cases = _as_dicts(cases)
    searcher = searcher or get_searcher(Settings.from_env().retrieval)
    result: dict[str, Any] = {"total": len(cases), "tokenizer": searcher.tokenizer}
    failures: list[dict[str, Any]] = []
    for mode in modes:
        ranks = []
        for case in cases:
            hits = searcher.search(case["query"], MRR_DEPTH, case.get("city"), mode=mode)
            rank = first_match(case, hits)
            ranks.append(rank)
            if mode == "hybrid" and (rank is None or rank > 5):
                got = "; ".join(f"{h.document[:24]} {h.article}" for h in hits[:5]) or "no hits"
                failures.append(
                    {
                        "id": case["id"],
                        "expected": f"{case['expect_doc_has']} · {case['expect_text_has']}",
                        "got": f"rank {rank or '>' + str(MRR_DEPTH)}: {got}",
                    }
                )
        result[mode] = _metrics(ranks)
    result["failures"] = failures
    return result


def compare_tokenizers(
    cases: Iterable[Any], tokenizers: Sequence[str] = ("bigram", "jieba")
) -> dict[str, Any]:
    """BM25-only and hybrid metrics with each BM25 tokenizer (same dense index)."""

    cases = _as_dicts(cases)
    base = get_searcher(Settings.from_env().retrieval)
    out = {}
    for name in tokenizers:
        searcher = Searcher(base.settings, embedder=base.embedder, tokenizer=name, sync=False)
        report = run_retrieval_suite(cases, searcher=searcher, modes=("bm25", "hybrid"))
        out[name] = {"bm25": report["bm25"], "hybrid": report["hybrid"]}
    return out


def _load_default_cases() -> list[dict[str, Any]]:

    folder = resources.files("eval").joinpath("cases")
    files = sorted(
        (p for p in folder.iterdir() if p.name.startswith("retrieval") and p.name.endswith(".jsonl")),
        key=lambda p: p.name,
    )
    return [
        json.loads(line) for p in files for line in p.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tokenizers", action="store_true", help="compare the BM25 tokenizers")
    args = parser.parse_args(argv)
    cases = _load_default_cases()
    if args.tokenizers:
        print(json.dumps(compare_tokenizers(cases), indent=1))
        return 0
    result = run_retrieval_suite(cases)
    print(f"{result['total']} cases, BM25 tokenizer {result['tokenizer']}")
    print(f"{'method':8} {'R@1':>6} {'R@5':>6} {'MRR':>6}")
    for mode in MODES:
        m = result[mode]
        print(f"{mode:8} {m['recall_at_1']:6.3f} {m['recall_at_5']:6.3f} {m['mrr']:6.3f}")
    for failure in result["failures"]:
        print(f"FAIL {failure['id']}: want {failure['expected']} — {failure['got']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
