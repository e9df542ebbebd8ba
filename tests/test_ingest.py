"""`subsidy ingest` → `subsidy rules draft` → `check` → `install` → estimate and search, on three
documents written for these tests (tests/data/ingest/, expected.yaml), each ingested in another
format (Word, PDF, web page), with different structures (第X条, 1. points, 一、（一） items) and
amount phrasings (给予 / 奖励 / 资助 / 补助, 不超过 / 最高 / 不高于, 万元 / 千元 / 元, 分别, 按…的50%)."""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ingest_documents import INGEST_DATA, expected, make, make_scanned_pdf

EXPECTED = expected()
NAMES = sorted(EXPECTED)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One throwaway data directory for the module, the three documents ingested into it."""
    from knowledge.ingest.add_document import ingest_file

    folder = tmp_path_factory.mktemp("ingest-data")
    files = tmp_path_factory.mktemp("ingest-files")
    before = os.environ.get("SUBSIDY_DATA_DIR")
    os.environ["SUBSIDY_DATA_DIR"] = str(folder)  # the corpus and rule caches follow the directory
    try:
        for name in NAMES:
            spec = EXPECTED[name]
            ingest_file(make(name, spec["format"], files), region=spec["region"], index=False)
        yield folder
    finally:
        if before is None:
            os.environ.pop("SUBSIDY_DATA_DIR", None)
        else:
            os.environ["SUBSIDY_DATA_DIR"] = before


def _document(name: str) -> Any:
    from knowledge.corpus import documents_for_region

    (doc,) = documents_for_region(EXPECTED[name]["region"])
    return doc


@pytest.mark.parametrize("name", NAMES)
def test_validity_is_read_from_the_text(data_dir: Path, name: str) -> None:
    spec, doc = EXPECTED[name], _document(name)
    assert doc.effective_from == spec["effective_from"]
    assert doc.effective_to == spec["effective_to"]
    assert doc.validity_quote == spec["validity_quote"]
    assert doc.has_amounts


@pytest.mark.parametrize("name", NAMES)
def test_every_article_is_verbatim_and_the_policies_list_shows_it(data_dir: Path, name: str) -> None:
    from knowledge.corpus import articles_of, document_text
    from knowledge.policies import list_policies

    doc = _document(name)
    source = squash((INGEST_DATA / name).read_text("utf-8"))
    articles = articles_of(doc.id)
    assert len(articles) >= 6
    assert all(squash(a.text) in source for a in articles)
    assert squash(document_text(doc.id)) == source
    (listed,) = list_policies(city=EXPECTED[name]["region"], as_of="2024-01-01")
    assert listed["status"] == "in_force" and listed["id"] == doc.id
    (later,) = list_policies(city=EXPECTED[name]["region"], as_of="2029-01-01")
    assert later["status"] == "expired"


def _money_lines(raw: dict[str, Any]) -> list[dict[str, Any]]:
    from calculators.draft import money_lines

    return money_lines(raw["rules"])


@pytest.mark.parametrize("name", NAMES)
def test_draft_finds_every_money_clause_and_invents_nothing(data_dir: Path, name: str) -> None:
    from calculators.draft import draft_rule_file

    spec = EXPECTED[name]
    raw = draft_rule_file(spec["region"])
    got = _money_lines(raw)
    missing = [m for m in spec["money"] if m not in got]
    extra = [g for g in got if g not in spec["money"]]
    assert not missing, f"money clauses the draft missed: {missing}"
    assert not extra, f"rules the text does not state: {extra}"
    text = squash((INGEST_DATA / name).read_text("utf-8"))
    for rule in raw["rules"]:
        assert rule["review"] == "needed"
        assert squash(rule["quote"]) in text
        if "quote_amount" in rule:
            assert squash(rule["quote_amount"]) in squash(rule["quote"])
    caps = [{"article": c["article"], "kind": c["kind"]} for c in raw.get("caps", [])]
    assert caps == [{"article": c["article"], "kind": c["kind"]} for c in spec["caps"]]
    for cap, want in zip(raw.get("caps", []), spec["caps"], strict=True):
        assert cap.get("limit_yuan") == want.get("limit_yuan") and cap.get("limit") == want.get("limit")


def test_draft_reads_apply_information_and_exclusions(data_dir: Path) -> None:
    from calculators.draft import draft_rule_file

    raw = draft_rule_file("苏州市")
    apply = raw["apply"]["default"]
    assert "每年4月" in apply["window"] or "每年4月" in apply["deadline"]
    assert apply["materials"] == [
        "苏州市标准化资助资金申请表",
        "标准文本或相关认定文件",
        "营业执照或法人登记证书复印件",
    ]
    assert any("不再重复资助" in n["quote"] for n in raw["notes"])


@pytest.fixture(scope="module")
def installed(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 苏州 and 南通 drafts, reviewed (the review marks removed), checked and installed."""
    from calculators.draft import draft_rule_file, render_draft
    from calculators.install_rules import install_rule_file

    out = tmp_path_factory.mktemp("rules")
    for region in ("苏州市", "南通市"):
        path = out / f"{region}.yaml"
        text = render_draft(draft_rule_file(region))
        path.write_text(re.sub(r"\n\s*review: needed", "", text), encoding="utf-8")
        install_rule_file(path)
    return out


def _estimate(city: str, *achievements: dict[str, Any], as_of: str = "2024-06-01") -> Any:
    from calculators.engine import estimate

    return estimate({"city": city, "as_of": as_of, "achievements": list(achievements)})


