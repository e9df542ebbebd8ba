"""Knowledge answers, extractive: the 1–3 sentences of the policy texts that answer, verbatim.

The question's term (企业标准“领跑者”, 标准化试点示范 …) is read off the question; the search
returns candidate articles (national documents first, unless the question names a region); each
article is split into sentences and the sentences that name the term and read like a definition
(是指 / 是 / 包括 / 由…制定) are kept, with their document and article.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from calculators.models import Citation
from knowledge.bm25_index import bigram_tokens
from knowledge.hit import Search
from knowledge.regions import resolve_region
from knowledge.simplified import to_simplified

log = logging.getLogger("assistant.definitions")

MAX_SENTENCES = 3
PER_TERM_HITS = 6
MIN_SHARED = 0.35  # of the question's character pairs a closest sentence must share
MIN_SHARED_IN_CITY = 0.2
MIN_ASKED_PAIRS = 5  # a question shorter than this says too little to find its sentence by wording  # the same, among one region's own articles (fewer, and all on topic)
# pairs every question and every article has: they say nothing about which sentence answers
_COMMON_BIGRAMS = {
    "企业",
    "标准",
    "准化",
    "的企",
    "可以",
    "应该",
    "怎么",
    "么办",
    "如何",
}  # articles searched for each term of a comparison question
MAX_SENTENCE_CHARS = 220
_QUESTION_WORDS = re.compile(
    r"(请问|请|麻烦|帮我|解释一下|介绍一下|说一下|讲一下|到底|具体|主要|一般|通常|政策里讲的|政策里的|资助政策里的|"
    r"是什么意思|什么意思|啥意思|是什么|是啥|什么是|什么叫|何为|何谓|啥是|有什么区别|有何区别|的区别|区别是什么|区别|"
    r"有什么不同|有何不同|不同之处|是指什么|是指|指的是什么|指的是|指什么|指哪些|怎么界定|如何界定|的含义|含义|定义|"
    r"是个什么奖|是个什么制度|是个什么|什么奖|什么制度|由谁制定|谁来制定|主要做什么|是干什么的|干什么的|干啥的|"
    r"做什么|干什么|干啥|有啥区别|啥区别|有啥不同|怎么理解|如何理解|是怎么回事|怎么回事|"
    r"有啥|有什么|有哪些|哪些|什么|啥|吗|呢|呀|"
    r"what is|what are|what does|meaning of|difference between|define|mean)"
)
_DEFINING = ("是指", "指", "是", "包括", "由", "定义", "称为", "主要", "应当", "鼓励", "分为", "区别")
_SPLIT = re.compile(r"(?<=[。；;！!？?])|\n")


def terms_of(question: str) -> list[str]:
    """The things a definition question asks about: 企业标准和团体标准有什么区别 → [企业标准, 团体标准]."""
    text = to_simplified(question)
    text = re.sub(r"[“”\"'‘’「」『』《》？?！!。，,、：:（）()]", " ", text)
    text = _QUESTION_WORDS.sub(" ", text)
    parts = re.split(r"\s+|和|与|跟|及|以及|还是|vs|versus|and", text)
    return [p.strip() for p in parts if len(p.strip()) >= 2][:3]


def _plain(text: str) -> str:
    return re.sub(r"[“”\"'‘’「」『』\s]", "", to_simplified(text))


def _variants(term: str) -> list[str]:
    """标准化试点示范项目 also matches 标准化试点示范; 企业标准“领跑者” matches 企业标准领跑者."""
    short = re.sub(r"(项目|制度|工作|政策|单位|的)$", "", term)
    return list(dict.fromkeys([term, short]))


def _defines(sentence: str, term: str) -> bool:
    """The sentence opens by saying what the term is: 企业标准是… / 标准化试点示范活动指… / X（以下简称…）."""
    return any(
        re.match(rf"^.{{0,8}}?{re.escape(v)}.{{0,2}}?(是指|是|指|系指|（|，是)", sentence)
        for v in _variants(term)
    )


def _score(sentence: str, terms: list[str]) -> float:
    named = sum(1 for t in terms if any(v in sentence for v in _variants(t)))
    if not named:
        return 0.0
    score = 2.0 * named
    head = sentence[:60]
    if any(_defines(sentence, t) for t in terms):
        score += 3.0
    score += sum(0.3 for w in _DEFINING if w in head)
    if len(sentence) > MAX_SENTENCE_CHARS:
        score -= 1.0
    return score


def _sentences(text: str) -> list[str]:
    """The sentences of an article (table rows, with their tab-separated cells, are not sentences)."""
    return [s.strip() for s in _SPLIT.split(text) if len(s.strip()) >= 8 and "\t" not in s]


def define(search: Search, question: str, city: str | None = None) -> list[Citation]:
    """The verbatim sentences that answer a definition question (empty when nothing fits)."""
    terms = [_plain(t) for t in terms_of(question)]
    if not terms:
        return []
    try:
        # the question, then each term alone (区别 questions: each side's own defining article)
        hits = list(search(question[:500], k=12, city=city, include_national=True))
        for term in terms if len(terms) > 1 else []:
            hits += search(f"{term}是指", k=PER_TERM_HITS, city=city, include_national=True)
    except Exception:
        log.exception("retrieval failed")
        return []
    first: dict[tuple[str, str], Any] = {}
    for hit in hits:
        first.setdefault((hit.document_id, hit.article), hit)
    hits = list(first.values())
    # national documents first for definitions, then the region's own, each in search order
    hits = sorted(hits, key=lambda h: (0 if h.city == "national" else 1) if city is None else 0)
    scored: list[tuple[float, int, Citation]] = []
    for rank, hit in enumerate(hits):
        for sentence in _sentences(hit.text):
            sentence = re.sub(r"^第[一二三四五六七八九十百]+条\s*", "", sentence)
            score = _score(_plain(sentence), terms) - 0.05 * rank
            if score > 1.5:
                quote = (
                    sentence if len(sentence) <= MAX_SENTENCE_CHARS else sentence[:MAX_SENTENCE_CHARS] + "…"
                )
                scored.append(
                    (
                        score,
                        rank,
                        Citation(
                            document=hit.document,
                            article=hit.article,
                            quote=quote,
                            document_id=hit.document_id,
                        ),
                    )
                )
    scored.sort(key=lambda x: (-x[0], x[1]))
    out: list[Citation] = []
    covered: set[str] = set()
    for term in terms if len(terms) > 1 else []:  # 区别: first each side's own defining sentence
        own = next((c for _, _, c in scored if _defines(_plain(c.quote), term)), None)
        if own is not None and own not in out:
            out.append(own)
            covered.add(term)
    for _, _, cite in scored:
        new_terms = {t for t in terms if any(v in _plain(cite.quote) for v in _variants(t))} - covered
        if out and not new_terms and len(out) >= 1 and len(terms) > 1:
            continue
        if any(cite.quote == c.quote for c in out):
            continue
        out.append(cite)
        covered |= new_terms
        if len(out) >= MAX_SENTENCES or (covered >= set(terms) and len(out) >= min(2, MAX_SENTENCES)):
            break
    if out:
        return out
    national = [h for h in hits if h.city == "national"]  # without a region: the national texts first
    return (city is None and national and _closest_sentences(question, national)) or _closest_sentences(
        question, hits
    )


def word_pairs(text: str) -> set[str]:
    """The character pairs of a text (simplified), as the BM25 index's bigram tokenizer reads them:
    a wording-overlap measure."""
    return set(bigram_tokens(to_simplified(text)))


def related_sentences(search: Search, question: str, city: str, limit: int = 2) -> list[Citation]:
    """The sentences of a region's own documents that share most of a question's wording (谁来拨付,
    怎么验收, 要签协议吗): quoted beside the how-to-apply table, which cannot hold every such rule."""
    region = resolve_region(city)
    asked = question
    for name in (region.name, region.name.removesuffix("市"), *region.aliases):
        asked = asked.replace(name, " ")
    try:
        hits = search(question[:500], k=8, city=region.id)
    except Exception:
        log.exception("retrieval failed")
        return []
    return _closest_sentences(asked, [h for h in hits if h.city == region.id], limit, MIN_SHARED_IN_CITY)


def _closest_sentences(
    question: str, hits: list[Any], limit: int = 2, least: float | None = None
) -> list[Citation]:
    """No sentence says what a term is (怎么办 / 需要做什么 questions): the one or two sentences that
    share most of the question's wording, national texts first, when they share enough of it."""
    least = MIN_SHARED if least is None else least
    asked = word_pairs(_QUESTION_WORDS.sub(" ", to_simplified(question))) - _COMMON_BIGRAMS
    if len(asked) < MIN_ASKED_PAIRS:
        return []
    scored = []
    for rank, hit in enumerate(hits):
        for sentence in _sentences(hit.text):
            if len(sentence) > MAX_SENTENCE_CHARS:
                continue
            share = len(asked & word_pairs(sentence)) / len(asked)
            national = 0.05 if hit.city == "national" else 0.0
            scored.append((share + national - 0.005 * rank, sentence, hit))
    scored.sort(key=lambda x: -x[0])
    return [
        Citation(document=hit.document, article=hit.article, quote=sentence, document_id=hit.document_id)
        for score, sentence, hit in scored[:limit]
        if score >= least
    ]
