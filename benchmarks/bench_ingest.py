"""Ingest benchmarks (printed figures, not a test).

- draft recall and precision over every money clause of the test documents (tests/data/ingest/,
  the hand-written answers in expected.yaml): a clause counts when article, when, amount and basis
  (or the derive factor) all agree;
- ingest time of a 30-article document, its new articles embedded (target ≤ 60 s);
- a fresh index build (the shipped vectors written to Chroma; target ≤ 3 s);
- a shipped city read as if new: its document is taken out of a throwaway corpus, its text from the
  seed ingested, and the draft compared with the curated rule file (rules matching on amount,
  basis and when).
Run: .venv/bin/python benchmarks/bench_ingest.py [--city weihai]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.ingest_documents import INGEST_DATA, expected, make  # noqa: E402


def use_data_dir(folder: Path) -> None:
    os.environ["SUBSIDY_DATA_DIR"] = str(folder)  # the corpus, regions and rule caches follow it


def draft_scores() -> None:
    from calculators.draft import draft_rule_file, money_lines
    from knowledge.ingest.add_document import ingest_file

    found = wanted = drafted = 0
    with tempfile.TemporaryDirectory() as folder:
        use_data_dir(Path(folder) / "data")
        for name, spec in sorted(expected().items()):
            path = make(name, spec["format"], Path(folder))
            ingest_file(path, region=spec["region"], index=False)
            got = money_lines(draft_rule_file(spec["region"])["rules"])
            hits = sum(1 for m in spec["money"] if m in got)
            print(
                f"  {name} ({spec['format']}): {hits}/{len(spec['money'])} money clauses, {len(got)} drafted"
            )
            found, wanted, drafted = found + hits, wanted + len(spec["money"]), drafted + len(got)
    print(
        f"draft recall {found / wanted:.1%} ({found}/{wanted}), precision {found / drafted:.1%} ({found}/{drafted})"
    )


def ingest_timing() -> None:
    from foundation.settings import Settings
    from knowledge.corpus import articles_of
    from knowledge.ingest.add_document import ingest_file
    from knowledge.search import Searcher

    with tempfile.TemporaryDirectory() as folder:
        use_data_dir(Path(folder) / "data")
        started = time.perf_counter()
        report = Searcher(Settings.from_env().retrieval, sync=False).build()
        print(
            f"fresh index build: {time.perf_counter() - started:.1f} s for {report.total} articles (target ≤ 3 s)"
        )
        path = make("suzhou-standardization-fund.txt", "docx", Path(folder))
        started = time.perf_counter()
        report = ingest_file(path, region="苏州市")
        seconds = time.perf_counter() - started
        assert len(articles_of(report.document_id)) == 30
        print(
            f"ingest of a 30-article .docx: {seconds:.1f} s, {report.embedded} articles embedded (target ≤ 60 s)"
        )
        started = time.perf_counter()
        again = ingest_file(path, region="苏州市")
        print(f"re-ingest of the same file: {again.status} in {time.perf_counter() - started:.2f} s")


def shipped_city_as_new(city: str) -> None:
    import calculators.rulebook as rulebook
    import knowledge.corpus as corpus
    from calculators.draft import draft_rule_file
    from knowledge.ingest.add_document import ingest_file

    curated = rulebook.load_city_rules(city)
    assert curated is not None
    (doc,) = [d for d in corpus.documents_for_region(city) if d.has_amounts]
    text = corpus.document_text(doc.id)
    shipped_docs, shipped_articles = corpus._shipped_documents(), corpus._shipped_articles()
    with tempfile.TemporaryDirectory() as folder:
        use_data_dir(Path(folder) / "data")
        # the throwaway corpus: the city's document is not shipped, only ingested
        corpus._shipped_documents = lambda: tuple(d for d in shipped_docs if d.id != doc.id)  # type: ignore[assignment]
        corpus._shipped_articles = lambda: tuple(a for a in shipped_articles if a.document_id != doc.id)  # type: ignore[assignment]
        source = Path(folder) / f"{city}.txt"
        source.write_text(text, encoding="utf-8")
        report = ingest_file(source, region=city, index=False)
        raw = draft_rule_file(city)
    print(
        f"{city} read as new: {report.articles} articles, validity {report.effective_from} .. {report.effective_to} "
        f"(curated: {doc.effective_from} .. {doc.effective_to})"
    )

    def key(rule: Any) -> tuple[Any, ...]:
        when = {k: tuple(v) if isinstance(v, list | tuple) else (v,) for k, v in dict(rule["when"]).items()}
        amount = rule.get("amount_yuan")
        factor = rule["derive"]["factor"] if rule.get("derive") else None
        return (amount, rule.get("basis"), factor, tuple(sorted(when.items())))

    curated_keys = {
        key(
            {
                "when": {k: v if not hasattr(v, "at_least") else v for k, v in r.when.items()},
                "amount_yuan": r.amount_yuan,
                "basis": r.basis,
                "derive": {"factor": float(r.factor)} if r.factor is not None else None,
            }
        )
        for r in curated.rules
    }
    drafted = [key(r) for r in raw["rules"]]
    matched = sum(1 for k in drafted if k in curated_keys)
    base = [r for r in curated.rules if r.derive is None]
    amounts = {(r.amount_yuan, r.basis) for r in base}
    on_amount = sum(1 for r in raw["rules"] if (r.get("amount_yuan"), r.get("basis")) in amounts)
    print(
        f"  draft {len(raw['rules'])} rules, curated {len(curated.rules)}: {matched} match on amount+basis+when; "
        f"{on_amount} drafted amounts+bases occur in the curated file; "
        f"caps drafted {len(raw.get('caps', []))} (curated {len(curated.caps)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--city", default="weihai", help="the shipped city read as if new")
    args = parser.parse_args()
    print(f"test documents: {', '.join(sorted(p.name for p in INGEST_DATA.glob('*.txt')))}")
    draft_scores()
    ingest_timing()
    shipped_city_as_new(args.city)


if __name__ == "__main__":
    main()
