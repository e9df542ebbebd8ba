"""Hybrid retrieval over the policy articles: BM25 + dense vectors, fused by reciprocal rank.

    search("天津主导制定国家标准能拿多少", k=5)            -> list[Hit]
    search("领跑者 奖励", city="临沂")                    -> only 临沂's documents
    search("领跑者 奖励", city="临沂", include_national=True)

- Lexical: BM25 (jieba tokens) over document title + article heading + text
  (knowledge/bm25_index.py).
- Dense: the article, prefixed with its document title, embedded by the configured model and
  stored in Chroma (knowledge/vector_store.py).
- Fusion: reciprocal rank fusion, score = Σ w / (60 + rank) over the top 100 of each method,
  equal weights (the eval: heavier BM25 or dense weights, or k = 20 / 100, were no better).
  Articles of a region the query names (天津, 黄埔, 广州开发区 …) get one more first-place
  share; titles already carry the region, so this mostly breaks ties between cities.
  `Hit.score` is the fused score over its maximum possible value, 0..1.

Input rules (one-line errors at the CLI / HTTP 422): an empty query is a BadQueryError; a
query over 2,000 characters is a BadQueryError (not silently cut: the tail might be the
question); k < 1 is a BadQueryError and k > 50 is clamped to 50; an unknown city is an
UnknownCityError listing the allowed ids. `city` keeps that region's documents only; national
documents join them with `include_national=True`.

The searcher (BM25 built, Chroma opened, model loaded) is created once per process and
settings, so the CLI, the web service and the assistant share one warm instance.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import numpy as np
from pydantic import Field

from foundation.errors import BadQueryError
from foundation.limits import MAX_EMBEDDED_QUERY_TOKENS, MAX_QUERY_CHARS
from foundation.settings import RetrievalSettings, Settings
from foundation.text import fold
from knowledge.bm25_index import DEFAULT_TOKENIZER, BM25Index
from knowledge.corpus import Article, Document, load_documents, searchable_articles
from knowledge.embeddings import Embedder, get_embedder
from knowledge.hit import ContractHit
from knowledge.regions import all_regions, resolve_region
from knowledge.simplified import to_simplified
from knowledge.user_data import follows_user_data
from knowledge.vector_store import (
    IndexEntry,
    IndexUnavailableError,
    Notify,
    Progress,
    SyncReport,
    VectorStore,
)

__all__ = ["MAX_QUERY_CHARS", "Hit", "Searcher", "search"]

NATIONAL = "national"
MAX_K = 50
CANDIDATES = 100  # per method, fed to the fusion
QUERY_VECTOR_CACHE = 512
Mode = Literal["hybrid", "bm25", "dense"]


@dataclass(frozen=True)
class FusionWeights:
    bm25: float = 1.0
    dense: float = 1.0
    rrf_k: int = 60
    region_boost: float = 1.0  # in units of a first-place rank: 1.0 = one more method ranked it first


DEFAULT_WEIGHTS = FusionWeights()


class Hit(ContractHit):
    """One retrieved article: the contract's Hit, and where it came from."""

    document_id: str
    article_id: str
    region: str = Field(description="region name (天津市, 国家 …)")
    bm25_rank: int | None = Field(default=None, description="1-based rank by BM25, if in its top 100")
    dense_rank: int | None = Field(
        default=None, description="1-based rank by the embedding, if in its top 100"
    )


# ---- input rules -------------------------------------------------------------------------


def clean_query(query: str | None, field: str = "query") -> str:
    text = (query or "").strip()
    if not text:
        raise BadQueryError(field, "empty: say what to look for, e.g. 天津 主导制定国家标准 资助")
    if len(text) > MAX_QUERY_CHARS:
        raise BadQueryError(field, f"too long ({len(text)} characters; at most {MAX_QUERY_CHARS})")
    return text


def clamp_k(k: Any, field: str = "k") -> int:
    """k < 1 is an error; k > 50 is cut to 50 (asking for more is harmless, not a mistake)."""
    if isinstance(k, bool) or not isinstance(k, int | np.integer):
        raise BadQueryError(field, f"must be a whole number, got {k!r}")
    if k < 1:
        raise BadQueryError(field, f"must be at least 1, got {k}")
    return min(int(k), MAX_K)