def test_estimates_use_the_installed_rules(installed: Path) -> None:
    result = _estimate(
        "苏州",
        {"type": "standard", "level": "national", "role": "lead", "action": "revise", "count": 2},
        {"type": "innovation_award", "grade": "first"},
        {"type": "standard", "level": "national", "role": "participate", "action": "draft"},
    )
    assert [i.amount_yuan for i in result.items] == [200000, 500000, 50000]
    assert [i.basis for i in result.items] == ["fixed", "fixed", "up_to"]
    assert result.items[0].citation.article == "第六条"
    assert result.items[0].policy_status == "in_force"
    capped = _estimate(
        "南通市",
        {"type": "standard", "level": "national", "role": "lead", "action": "draft", "count": 2},
    )
    assert capped.items[0].amount_yuan == 600000
    assert capped.total_yuan == 500000  # 三、（一） 每年总额不超过50万元
    expired = _estimate("苏州", {"type": "standard_leader", "level": "national"}, as_of="2028-06-01")
    assert expired.items[0].policy_status == "expired"


def test_installed_regions_are_money_regions_and_covered(installed: Path) -> None:
    from calculators.coverage import amount_coverage
    from knowledge.regions import money_regions, resolve_region

    assert {"苏州", "南通"} <= {r.id for r in money_regions()}
    assert resolve_region("苏州市").id == resolve_region("苏州").id
    mentions = [m for m in amount_coverage() if m.city in ("苏州", "南通")]
    assert len(mentions) >= 25
    assert all(m.accounted_by for m in mentions), [m for m in mentions if not m.accounted_by]


def test_check_refuses_an_amount_that_is_not_in_the_text(data_dir: Path, tmp_path: Path) -> None:
    from calculators.draft import draft_rule_file, render_draft
    from calculators.install_rules import install_rule_file
    from calculators.rule_check import RuleFileRejectedError, check_rule_file

    text = render_draft(draft_rule_file("无锡市"))
    path = tmp_path / "wuxi.yaml"
    path.write_text(text.replace("amount_yuan: 500000", "amount_yuan: 600000", 1), encoding="utf-8")
    problems = check_rule_file(path).problems
    assert len(problems) == 1 and "600000" in problems[0]
    path.write_text(text.replace("奖励50万元", "奖励60万元", 1), encoding="utf-8")
    assert any("not verbatim" in p for p in check_rule_file(path).problems)
    with pytest.raises(RuleFileRejectedError):
        install_rule_file(path)


def test_reingest_is_a_no_op_and_a_changed_file_replaces_the_old_version(
    data_dir: Path, tmp_path: Path
) -> None:
    from knowledge.corpus import articles_of, load_documents
    from knowledge.ingest.add_document import ingest_file

    name = "wuxi-quality-points.txt"
    path = make(name, "txt", tmp_path)
    count = len(load_documents())
    first = ingest_file(path, region="无锡市", index=False)
    assert first.status == "replaced"  # the module ingested the PDF; the text version is the same document
    assert first.document_id == _document(name).id
    again = ingest_file(path, region="无锡市", index=False)
    assert again.status == "unchanged"
    path.write_text(path.read_text("utf-8").replace("6.对获得省级", "6.对获得市级"), encoding="utf-8")
    changed = ingest_file(path, region="无锡市", index=False)
    assert changed.status == "replaced" and changed.document_id == first.document_id
    assert len(load_documents()) == count
    assert any("市级标准创新贡献奖" in a.text for a in articles_of(first.document_id))


def _cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    from subsidy.cli import main

    monkeypatch.setattr(sys, "argv", ["subsidy", *argv])
    with pytest.raises(SystemExit) as done:
        main()
    return int(done.value.code or 0), capsys.readouterr().err


def test_unreadable_scanned_and_structureless_documents_are_one_line_errors(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    prose = tmp_path / "prose.txt"
    prose.write_text(
        "关于做好标准化工作的通知\n请各单位认真做好标准化工作，按时报送材料。\n", encoding="utf-8"
    )
    cases = {
        str(tmp_path / "missing.pdf"): "no such file",
        str(broken): "unreadable .docx file",
        str(make_scanned_pdf(tmp_path)): "no text layer",
        str(prose): "no articles found",
        str(tmp_path / "notice.doc"): "cannot read .doc files",
    }
    (tmp_path / "notice.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    for path, message in cases.items():
        code, err = _cli(monkeypatch, capsys, "ingest", path, "--region", "苏州市")
        assert code == 2, path
        assert message in err and err.count("\n") == 1, err


@pytest.mark.integration
def test_search_finds_the_new_articles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ingesting embeds the new document's articles only; search then finds them (by region too)."""
    from knowledge.ingest.add_document import ingest_file
    from knowledge.search import search

    monkeypatch.setenv("SUBSIDY_DATA_DIR", str(tmp_path / "data"))  # the caches follow the directory
    name = "nantong-standard-items.txt"
    report = ingest_file(make(name, "html", tmp_path), region="南通市")
    assert report.embedded == report.articles == 6
    hits = search("主持制定国家标准 资助", k=3, city="南通市")
    assert "30万元" in hits[0].text and hits[0].document_id == report.document_id
    anywhere = search("南通 省级专业标准化技术委员会秘书处 补助", k=5)
    assert any(h.city == "南通" and "8万元" in h.text for h in anywhere)
    again = ingest_file(make(name, "html", tmp_path), region="南通市")
    assert again.status == "unchanged" and again.embedded == 0


def test_documents_ingested_today_have_dates(data_dir: Path) -> None:
    doc = _document("suzhou-standardization-fund.txt")
    assert doc.published == dt.date(2023, 1, 20)
    assert doc.issuer == "苏州市市场监督管理局"
