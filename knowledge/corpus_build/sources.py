"""The build's inputs: the seed texts (knowledge/seeds/) and the hand-curated facts about each
document (knowledge/document_meta.yaml, reviewed like code).

What the build takes from document_meta.yaml: the id, the region, the issuer, the validity
sentence and the dates it states, `has_amounts`, and a publication date where the （发布时间：…）
line is missing or gives no year, and `same_text_as` for a document that reprints another (the
compilation's #9 is seed 004: listed, but only seed 004 is searched). `units` sets a document's
article unit where the text's own numbering does not (knowledge/corpus_build/articles.py).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from knowledge.corpus_build.articles import UNITS_OVERRIDE

KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent
SEEDS_DIR = KNOWLEDGE_DIR / "seeds"
DATA_DIR = KNOWLEDGE_DIR / "data"
META_PATH = KNOWLEDGE_DIR / "document_meta.yaml"

MAIN_SEED = "001_9dbe9052b049e00e.txt"  # the compilation: many documents under one table of contents
META_FIELDS = {
    "id",
    "seed",
    "heading",
    "unnumbered",
    "title",
    "region_id",
    "issuer",
    "published",
    "effective_from",
    "effective_to",
    "validity_quote",
    "has_amounts",
    "units",
    "note",
    "same_text_as",
    "draft",
}


def read_lines(seed: str) -> list[str]:
    """The seed's lines, 1-based positions matching `sed -n`, line ends removed."""
    text = (SEEDS_DIR / seed).read_text(encoding="utf-8")
    return [""] + [line.rstrip("\r") for line in text.split("\n")]


def load_meta() -> list[dict[str, Any]]:
    """document_meta.yaml's entries, refused when an id repeats or a key or a unit is unknown."""
    raw = yaml.safe_load(META_PATH.read_text(encoding="utf-8"))
    entries = raw["documents"]
    ids = Counter(e["id"] for e in entries)
    if dup := [i for i, n in ids.items() if n > 1]:
        raise ValueError(f"duplicate ids in document_meta.yaml: {dup}")
    for e in entries:
        if extra := set(e) - META_FIELDS:
            raise ValueError(f"{e['id']}: unknown keys {sorted(extra)}")
        if e.get("units") is not None and e["units"] not in UNITS_OVERRIDE:
            raise ValueError(f"{e['id']}: units must be one of {sorted(UNITS_OVERRIDE)}")
    return entries
