"""The gold cases themselves: valid, unique, quoting the seed, and covering every rule."""

from __future__ import annotations

import pytest

from calculators.engine import estimate
from calculators.rulebook import all_city_rules
from eval.cases import CaseFileError, load_cases, parse_case_lines
from tests.conftest import squash

CALC = load_cases(suite="calc")


def test_there_are_at_least_300_calc_cases():
    assert len(CALC) >= 300


def test_every_rule_is_exercised_by_a_calc_case():
    used = set()
    for case in CALC:
        for item in estimate(case.data["request"]).items:
            if item.rule_id:
                used.add(item.rule_id)
    rules = {r.id for city in all_city_rules() for r in city.rules}
    missing = sorted(rules - used)
    assert not missing, f"{len(missing)} rules have no calc case: {missing[:10]}"


def test_every_cap_bites_in_some_case():
    bitten = set()
    for case in CALC:
        bitten |= {c.id for c in estimate(case.data["request"]).caps_applied}
    caps = {c.id for city in all_city_rules() for c in city.caps}
    assert not sorted(caps - bitten), f"caps never biting in a case: {sorted(caps - bitten)}"


def test_every_adjustment_changes_an_amount_in_some_case():
    used = set()
    for case in CALC:
        for item in estimate(case.data["request"]).items:
            used |= {step.rule_id for step in item.trace if step.op == "adjust"}
    clauses = {a.id for city in all_city_rules() for a in city.adjustments}
    assert not sorted(clauses - used), f"adjustments no case reaches: {sorted(clauses - used)}"


@pytest.mark.parametrize("case", CALC, ids=[c.id for c in CALC])
def test_quote_fragments_are_in_the_seed(seed_text, case):
    for item in case.data["expect"].get("items", []):
        for fragment in item.get("quote_has", []):
            assert squash(fragment) in seed_text, f"{case.id}: {fragment!r} not in the seeds"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"id": "a", "request": {}, "expect": {}}\n{"id": "a", "request": {}, "expect": {}}', None),
        ('{"request": {}, "expect": {}}', "needs an id"),
        ('{"id": "a", "request": {}, "expect": {}, "colour": 1}', "unknown field"),
        ("{nope", "not JSON"),
        ('{"id": "a", "what": 1}', "unknown case shape"),
    ],
)
def test_case_files_are_validated(tmp_path, text, message):
    if message is None:
        path = tmp_path / "dupes.jsonl"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(CaseFileError, match="duplicate id"):
            load_cases([path])
    else:
        with pytest.raises(CaseFileError, match=message):
            parse_case_lines(text, "x.jsonl")
