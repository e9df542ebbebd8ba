"""Every rule, cap, note and apply citation of every city file is checked against the source text."""

from __future__ import annotations

import pytest

from calculators.achievement_types import achievement_types
from calculators.amounts import parse_amount_yuan, parse_percent
from calculators.rulebook import all_city_rules
from knowledge import corpus
from tests.conftest import squash

CITIES = all_city_rules()
RULES = [(city, rule) for city in CITIES for rule in city.rules]
QUOTES = (
    [(r.id, r.document, r.quote) for _, r in RULES]
    + [(c.id, c.document, c.quote) for city in CITIES for c in city.caps]
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
    for type_name in rule.when["type"]:
        spec = types[type_name]
        for name, values in rule.when.items():
            if name == "type":
                continue
            field = spec.field(name)
            assert field is not None, f"{rule.id}: {name} is not a field of {type_name}"
            for value in values:
                assert value in field.values, f"{rule.id}: {name}={value!r} not allowed"


@pytest.mark.parametrize("city", CITIES, ids=[c.city for c in CITIES])
def test_rule_ids_start_with_city_and_documents_are_titled(city):
    for rule in city.rules:
        assert rule.id.startswith(city.city + "/")
        assert rule.document in city.documents
    assert city.verified_on
