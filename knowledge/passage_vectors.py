"""Precomputed passage vectors shipped with the corpus, keyed by content hash.

Embedding the whole corpus with the bundled 4-bit e5 model takes minutes on a 2-core machine,
and the corpus changes only when the parser's output does. So the vectors of the default
model are committed (knowledge/data/passage-vectors-<model id>.npz) and `subsidy index` takes a
vector from here whenever the article's content hash matches; anything else (a changed article,
another model) is embedded for real. A test checks the file covers the corpus and that its
vectors equal freshly computed ones.

Refresh after the corpus changes: `python -m knowledge.passage_vectors` (exports the vectors of
an up-to-date index built with `subsidy index`).
"""

from __future__ import annotations

import sys
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np


def cache_file_name(model_id: str) -> str:
    return f"passage-vectors-{model_id}.npz"


@cache
def cached_vectors(model_id: str) -> dict[str, np.ndarray]:
    """content hash -> unit vector, for the model that made the shipped file (else empty)."""
    path = resources.files("knowledge").joinpath(f"data/{cache_file_name(model_id)}")
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        data = np.load(fh, allow_pickle=False)
        hashes, vectors = data["hashes"], data["vectors"].astype(np.float32)
    return {str(h): v for h, v in zip(hashes, vectors, strict=True)}


def export_from_index(out_dir: Path) -> Path:
    """Write the vectors of the current index (default settings) for the corpus's articles."""
    from knowledge.search import Searcher
    from knowledge.settings import load_settings

    searcher = Searcher(load_settings(), sync=False)
    model_id = searcher.embedder.model_id
    wanted = {e.id: e.content_hash(model_id) for e in searcher.entries()}
    got = searcher.store.collection.get(include=["embeddings", "metadatas"])
    hashes, vectors = [], []
    for rid, vector, meta in zip(got["ids"], got["embeddings"], got["metadatas"], strict=True):
        if rid in wanted and (meta or {}).get("content_hash") == wanted[rid]:
            hashes.append(wanted[rid])
            vectors.append(np.asarray(vector, dtype=np.float32))
    missing = len(wanted) - len(hashes)
    if missing:
        raise SystemExit(f"{missing} articles are not in the index or are stale: run `subsidy index` first")
    path = out_dir / cache_file_name(model_id)
    order = np.argsort(hashes)
    np.savez_compressed(path, hashes=np.array(hashes)[order], vectors=np.stack(vectors)[order])
    return path


if __name__ == "__main__":
    written = export_from_index(Path(__file__).parent / "data")
    print(f"wrote {written}", file=sys.stderr)
