"""Dense vectors of the articles in ChromaDB: one collection per embedding model.

Embedded mode (default) keeps a PersistentClient in `<SUBSIDY_DATA_DIR>/chroma`; with
CHROMA_HOST / CHROMA_PORT set, the same collection lives in a Chroma server (`chroma run`).

`VectorStore.sync` makes the collection equal to the corpus and does the least work: each
entry carries a hash of its embedding input, so unchanged articles are skipped, changed ones
re-embedded, vanished ones deleted, and an entry whose metadata alone changed (a corrected
date) is updated without re-embedding. A store that cannot be read (a corrupt sqlite file,
a half-deleted segment) is wiped and rebuilt with a one-line notice: it is a cache of the
corpus, never the only copy of anything.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from foundation.errors import Unavailable
from foundation.settings import RetrievalSettings
from knowledge.embeddings import Embedder
from knowledge.passage_vectors import cached_vectors

EMBED_BATCH = 16
Notify = Callable[[str], None]
Progress = Callable[[int, int], None]  # (done, total) embeddings


class IndexUnavailableError(Unavailable):
    """The index cannot be opened or written (server unreachable, directory not writable)."""


class DamagedIndexError(RuntimeError):
    """The on-disk store is not what Chroma wrote; it gets wiped and rebuilt."""


@dataclass(frozen=True)
class IndexEntry:
    """One article as the vector store sees it."""

    id: str
    passage: str  # what gets embedded
    document: str  # what Chroma stores as the record's text (the verbatim article)
    metadata: dict[str, str | int]

    def content_hash(self, model_id: str) -> str:
        return hashlib.sha256(f"{model_id}\n{self.passage}".encode()).hexdigest()[:24]


@dataclass
class SyncReport:
    total: int = 0
    added: int = 0
    updated: int = 0  # re-embedded: text changed
    relabelled: int = 0  # metadata only
    deleted: int = 0
    unchanged: int = 0
    rebuilt: bool = False
    recovered: str | None = None  # why a damaged store was wiped
    seconds: float = 0.0
    embedded_ids: list[str] = field(default_factory=list)
    from_shipped: int = 0  # vectors taken from the shipped passage-vector file, not computed
    location: str = ""
    collection: str = ""
    model_id: str = ""

    @property
    def embedded(self) -> int:
        return self.added + self.updated

    @property
    def changed(self) -> bool:
        return bool(self.embedded or self.relabelled or self.deleted)

    def summary(self) -> str:
        how = "rebuilt" if self.rebuilt else "synced"
        return (
            f"{how} {self.total} articles in {self.seconds:.1f} s: {self.added} added, {self.updated} re-embedded, "
            f"{self.relabelled} metadata updated, {self.deleted} removed, {self.unchanged} unchanged"
            + (
                f" ({self.from_shipped} vectors from the shipped passage-vector file)"
                if self.from_shipped
                else ""
            )
        )


def collection_name(model_id: str) -> str:
    """`articles-<model>`: Chroma wants 3-63 chars of [a-z0-9._-], alphanumeric at both ends."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", model_id.lower())
    slug = re.sub(r"[._-]{2,}", "-", slug).strip("-._")
    name = f"articles-{slug}"
    if len(name) > 63:
        digest = hashlib.sha1(model_id.encode()).hexdigest()[:8]
        name = f"{name[:54].rstrip('-._')}-{digest}"
    return name


def _chroma_settings() -> Any:
    from chromadb.config import Settings

    # no telemetry: every command works offline and sends nothing
    return Settings(anonymized_telemetry=False, allow_reset=True)


def _quiet_chroma() -> None:
    for name in ("chromadb", "chromadb.telemetry", "chromadb.telemetry.product.posthog"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0][:200]}" if text else type(err).__name__


