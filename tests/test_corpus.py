"""The corpus data (knowledge/data) against the seed texts, and the knowledge.corpus API."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from difflib import SequenceMatcher
from pathlib import Path

import pytest

from foundation.errors import UnknownCityError, UserInputError
from knowledge import corpus
from knowledge.corpus_build.documents import build
from knowledge.corpus_build.write import render
from knowledge.regions import all_regions

SEEDS = Path(__file__).resolve().parents[1] / "knowledge" / "seeds"

MAIN_SEED = "001_9dbe9052b049e00e.txt"
DOCS = corpus.load_documents()
ARTICLES = corpus.load_articles()

PART_TWO_IDS = [
    "beijing-leader-plan",
    "beijing-subsidy-measures",
    "tianjin-leader-action-plan",
    "tianjin-subsidy-measures",
    "hebei-leader-opinions",
    "jiangsu-leader-plan",
    "taizhou-leader-plan",
    "heilongjiang-certification-plan",
    "shaanxi-leader-plan",
    "liaoning-leader-plan",
    "shanxi-leader-measures",
    "liaocheng-award-measures",
    "linyi-incentive-measures",
    "zhengzhou-quality-rules",
    "huangpu-quality-fund-measures",
    "guangyuan-leader-plan",
    "foshan-strategy-fund-measures",
    "zaozhuang-award-measures",
    "weihai-subsidy-measures",
    "hainan-outline-opinions",
    "shanghai-standardization-director",
    "hainan-standardization-measures",
]

# id: (published, effective_from, effective_to) — the nine documents that set money amounts.
MONEY_VALIDITY = {
    "beijing-subsidy-measures": ("2020-02-25", "2020-02-25", None),
    "tianjin-subsidy-measures": ("2021-07-30", "2021-08-29", "2024-08-28"),
    "liaocheng-award-measures": ("2021-06-18", "2021-08-01", "2026-07-31"),
    "linyi-incentive-measures": ("2019-11-08", "2019-11-15", "2024-11-14"),
    "zhengzhou-quality-rules": ("2019-05-10", "2019-05-10", None),
    "huangpu-quality-fund-measures": ("2019-10-31", "2020-01-01", "2022-12-31"),
    "foshan-strategy-fund-measures": ("2018-10-18", "2018-12-01", "2023-11-30"),
    "zaozhuang-award-measures": ("2018-10-16", "2018-12-01", "2023-11-30"),
    "weihai-subsidy-measures": ("2019-10-30", "2020-01-01", "2024-12-31"),
}


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def seed_lines(seed: str) -> list[str]:
    return [""] + (SEEDS / seed).read_text(encoding="utf-8").split("\n")


def doc_text(doc: corpus.Document) -> str:
    return "\n".join(seed_lines(doc.seed)[doc.line_start : doc.line_end + 1])


def toc_of_main_seed() -> list[tuple[str, int, str]]:
    """(part, number, title) of every TOC entry, parsed here independently of the parser."""
    lines = seed_lines(MAIN_SEED)
    start = lines.index("目录")
    entries, part = [], None
    for line in lines[start + 1 :]:
        if not line.strip():
            continue
        if m := re.match(r"^([一二])、.+\t\d+$", line):
            part = m[1]
        elif m := re.match(r"^(\d+)\.\s*(.+?)\t\d+$", line):
            entries.append((part, int(m[1]), re.sub(r"（发布时间：.*?）$", "", m[2])))
        else:
            break
    return entries


def similar(a: str, b: str) -> bool:
    a, b = (re.sub(r"\s+", "", unicodedata.normalize("NFKC", x)) for x in (a, b))
    return a[:6] == b[:6] or SequenceMatcher(None, a[: len(b)], b).ratio() >= 0.6


# ------------------------------------------------------------------ documents


def test_every_toc_entry_is_a_document_in_order():
    toc = toc_of_main_seed()
    assert len(toc) == 16 + 22  # Part 一 lists 16 entries (it skips 8, 12-14, 18), Part 二 22
    listed = [d for d in DOCS if d.seed == MAIN_SEED and d.in_toc]
    assert len(listed) == len(toc)
    for (part, number, title), doc in zip(toc, listed, strict=True):
        assert (doc.part, doc.toc_number) == (part, number), doc.id
        assert similar(doc.title, title), (doc.id, doc.title, title)


def test_body_headings_the_toc_skipped_are_documents_too():
    skipped = {d.id: d for d in DOCS if d.seed == MAIN_SEED and not d.in_toc}
    assert {d.toc_number for d in skipped.values()} == {8, 12, 13, 18, None}
    assert skipped["national-08-product-engineering-service-quality-plan"].line_start == 963
    assert skipped["national-13-leader-key-fields-2022"].line_start == 1647
    assert (
        skipped["national-14-sme-gradient-cultivation-measures"].title == "优质中小企业梯度培育管理暂行办法"
    )


def test_the_two_toc_entries_numbered_20_are_distinct_documents():
    twenties = [d for d in DOCS if d.part == "一" and d.toc_number == 20]
    assert [d.id for d in twenties] == [
        "national-20a-high-skilled-talent-opinions",
        "national-20b-ip-specialized-sme-measures",
    ]


def test_part_two_ids_in_toc_order():
    assert [d.id for d in DOCS if d.part == "二"] == PART_TWO_IDS
    assert [d.toc_number for d in DOCS if d.part == "二"] == list(range(1, 23))


def test_part_two_starts_at_its_heading():
    lines = seed_lines(MAIN_SEED)
    assert lines[2916] == "二、各省市领跑者激励政策"
    part_one = [d for d in DOCS if d.part == "一"]
    assert max(d.line_end for d in part_one) < 2916 < min(d.line_start for d in DOCS if d.part == "二")


def test_other_seeds_are_one_document_each():
    others = {d.seed: d.id for d in DOCS if d.seed != MAIN_SEED}
    assert others == {
        "000_2d2970c257e2e48e.txt": "samr-enterprise-standardization-measures",
        "002_97362d173e65aa88.txt": "standard-supervision-guidance-draft",
        "003_0b49bb2fdfa4f1d5.txt": "national-standardization-outline",
        "004_7aca0c437d4c6079.txt": "group-standards-opinions",
    }


def test_ids_unique_and_documents_do_not_overlap():
    assert len({d.id for d in DOCS}) == len(DOCS)
    main = sorted((d for d in DOCS if d.seed == MAIN_SEED), key=lambda d: d.line_start)
    for a, b in zip(main, main[1:], strict=False):
        assert a.line_start <= a.line_end < b.line_start, (a.id, b.id)


def test_each_heading_line_starts_its_document():
    lines = seed_lines(MAIN_SEED)
    for doc in DOCS:
        if doc.seed == MAIN_SEED:
            heading = re.sub(r"^\d+\s*[.．]\s*", "", lines[doc.line_start].strip())
            assert squash(doc.title) == squash(heading).replace("*", ""), doc.id


def test_regions_come_from_regions_yaml():
    names = {r.id: r.name for r in all_regions()}
    for doc in DOCS:
        if doc.region_id is None:
            assert doc.region == "国家", doc.id
        else:
            assert doc.region == names[doc.region_id], doc.id
    assert corpus.document("huangpu-quality-fund-measures").region == "广州市黄埔区"
    assert all(d.region_id is None for d in DOCS if d.part == "一")


def test_only_the_nine_money_documents_have_amounts():
    assert {d.id for d in DOCS if d.has_amounts} == set(MONEY_VALIDITY)


@pytest.mark.parametrize("doc_id", sorted(MONEY_VALIDITY))
def test_money_document_validity(doc_id):
    doc = corpus.document(doc_id)
    iso = (d.isoformat() if d else None for d in (doc.published, doc.effective_from, doc.effective_to))
    assert tuple(iso) == MONEY_VALIDITY[doc_id]
    assert doc.validity_quote


def test_other_stated_validity():
    assert corpus.document("hainan-standardization-measures").effective_from == dt.date(2023, 1, 1)
    samr = corpus.document("samr-enterprise-standardization-measures")
    assert (samr.published, samr.effective_from, samr.effective_to) == (
        dt.date(2023, 8, 31),
        dt.date(2024, 1, 1),
        None,
    )
    assert corpus.document("national-16-national-standards-measures").effective_from == dt.date(2023, 3, 1)


def test_no_start_stated_means_from_publication():
    for doc in DOCS:
        if doc.validity_quote is None:
            assert doc.effective_from == doc.published and doc.effective_to is None, doc.id


@pytest.mark.parametrize("doc", [d for d in DOCS if d.validity_quote], ids=lambda d: d.id)
def test_validity_quote_is_verbatim_in_its_document(doc):
    assert squash(doc.validity_quote) in squash(doc_text(doc))


def test_publication_dates_agree_with_date_lines():
    for doc in DOCS:
        text = doc_text(doc)
        m = re.search(
            r"[（(](?:发布|召开)(?:时间|日期)\s*[：:]\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})", text
        )
        if m:
            assert doc.published == dt.date(int(m[1]), int(m[2]), int(m[3])), doc.id


# ------------------------------------------------------------------ articles


def test_article_ids_and_positions():
    assert len({a.id for a in ARTICLES}) == len(ARTICLES)
    for doc in DOCS:
        arts = corpus.articles_of(doc.id)
        assert arts, doc.id
        assert [a.position for a in arts] == list(range(1, len(arts) + 1))
        assert all(a.id == f"{doc.id}#{a.position}" for a in arts)
        assert all(doc.line_start <= a.line_start <= a.line_end <= doc.line_end for a in arts), doc.id


def test_every_article_is_verbatim_and_not_empty():
    seeds = {p.name: squash(p.read_text(encoding="utf-8")) for p in SEEDS.glob("*.txt")}
    by_id = {d.id: d for d in DOCS}
    for article in ARTICLES:
        assert squash(article.text), article.id
        assert squash(article.text) in seeds[by_id[article.document_id].seed], article.id
        assert article.unit in {"条", "point", "item", "section", "paragraph"}, article.id


def test_page_break_splits_are_joined():
    (point10,) = [a for a in corpus.articles_of("beijing-leader-plan") if a.article == "10."]
    assert "加强市场、规则、标准方面的软联通" in point10.text
    samr5 = next(
        a for a in corpus.articles_of("samr-enterprise-standardization-measures") if a.article == "第五条"
    )
    assert "对标准执行情况进行内部监督" in samr5.text
    assert not any(line.startswith(" ") for a in ARTICLES for line in a.text.split("\n"))


def test_article_units_of_the_money_documents():
    def labels(doc_id):
        return [a.article for a in corpus.articles_of(doc_id)]

    assert labels("tianjin-subsidy-measures")[6] == "第七条"
    tianjin7 = corpus.articles_of("tianjin-subsidy-measures")[6]
    assert "每项标准分别给予 8 万元、4 万元、3 万元资助" in tianjin7.text
    assert tianjin7.heading == "第三章 资助范围、标准及条件"
    assert labels("zhengzhou-quality-rules")[1:] == [f"{n}." for n in range(1, 31)]
    assert [x.split()[0] for x in labels("beijing-subsidy-measures")] == [
        f"第{n}章" for n in "一二三四五六七八"
    ]
    assert "第四条（十）" in labels("liaocheng-award-measures")
    assert "第十条（一）" in labels("huangpu-quality-fund-measures")
    assert labels("weihai-subsidy-measures")[4] == "第五条"
    assert "第二十二條" in labels("hainan-standardization-measures")  # traditional 條, as the text has it


def test_committed_output_is_up_to_date():
    documents, articles = build()
    for path, text in render(documents, articles).items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.name} is stale: run python -m knowledge.corpus_build"
        )


# ------------------------------------------------------------------ API


@pytest.mark.parametrize("doc_id", sorted(MONEY_VALIDITY))
def test_policy_status_boundaries(doc_id):
    doc = corpus.document(doc_id)
    one = dt.timedelta(days=1)
    assert corpus.policy_status_on(doc, doc.effective_from - one) == "not_yet_in_force"
    assert corpus.policy_status_on(doc, doc.effective_from) == "in_force"
    if doc.effective_to is None:
        assert corpus.policy_status_on(doc, dt.date(2099, 1, 1)) == "in_force"
    else:
        assert corpus.policy_status_on(doc, doc.effective_to) == "in_force"
        assert corpus.policy_status_on(doc, doc.effective_to + one) == "expired"


def test_tianjin_boundaries_by_date():
    doc = corpus.document("tianjin-subsidy-measures")
    assert corpus.policy_status_on(doc, dt.date(2021, 8, 28)) == "not_yet_in_force"
    assert corpus.policy_status_on(doc, dt.date(2021, 8, 29)) == "in_force"
    assert corpus.policy_status_on(doc, dt.date(2024, 8, 28)) == "in_force"
    assert corpus.policy_status_on(doc, dt.date(2024, 8, 29)) == "expired"


def test_a_draft_is_never_in_force():
    doc = corpus.document("standard-supervision-guidance-draft")
    assert doc.draft and doc.effective_from is None and doc.effective_to is None
    for day in (dt.date(1990, 1, 1), dt.date(2022, 6, 1), dt.date(2030, 1, 1)):
        assert corpus.policy_status_on(doc, day) == "not_yet_in_force"


def test_every_document_but_the_draft_has_a_start():
    """Without a start a document would count as in force before it existed."""
    assert [d.id for d in DOCS if d.effective_from is None] == ["standard-supervision-guidance-draft"]
    outline = corpus.document("national-standardization-outline")
    assert corpus.policy_status_on(outline, dt.date(2021, 10, 9)) == "not_yet_in_force"
    assert corpus.policy_status_on(outline, dt.date(2021, 10, 10)) == "in_force"


def test_unknown_document_is_a_user_error():
    with pytest.raises(UserInputError, match="document"):
        corpus.document("atlantis-measures")
    with pytest.raises(UserInputError):
        corpus.articles_of("atlantis-measures")


def test_documents_for_region():
    assert [d.id for d in corpus.documents_for_region("tianjin")] == [
        "tianjin-leader-action-plan",
        "tianjin-subsidy-measures",
    ]
    assert corpus.documents_for_region("广州开发区") == (corpus.document("huangpu-quality-fund-measures"),)
    assert len(corpus.documents_for_region("hainan")) == 2
    with pytest.raises(UnknownCityError):
        corpus.documents_for_region("atlantis")


def test_every_region_has_documents():
    for region in all_regions():
        assert corpus.documents_for_region(region.id), region.id