def resolve_city(city: str | None, field: str = "city") -> str | None:
    if city is None or not str(city).strip():
        return None
    return resolve_region(str(city), field).id


def embedding_head(
    text: str, count_tokens: Callable[[str], int] | None, limit: int = MAX_EMBEDDED_QUERY_TOKENS
) -> str:
    """The longest start of `text` of at most `limit` model tokens: what a query embeds.

    The embedding's cost grows with the tokens (a 2,000-character query: ~1,200 tokens, seconds
    of CPU), while a question's gist is in its first words (the eval's longest query has 29
    tokens). An embedder without a tokenizer is given `limit` characters.
    """
    if count_tokens is None:
        return text[:limit]
    if count_tokens(text) <= limit:
        return text
    # at most 8 characters a token are tried: a head cut shorter still keeps within the limit
    low, high = 0, min(len(text), 8 * limit)
    while low < high:
        middle = (low + high + 1) // 2
        if count_tokens(text[:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    return text[:low]


# ---- what gets indexed -------------------------------------------------------------------


def region_key(doc: Document) -> str:
    return doc.region_id or NATIONAL


def passage_for(article: Article, doc: Document) -> str:
    """The embedding input: the title says whose rule it is, the text says what it is."""
    return f"{doc.title}\n{article.text}"


def lexical_text(article: Article, doc: Document) -> str:
    """What BM25 indexes: title, headings and text, in simplified characters like the queries."""
    return to_simplified("\n".join(part for part in (doc.title, article.heading, article.text) if part))


def index_entries(articles: Sequence[Article], documents: dict[str, Document]) -> list[IndexEntry]:
    entries = []
    for article in articles:
        doc = documents[article.document_id]
        entries.append(
            IndexEntry(
                id=article.id,
                passage=passage_for(article, doc),
                document=article.text,
                metadata={
                    "document_id": doc.id,
                    "article": article.article,
                    "position": article.position,
                    "region_id": region_key(doc),
                    "region": doc.region,
                    "effective_from": doc.effective_from.isoformat() if doc.effective_from else "",
                    "effective_to": doc.effective_to.isoformat() if doc.effective_to else "",
                },
            )
        )
    return entries


# ---- regions named in a query ------------------------------------------------------------


@follows_user_data
def _alias_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    table: dict[str, str] = {}
    for region in all_regions():
        for alias in (region.name, *region.aliases):
            table[fold(alias)] = region.id
    alternatives = sorted(table, key=len, reverse=True)  # 广州黄埔区 before 黄埔
    return re.compile("|".join(re.escape(a) for a in alternatives)), table


def regions_named_in(query: str) -> set[str]:
    """Region ids whose name or alias appears in the query (天津, 广州开发区, weihai …)."""
    pattern, table = _alias_pattern()
    folded = fold(query)
    found = set()
    for match in pattern.finditer(folded):
        text = match.group(0)
        if text.isascii() and not _ascii_word_at(folded, match.start(), match.end()):
            continue
        found.add(table[text])
    return found


def _ascii_word_at(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return not (before.isascii() and before.isalnum()) and not (after.isascii() and after.isalnum())


# ---- the searcher ------------------------------------------------------------------------


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Searcher:
    """BM25 + a Chroma collection + an embedder, loaded once; `search` is then a few ms."""

    def __init__(
        self,
        settings: RetrievalSettings,
        *,
        embedder: Embedder | None = None,
        articles: Sequence[Article] | None = None,
        tokenizer: str = DEFAULT_TOKENIZER,
        weights: FusionWeights = DEFAULT_WEIGHTS,
        notify: Notify = _stderr,
        sync: bool = True,
    ) -> None:
        self.settings = settings
        self.weights = weights
        self.documents = {doc.id: doc for doc in load_documents()}
        self.articles = list(articles if articles is not None else searchable_articles())
        self.position = {a.id: i for i, a in enumerate(self.articles)}
        self.region_ids = np.array([region_key(self.documents[a.document_id]) for a in self.articles])
        self.embedder = embedder or get_embedder(settings.embedding_model)
        self.store = VectorStore(settings, self.embedder, notify=notify)
        self._notify = notify
        self.tokenizer = tokenizer
        self._query_vectors: dict[str, np.ndarray] = {}
        self._cache_lock = threading.Lock()
        if sync:
            self.ensure_index()

    @cached_property
    def bm25(self) -> BM25Index:
        texts = [lexical_text(a, self.documents[a.document_id]) for a in self.articles]
        return BM25Index(texts, self.tokenizer)

    def entries(self) -> list[IndexEntry]:
        return index_entries(self.articles, self.documents)

    def ensure_index(self) -> SyncReport | None:
        """Build the index when it is missing, bring it up to date when the corpus changed."""
        entries = self.entries()
        stored = self.store.stored_state()
        model_id = self.embedder.model_id
        expected = {e.id: {**e.metadata, "content_hash": e.content_hash(model_id)} for e in entries}
        if stored == expected:
            return None
        if self.store.recovered:
            pass  # the store already said it is rebuilding
        elif not stored:
            self._notify(
                f"building the search index for {len(entries)} articles in {self.store.location} "
                "(first use only; a few minutes on a small CPU)…"
            )
        else:
            self._notify("the corpus changed since the search index was built; updating it…")
        return self.store.sync(entries)

    def build(self, *, rebuild: bool = False, progress: Progress | None = None) -> SyncReport:
        return self.store.sync(self.entries(), rebuild=rebuild, progress=progress)

    # ---- one method each -----------------------------------------------------------------

    def _mask(self, city: str | None, include_national: bool) -> np.ndarray | None:
        if city is None:
            return None
        mask = self.region_ids == city
        if include_national:
            mask |= self.region_ids == NATIONAL
        return mask

    def _where(self, city: str | None, include_national: bool) -> dict[str, Any] | None:
        if city is None:
            return None
        if include_national:
            return {"region_id": {"$in": [city, NATIONAL]}}
        return {"region_id": city}

    def bm25_ranked(self, query: str, n: int, mask: np.ndarray | None) -> list[tuple[int, float]]:
        return self.bm25.ranked(query, n, mask)

    def query_vector(self, query: str) -> np.ndarray:
        """The embedding of the query's head (`embedding_head`); the last few hundred are kept
        (a page reload asks again)."""
        query = embedding_head(query, getattr(self.embedder, "count_tokens", None))
        vector = self._query_vectors.get(query)
        if vector is None:
            vector = self.embedder.embed_query(query)
            with self._cache_lock:
                while len(self._query_vectors) >= QUERY_VECTOR_CACHE:
                    self._query_vectors.pop(next(iter(self._query_vectors)))
                self._query_vectors[query] = vector
        return vector

    def dense_ranked(self, query: str, n: int, where: dict[str, Any] | None) -> list[tuple[int, float]]:
        vector = self.query_vector(query)
        try:
            nearest = self.store.query(vector, n, where)
        except IndexUnavailableError:
            raise
        except Exception as err:
            raise IndexUnavailableError(
                "index",
                f"the search index cannot be read ({type(err).__name__}); run `subsidy index --rebuild`",
            ) from None
        return [(self.position[rid], sim) for rid, sim in nearest if rid in self.position]

    # ---- fused ---------------------------------------------------------------------------

    def search(
        self,
        query: str,
        k: int = 5,
        city: str | None = None,
        *,
        include_national: bool = False,
        mode: Mode = "hybrid",
        weights: FusionWeights | None = None,
    ) -> list[Hit]:
        query = to_simplified(clean_query(query))  # 臨沂 finds 临沂; hits keep the verbatim text
        k = clamp_k(k)
        city_id = resolve_city(city)
        w = weights or self.weights
        mask = self._mask(city_id, include_national)
        # dense first: Chroma's native worker threads run on for a few ms after a query, and
        # BM25 (one Python thread) overlaps them better than the next query's embedding would
        dense = (
            self.dense_ranked(query, CANDIDATES, self._where(city_id, include_national))
            if mode in ("hybrid", "dense")
            else []
        )
        bm25 = self.bm25_ranked(query, CANDIDATES, mask) if mode in ("hybrid", "bm25") else []
        bm25_rank = {i: r for r, (i, _) in enumerate(bm25, 1)}
        dense_rank = {i: r for r, (i, _) in enumerate(dense, 1)}

        if mode == "bm25":
            scored = [(i, s) for i, s in bm25]
            top = max((s for _, s in scored), default=1.0) or 1.0
            scored = [(i, s / top) for i, s in scored]
        elif mode == "dense":
            scored = [(i, s) for i, s in dense]
        else:
            named = regions_named_in(query) if city_id is None else set()
            fused: dict[int, float] = {}
            for ranks, weight in ((bm25_rank, w.bm25), (dense_rank, w.dense)):
                for i, rank in ranks.items():
                    fused[i] = fused.get(i, 0.0) + weight / (w.rrf_k + rank)
            first = 1.0 / (w.rrf_k + 1)
            if named:
                for i in fused:
                    if self.region_ids[i] in named:
                        fused[i] += w.region_boost * first
            best = (w.bm25 + w.dense + (w.region_boost if named else 0.0)) * first
            scored = sorted(
                ((i, s / best) for i, s in fused.items()),
                key=lambda item: (
                    -item[1],
                    min(bm25_rank.get(item[0], 10**6), dense_rank.get(item[0], 10**6)),
                ),
            )
        return [self._hit(i, s, bm25_rank.get(i), dense_rank.get(i)) for i, s in scored[:k]]

    def _hit(self, i: int, score: float, bm25_rank: int | None, dense_rank: int | None) -> Hit:
        article = self.articles[i]
        doc = self.documents[article.document_id]
        return Hit(
            document=doc.title,
            article=article.article,
            city=region_key(doc),
            text=article.text,
            score=round(float(score), 4),
            document_id=doc.id,
            article_id=article.id,
            region=doc.region,
            bm25_rank=bm25_rank,
            dense_rank=dense_rank,
        )


# ---- the warm, shared searcher -----------------------------------------------------------

_lock = threading.Lock()


@follows_user_data
def _searcher_for(settings: RetrievalSettings) -> Searcher:
    return Searcher(settings)


def get_searcher(settings: RetrievalSettings) -> Searcher:
    """The process's searcher for these settings (built on first use, then reused)."""
    with _lock:
        return _searcher_for(settings)


def reset_searcher() -> None:
    """Forget warm searchers (after `subsidy index`, or when a test changes the environment)."""
    with _lock:
        _searcher_for.cache_clear()


@dataclass(frozen=True)
class Retriever:
    """The policy search of one configuration, as the assistant and the faces are given it.
    Bad input fails before anything heavy loads; then the warm searcher for these settings."""

    settings: RetrievalSettings

    def search(
        self, query: str, k: int = 5, city: str | None = None, *, include_national: bool = False
    ) -> list[Hit]:
        clean_query(query)
        clamp_k(k)
        resolve_city(city)
        return get_searcher(self.settings).search(query, k, city, include_national=include_national)


def search(
    query: str,
    k: int = 5,
    city: str | None = None,
    *,
    include_national: bool = False,
) -> list[Hit]:
    """Hybrid search with the settings of the environment now (scripts, notebooks); the faces and
    the assistant hold a `Retriever` made from the settings they started with."""
    return Retriever(Settings.from_env().retrieval).search(query, k, city, include_national=include_national)


def build_index(
    settings: RetrievalSettings,
    *,
    rebuild: bool = False,
    progress: Progress | None = None,
    notify: Notify = _stderr,
) -> SyncReport:
    """`subsidy index`: sync (or, with rebuild, recreate) the configured model's collection."""
    searcher = Searcher(settings, notify=notify, sync=False)
    report = searcher.build(rebuild=rebuild, progress=progress)
    reset_searcher()
    return report
