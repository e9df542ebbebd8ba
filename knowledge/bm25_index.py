"""Lexical retrieval: BM25 (bm25s) over Chinese article text.

Chinese has no spaces, so BM25 needs a tokeniser. Two are here, compared on the retrieval
eval (`python -m eval.retrieval_suite --tokenizers`, 105 queries):

- `jieba` (default): jieba's search-engine mode (words plus their sub-words), with the domain
  terms below added to its dictionary. BM25 alone R@1 0.81, R@5 0.97, MRR 0.88; hybrid
  R@1 0.95, R@5 1.00, MRR 0.98.
- `bigram`: overlapping character bigrams of every CJK run, ASCII/number runs whole. Needs no
  dictionary, but matches half-words across word edges. BM25 alone R@1 0.73, R@5 0.94,
  MRR 0.82; hybrid R@1 0.91, R@5 0.99, MRR 0.95.

Both see the text with whitespace next to CJK removed, so a page break inside a word of the
source (主导制 | 定) does not split its tokens.

The index is small (a few thousand articles at most) and rebuilt in memory when a searcher
warms up, so nothing is stored on disk.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from typing import Any

import numpy as np

from foundation.limits import MAX_QUERY_TERMS
from foundation.text import CJK_IDEOGRAPHS

DEFAULT_TOKENIZER = "jieba"

_CJK = CJK_IDEOGRAPHS
_RUN = re.compile(rf"[{_CJK}]+|[a-z0-9]+(?:\.[0-9]+)?")
_SPACE_NEAR_CJK = re.compile(rf"\s+(?=[{_CJK}])|(?<=[{_CJK}])\s+")

# Jargon jieba would otherwise split or glue to a neighbour.
DOMAIN_TERMS = (
    "主导制定",
    "主导修订",
    "主持制定",
    "主持修订",
    "参与制定",
    "参与修订",
    "制修订",
    "起草单位",
    "领跑者",
    "团体标准",
    "地方标准",
    "行业标准",
    "国家标准",
    "国际标准",
    "区域标准",
    "企业标准",
    "秘书处",
    "技术委员会",
    "分技术委员会",
    "工作组",
    "试点示范",
    "良好行为",
    "标准化良好行为企业",
    "创新贡献奖",
    "标准创新贡献奖",
    "资助资金",
    "补助资金",
    "奖励资金",
    "市场监管局",
    "市场监管委",
    "有效期",
    "一次性奖励",
    "技术标准创新基地",
)

# Question words that carry no topic; they only dilute a short query.
_STOPWORD_TEXT = (
    "的 了 吗 呢 吧 啊 呀 么 嘛 是 有 在 和 与 及 或 我 我们 你 你们 他们 咱们 "
    "请问 想问 问下 一下 怎么 怎样 如何 什么 哪些 哪个 哪里 多少 几 能 能不能 可以 可不可以 "
    "会 要 需要 给 给不给 拿 拿到 到 有没有 是否 还 就 都 也 这个 那个 这 那"
)
QUERY_STOPWORDS = frozenset(_STOPWORD_TEXT.split(" "))


def normalise(text: str) -> str:
    """NFKC (full-width → half-width), lower case, spaces next to CJK removed (page-break splits)."""
    text = unicodedata.normalize("NFKC", text).lower()
    return _SPACE_NEAR_CJK.sub("", text)


def bigram_tokens(text: str) -> list[str]:
    tokens: list[str] = []
    for run in _RUN.findall(normalise(text)):
        if run[0].isascii() or len(run) == 1:
            tokens.append(run)
        else:
            tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
    return tokens


@cache
def _jieba() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    for term in DOMAIN_TERMS:
        jieba.add_word(term, freq=200000)
    return jieba


def jieba_token_stream(text: str) -> Iterator[str]:
    """jieba's tokens, run by run, as they are needed (a query stops reading at its term limit)."""
    jieba = _jieba()
    for match in _RUN.finditer(normalise(text)):
        run = match.group(0)
        if run[0].isascii():
            yield run
        else:
            yield from jieba.cut_for_search(run, HMM=True)


def jieba_tokens(text: str) -> list[str]:
    return list(jieba_token_stream(text))


TOKENIZERS: dict[str, Callable[[str], list[str]]] = {"bigram": bigram_tokens, "jieba": jieba_tokens}


def query_tokens(query: str, tokenizer: str, limit: int = MAX_QUERY_TERMS) -> list[str]:
    """Tokens of a user's question, stopwords dropped, each once (repeats are chatter, not weight),
    the first `limit` of them: the scoring work per query is bounded."""
    tokenize = TOKENIZERS[tokenizer]
    # bigrams: cut the question words out first, or they leave bigrams spanning their edges
    raw = jieba_token_stream(query) if tokenizer == "jieba" else tokenize(_strip_stopwords(query))
    seen: dict[str, None] = {}
    for token in raw:
        if token not in QUERY_STOPWORDS:
            seen.setdefault(token, None)
            if len(seen) >= limit:
                break
    return list(seen)


_STOPWORD_RE = re.compile(
    "|".join(sorted((re.escape(w) for w in QUERY_STOPWORDS if len(w) > 1), key=len, reverse=True))
)


def _strip_stopwords(query: str) -> str:
    # multi-character question words only: single characters (的, 有 …) are parts of real words
    return _STOPWORD_RE.sub(" ", normalise(query))


class BM25Index:
    """BM25 over a fixed list of texts; `scores` gives one score per text, in input order."""

    def __init__(self, texts: Sequence[str], tokenizer: str = DEFAULT_TOKENIZER) -> None:
        import bm25s

        if tokenizer not in TOKENIZERS:
            raise ValueError(f"unknown tokenizer {tokenizer!r} (allowed: {', '.join(TOKENIZERS)})")
        self.tokenizer = tokenizer
        tokenize = TOKENIZERS[tokenizer]
        self._retriever = bm25s.BM25(k1=1.2, b=0.75)
        self._retriever.index([tokenize(t) or [""] for t in texts], show_progress=False)
        self.size = len(texts)

    def scores(self, query: str) -> np.ndarray:
        tokens = query_tokens(query, self.tokenizer)
        if not tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(tokens), dtype=np.float32)

    def ranked(self, query: str, n: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The n best (position, score) pairs with a positive score, best first; `mask` keeps some."""
        scores = self.scores(query)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        n = min(n, int(np.count_nonzero(scores > 0)))
        if n <= 0:
            return []
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top]
