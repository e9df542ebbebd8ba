"""Write the corpus files from the seed texts (`python -m knowledge.corpus_build`).

With `--check` nothing is written: it names each stale file and exits 1.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from knowledge.corpus import Article, Document, article_row, document_row
from knowledge.corpus_build.documents import build
from knowledge.corpus_build.sources import DATA_DIR, KNOWLEDGE_DIR

DOCUMENTS_PATH = DATA_DIR / "documents.json"
ARTICLES_PATH = DATA_DIR / "articles.jsonl"
COMMAND = "python -m knowledge.corpus_build"


def render(documents: list[Document], articles: list[Article]) -> dict[Path, str]:
    """Each output file and its text."""
    rows = [document_row(d) for d in documents]
    return {
        DOCUMENTS_PATH: json.dumps(rows, ensure_ascii=False, indent=2) + "\n",
        ARTICLES_PATH: "".join(json.dumps(article_row(a), ensure_ascii=False) + "\n" for a in articles),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed output is stale")
    args = parser.parse_args(argv)
    documents, articles = build()
    outputs = render(documents, articles)
    if args.check:
        stale = [p for p, text in outputs.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
        for path in stale:
            print(f"stale: {path.relative_to(KNOWLEDGE_DIR.parent)} (run {COMMAND})")
        return 1 if stale else 0
    for path, text in outputs.items():
        path.write_text(text, encoding="utf-8")
    print(f"wrote {len(documents)} documents, {len(articles)} articles")
    return 0
