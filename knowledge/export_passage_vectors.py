"""Export the passage vectors of an up-to-date index into the shipped file (a maintainer's tool,
run after the corpus changes): `subsidy index`, then `python -m knowledge.export_passage_vectors`.
The runtime reader of that file is knowledge/passage_vectors.py."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from foundation.settings import Settings
from knowledge.passage_vectors import cache_file_name
from knowledge.search import Searcher


def export_from_index(out_dir: Path) -> Path:
    """Write the vectors of the current index (default settings) for the corpus's articles."""
    searcher = Searcher(Settings.from_env().retrieval, sync=False)
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