class VectorStore:
    def __init__(self, settings: RetrievalSettings, embedder: Embedder, notify: Notify | None = None) -> None:
        self.settings = settings
        self.embedder = embedder
        self.name = collection_name(embedder.model_id)
        self._notify = notify or (lambda message: None)
        self._client: Any = None
        self._collection: Any = None
        self.recovered: str | None = None
        # take vectors from knowledge/data/passage-vectors-*.npz when the content hash matches
        self.use_shipped_vectors = True
        _quiet_chroma()

    # ---- opening -------------------------------------------------------------------------

    @property
    def location(self) -> str:
        if self.settings.uses_server:
            return f"chroma server {self.settings.chroma_host}:{self.settings.chroma_port}"
        return str(self.settings.chroma_dir)

    def _make_client(self) -> Any:
        import chromadb

        if self.settings.uses_server:
            try:
                return chromadb.HttpClient(
                    host=self.settings.chroma_host or "127.0.0.1",
                    port=self.settings.chroma_port,
                    settings=_chroma_settings(),
                )
            except Exception as err:
                raise IndexUnavailableError(
                    "CHROMA_HOST",
                    f"cannot reach the Chroma server at {self.settings.chroma_host}:{self.settings.chroma_port} "
                    f"({_first_line(err)})",
                ) from None
        path = self.settings.chroma_dir
        if (path.exists() or path.is_symlink()) and not path.is_dir():
            raise DamagedIndexError(f"{path} is not a directory")
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise IndexUnavailableError(
                "SUBSIDY_DATA_DIR", f"cannot create the index directory {path} ({_first_line(err)})"
            ) from None
        return chromadb.PersistentClient(path=str(path), settings=_chroma_settings())

    def _open_collection(self) -> Any:
        client = self._make_client()
        collection = client.get_or_create_collection(
            name=self.name,
            embedding_function=None,  # we always pass vectors; Chroma's default would download a model
            metadata={
                "hnsw:space": "cosine",
                "embedding_model": self.embedder.model_id,
                "dim": int(self.embedder.dim),
            },
        )
        count = collection.count()
        if count:  # the sqlite catalogue can be fine while the vector segment is gone: probe it
            probe = np.zeros(self.embedder.dim, dtype=np.float32)
            probe[0] = 1.0
            collection.query(query_embeddings=[probe], n_results=1, include=["distances"])
        self._client = client
        return collection

    def _wipe(self) -> None:
        """Delete the embedded store (ours alone: `<data dir>/chroma`) and forget cached handles."""
        from chromadb.api.client import SharedSystemClient

        self._client = None
        self._collection = None
        SharedSystemClient.clear_system_cache()
        path = self.settings.chroma_dir
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            elif path.exists() or path.is_symlink():
                path.unlink()
        except OSError as err:
            raise IndexUnavailableError(
                "SUBSIDY_DATA_DIR",
                f"the index at {path} is damaged and cannot be removed ({_first_line(err)})",
            ) from None

    @property
    def collection(self) -> Any:
        if self._collection is None:
            try:
                self._collection = self._open_collection()
            except IndexUnavailableError:
                raise
            except Exception as err:
                if self.settings.uses_server:
                    raise IndexUnavailableError(
                        "CHROMA_HOST", f"the Chroma server at {self.location} failed ({_first_line(err)})"
                    ) from None
                self.recovered = _first_line(err)
                self._notify(
                    f"search index at {self.location} is unreadable ({self.recovered}); rebuilding it"
                )
                self._wipe()
                try:
                    self._collection = self._open_collection()
                except Exception as again:
                    raise IndexUnavailableError(
                        "SUBSIDY_DATA_DIR",
                        f"cannot open a fresh index at {self.location} ({_first_line(again)})",
                    ) from None
        return self._collection

    def drop(self) -> None:
        """Remove this model's collection (a forced rebuild)."""
        _ = self.collection  # opens, recovering a damaged store first
        with contextlib.suppress(Exception):  # already gone
            self._client.delete_collection(self.name)
        self._collection = None

    # ---- reading -------------------------------------------------------------------------

    def count(self) -> int:
        return int(self.collection.count())

    def stored_state(self) -> dict[str, dict[str, Any]]:
        """Metadata of every stored record, by id (hashes included)."""
        got = self.collection.get(include=["metadatas"])
        return {rid: dict(meta or {}) for rid, meta in zip(got["ids"], got["metadatas"] or [], strict=False)}

    def query(
        self, vector: np.ndarray, n: int, where: dict[str, Any] | None = None
    ) -> list[tuple[str, float]]:
        """(id, cosine similarity) of the n nearest records, best first."""
        n = min(n, self.count())
        if n <= 0:
            return []
        result = self.collection.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)],
            n_results=n,
            where=where or None,
            include=["distances"],
        )
        ids = result["ids"][0]
        distances = (result.get("distances") or [[]])[0]
        return [(rid, 1.0 - float(d)) for rid, d in zip(ids, distances, strict=False)]

    # ---- writing -------------------------------------------------------------------------

    def _max_batch(self) -> int:
        """The most records one Chroma call takes (SQLite's variable limit bounds it)."""
        try:
            return max(EMBED_BATCH, int(self._client.get_max_batch_size()))
        except Exception:
            return 1000

    def _write(self, batch: Sequence[tuple[IndexEntry, str]], vectors: np.ndarray) -> None:
        self.collection.upsert(
            ids=[e.id for e, _ in batch],
            embeddings=vectors,
            documents=[e.document for e, _ in batch],
            metadatas=[{**e.metadata, "content_hash": h} for e, h in batch],
        )

    def sync(
        self,
        entries: Sequence[IndexEntry],
        *,
        rebuild: bool = False,
        progress: Progress | None = None,
    ) -> SyncReport:
        started = time.perf_counter()
        report = SyncReport(
            total=len(entries),
            rebuilt=rebuild,
            location=self.location,
            collection=self.name,
            model_id=self.embedder.model_id,
        )
        if rebuild:
            self.drop()
        stored = self.stored_state()
        report.recovered = self.recovered
        model_id = self.embedder.model_id
        to_embed: list[tuple[IndexEntry, str]] = []
        relabel: list[tuple[str, dict[str, Any]]] = []
        wanted: set[str] = set()
        for entry in entries:
            wanted.add(entry.id)
            digest = entry.content_hash(model_id)
            meta = {**entry.metadata, "content_hash": digest}
            old = stored.get(entry.id)
            if old is None:
                to_embed.append((entry, digest))
                report.added += 1
            elif old.get("content_hash") != digest:
                to_embed.append((entry, digest))
                report.updated += 1
            elif old != meta:
                relabel.append((entry.id, meta))
            else:
                report.unchanged += 1
        gone = sorted(set(stored) - wanted)
        try:
            if gone:
                self.collection.delete(ids=gone)
                report.deleted = len(gone)
            if relabel:
                self.collection.update(ids=[i for i, _ in relabel], metadatas=[m for _, m in relabel])
                report.relabelled = len(relabel)
            if progress:
                progress(0, len(to_embed))
            shipped = cached_vectors(model_id) if self.use_shipped_vectors else {}
            known = [(e, h) for e, h in to_embed if h in shipped]
            fresh = [(e, h) for e, h in to_embed if h not in shipped]
            # shipped vectors cost nothing to compute: they go in a few large writes (Chroma's
            # per-call overhead, not the data, made 61 batches of 16 take most of a fresh build)
            for _, batch in _batches(known, self._max_batch()):
                self._write(batch, np.stack([shipped[h] for _, h in batch]))
                report.from_shipped += len(batch)
                report.embedded_ids.extend(e.id for e, _ in batch)
            if progress and known:
                progress(len(known), len(to_embed))
            for done, batch in _batches(fresh, EMBED_BATCH):
                self._write(
                    batch,
                    np.asarray(self.embedder.embed_passages([e.passage for e, _ in batch]), dtype=np.float32),
                )
                report.embedded_ids.extend(e.id for e, _ in batch)
                if progress:
                    progress(len(known) + done, len(to_embed))
        except IndexUnavailableError:
            raise
        except OSError as err:
            raise IndexUnavailableError(
                "SUBSIDY_DATA_DIR", f"cannot write the index at {self.location} ({_first_line(err)})"
            ) from None
        report.seconds = time.perf_counter() - started
        return report


def _batches(items: Sequence[Any], size: int) -> Iterable[tuple[int, Sequence[Any]]]:
    for start in range(0, len(items), size):
        batch = items[start : start + size]
        yield start + len(batch), batch
