"""The rule-file schema: unknown keys, kinds and bases are errors naming their place in the file."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest

from calculators.rulebook import RuleFileError, all_city_rules, parse_city_file, rule_file_json_schema
from knowledge.yaml_data import load_yaml

HEAD = """
city: testcity
verified_on: 2026-01-01
documents: {tianjin-subsidy-measures: 测试办法}
"""
RULE = """
  - id: testcity/art7/standard/national/lead/draft
    document: tianjin-subsidy-measures
    article: 第七条
    quote: "每项标准分别给予 8 万元"
    when: {type: standard, level: national, role: lead, action: draft}
    amount_yuan: 80000
    quote_amount: 8 万元
    basis: fixed
"""
CAP = """
  - id: testcity/art15/total
    kind: annual_total
    document: tianjin-subsidy-measures
    article: 第十五条
    quote: "不超过"
    description: 每年不超过 10 万元
    limit_yuan: 100000
"""


def parse(text: str):
    return parse_city_file(text, "rules/x.yaml")


def refused(text: str) -> str:
    with pytest.raises(RuleFileError) as error:
        parse(text)
    return str(error.value)


def test_a_well_formed_file_parses():
    city = parse(HEAD + "rules:" + RULE + "caps:" + CAP)
    assert city.rules[0].per_unit is True
    assert city.caps[0].kind == "annual_total"


@pytest.mark.parametrize(
    ("text", "path"),
    [
        (HEAD + "rules:" + RULE + "    per_units: false\n", "rules/x.yaml: rules[0].per_units:"),
        (
            HEAD + "rules:" + RULE.replace("quote_amount:", "quote_ammount:"),
            "rules/x.yaml: rules[0].quote_ammount:",
        ),
        (
            HEAD + "rules:" + RULE + RULE.replace("draft", "revise") + "    derive_from: x\n",
            "rules[1].derive_from:",
        ),
        (HEAD + "rules:" + RULE + "caps:" + CAP + "    limit: 3\n", "rules/x.yaml: caps[0].limit:"),
        (HEAD + "rulez: []\n", "rules/x.yaml: rulez:"),
        (HEAD + "rules:" + RULE + "apply: {default: {office: x, windows: y}}\n", "apply.default.windows:"),
    ],
    ids=["per_units", "quote_ammount", "derive_from", "cap-limit-on-annual-total", "top-level", "apply"],
)
def test_an_unknown_key_is_refused_naming_its_path(text, path):
    message = refused(text)
    assert path in message
    assert "is not a key" in message


def test_an_unknown_cap_kind_is_refused_naming_the_cap():
    message = refused(HEAD + "rules:" + RULE + "caps:" + CAP.replace("annual_total", "annual_totl"))
    assert message.startswith("rules/x.yaml: caps[0]: kind 'annual_totl' is unknown")
    assert "highest_only" in message  # the allowed kinds are listed


def test_a_bad_basis_is_refused_naming_the_rule():
    message = refused(HEAD + "rules:" + RULE.replace("basis: fixed", "basis: upto"))
    assert message.startswith("rules/x.yaml: rules[0].basis:")
    assert "'upto'" in message and "'up_to'" in message


def test_a_cap_lacking_its_limit_is_refused_at_load_not_at_estimate():
    message = refused(HEAD + "rules:" + RULE + "caps:" + CAP.replace("    limit_yuan: 100000\n", ""))
    assert message.startswith("rules/x.yaml: caps[0].limit_yuan:")


def test_an_adjustment_with_an_unknown_mode_is_refused():
    adjustment = """
adjustments:
  - id: testcity/art8/prior
    kind: prior_award
    mode: refund
    document: tianjin-subsidy-measures
    article: 第八条
    quote: "不再重复"
    description: 已获资助不再重复
"""
    message = refused(HEAD + "rules:" + RULE + adjustment)
    assert message.startswith("rules/x.yaml: adjustments[0].mode:")


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (HEAD + "rules:" + RULE + RULE, "rules[1].id: duplicate of rules[0]"),
        (
            HEAD + "rules:" + RULE.replace("    amount_yuan: 80000\n", ""),
            "rules[0]: has neither amount_yuan nor derive",
        ),
        (
            HEAD + "rules:" + RULE.replace("    basis: fixed\n", ""),
            "rules[0].basis: a rule with amount_yuan needs basis",
        ),
        (
            HEAD
            + "rules:"
            + RULE
            + RULE.replace("draft\n", "revise\n").replace(
                "    amount_yuan: 80000\n", "    derive: {from: nope, factor: 0.5}\n"
            ),
            "rules[1].derive.from: unknown rule 'nope'",
        ),
        (
            HEAD + "rules:" + RULE.replace("amount_yuan: 80000", "amount_yuan: '80000'"),
            "rules[0].amount_yuan:",
        ),
        (
            HEAD + "rules:" + RULE.replace("basis: fixed", "basis: fixed\n    per_unit: 'no'"),
            "rules[0].per_unit:",
        ),
    ],
    ids=["duplicate-id", "no-amount", "no-basis", "derive-target", "amount-as-text", "per-unit-as-text"],
)
def test_cross_record_and_type_errors_name_the_record(text, found):
    assert found in refused(text)


def test_the_published_json_schema_is_current():
    published = json.loads(resources.files("calculators").joinpath("rules/schema.json").read_text("utf-8"))
    assert published == rule_file_json_schema(), (
        "regenerate: subsidy rules --schema > calculators/rules/schema.json"
    )


def _as_json(raw):
    return json.loads(json.dumps(raw, default=str))


@pytest.mark.parametrize("city", [c.city for c in all_city_rules()])
def test_every_shipped_rule_file_meets_the_published_json_schema(city):
    text = resources.files("calculators").joinpath(f"rules/{city}.yaml").read_text("utf-8")
    assert text.startswith("# yaml-language-server: $schema=schema.json"), (
        "editors find the schema by this line"
    )
    jsonschema.validate(_as_json(load_yaml(text)), rule_file_json_schema())


def test_the_json_schema_refuses_what_the_loader_refuses():
    raw = _as_json(load_yaml(HEAD + "rules:" + RULE + "    per_units: false\n"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(raw, rule_file_json_schema())
    raw = _as_json(load_yaml(HEAD + "rules:" + RULE + "caps:" + CAP.replace("annual_total", "annual_totl")))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(raw, rule_file_json_schema())
