"""Build the committed corpus from the seed texts: knowledge/data/documents.json and articles.jsonl.

    python -m knowledge.corpus_build           # rewrite knowledge/data/documents.json + articles.jsonl
    python -m knowledge.corpus_build --check   # exit 1 when the committed files are stale

sources (seeds, document_meta.yaml) → toc + locate (where each document of the compilation is)
→ blocks (cleaned, joined lines) → articles (the segmenter) → documents (corpus.Document records)
→ write (the two files, through corpus.document_row / article_row).
"""
