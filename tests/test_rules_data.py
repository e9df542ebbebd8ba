"""Every rule, cap, note and apply citation of every city file is checked against the source text."""

from __future__ import annotations

import pytest

from calculators.achievement_types import achievement_types
from calculators.amounts import parse_amount_yuan, parse_percent
from calculators.rulebook import ADJUSTMENT_FACT, AtLeast, all_city_rules
from knowledge import corpus
from tests.conftest import squash

CITIES = all_city_rules()
RULES = [(city, rule) for city in CITIES for rule in city.rules]
QUOTES = (
    [(r.id, r.document, r.quote) for _, r in RULES]
    + [(c.id, c.document, c.quote) for city in CITIES for c in city.caps]
    + [(a.id, a.document, a.quote) for city in CITIES for a in city.adjustments]
    + [(f"{city.city}/inexpressible", i.document, i.quote) for city in CITIES for i in city.inexpressible]
    + [(f"{city.city}/note", n.document, n.quote) for city in CITIES for n in city.notes]
    + [(f"{city.city}/condition", n.document, n.quote) for city in CITIES for n in city.conditions]
    + [(f"{city.city}/uncovered", u.document, u.quote) for city in CITIES for u in city.uncovered if u.quote]
    + [(f"{city.city}/out_of_scope", q.document, q.quote) for city in CITIES for q in city.out_of_scope]
    + [
        (f"{city.city}/apply/{key}", q.document, q.quote)
        for city in CITIES
        for key, table in city.apply.items()
        for q in table.citations
    ]
)


def test_there_are_rule_files_for_the_nine_money_cities():
    money = {c.city for c in CITIES if c.rules}
    assert {"tianjin"} <= money


@pytest.mark.parametrize(("ident", "doc_id", "quote"), QUOTES, ids=[q[0] for q in QUOTES])
def test_quote_is_verbatim_in_seed(seed_text, ident, doc_id, quote):
    assert squash(quote) in seed_text, f"{ident}: quote not found in the seeds"
    corpus.document(doc_id)  # the document id exists in the corpus


@pytest.mark.parametrize(("city", "rule"), RULES, ids=[r.id for _, r in RULES])
def test_rule_numbers_agree_with_its_quote(city, rule):
    if rule.derive_from is None:
        assert rule.quote_amount, f"{rule.id}: base rule needs quote_amount"
        assert squash(rule.quote_amount) in squash(rule.quote)
        assert parse_amount_yuan(rule.quote_amount) == rule.amount_yuan
    else:
        assert rule.quote_factor, f"{rule.id}: derived rule needs quote_factor"
        assert squash(rule.quote_factor) in squash(rule.quote)
        assert parse_percent(rule.quote_factor) == rule.factor


@pytest.mark.parametrize(("city", "rule"), RULES, ids=[r.id for _, r in RULES])
def test_rule_when_uses_known_types_and_values(city, rule):
    types = achievement_types()
    for type_name in rule.types:
        spec = types[type_name]
        for name, values in rule.when.items():
            if name == "type":
                continue
            field = spec.field(name) or spec.fact(name)
            assert field is not None, f"{rule.id}: {name} is not a field of {type_name}"
            if field.whole_number is not None:
                least, most = field.whole_number
                numbers = [values.at_least] if isinstance(values, AtLeast) else list(values)
                assert all(isinstance(n, int) and least <= n <= most for n in numbers), f"{rule.id}: {name}"
                continue
            assert not isinstance(values, AtLeast), f"{rule.id}: at_least on a field that is not a number"
            for value in values:
                assert value in field.values, f"{rule.id}: {name}={value!r} not allowed"


def _typical_fields(rule):
    """An achievement the rule pays: the first value of each of its conditions."""
    return {k: v[0] for k, v in rule.when.items() if isinstance(v, tuple)}


@pytest.mark.parametrize("city", [c for c in CITIES if c.adjustments], ids=lambda c: c.city)
def test_adjustments_select_rules_whose_types_have_the_fact_they_read(city):
    types = achievement_types()
    for clause in city.adjustments:
        fact = ADJUSTMENT_FACT[clause.kind]
        selected = [r for r in city.rules if clause.selects(r, _typical_fields(r))]
        assert selected, f"{clause.id} selects no rule"
        lacking = sorted({t for r in selected for t in r.types if types[t].fact(fact) is None})
        assert not lacking, f"{clause.id}: types {lacking} have no {fact} in achievement_types.yaml"
