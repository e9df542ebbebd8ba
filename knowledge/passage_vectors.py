"""Precomputed passage vectors shipped with the corpus, keyed by content hash.

Embedding the whole corpus with the bundled 4-bit e5 model takes minutes on a 2-core machine,
and the corpus changes only when the parser's output does. So the vectors of the default
model are committed (knowledge/data/passage-vectors-<model id>.npz) and `subsidy index` takes a
vector from here whenever the article's content hash matches; anything else (a changed article,
another model) is embedded for real. A test checks the file covers the corpus and that its
vectors equal freshly computed ones.

Refresh after the corpus changes: `python -m knowledge.export_passage_vectors` (exports the
vectors of an up-to-date index built with `subsidy index`).
"""

from __future__ import annotations

from functools import cache
from importlib import resources

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
