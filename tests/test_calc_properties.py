"""Properties of the engine over random portfolios in every money city (hypothesis)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from calculators.achievement_types import achievement_types
from calculators.engine import estimate
from calculators.rulebook import all_city_rules

MONEY_CITIES = sorted(c.city for c in all_city_rules() if c.rules)
CORE = {name: spec for name, spec in achievement_types().items() if spec.core}


@st.composite
def achievements(draw):
    type_name = draw(st.sampled_from(sorted(CORE)))
    spec = CORE[type_name]
    item = {"type": type_name, "count": draw(st.integers(min_value=1, max_value=8))}
    for field in spec.fields:
        item[field.name] = draw(st.sampled_from(list(field.values)))
    for fact in spec.facts:  # the optional facts, sometimes stated
        if draw(st.booleans()):
            item[fact.name] = draw(fact_values(fact))
    return item


def fact_values(fact):
    if fact.whole_number is not None:
        least, most = fact.whole_number
        return st.integers(min_value=least, max_value=min(most, 3_000_000))
    return st.sampled_from(list(fact.values))


HISTORY = ("prior_award_yuan", "upgraded_from", "previous_grade")


@st.composite
def with_history(draw, request):
    """The same request with a history fact stated on one achievement."""
    achievements = [dict(a) for a in request["achievements"]]
    index = draw(st.integers(min_value=0, max_value=len(achievements) - 1))
    spec = CORE[achievements[index]["type"]]
    facts = [f for f in spec.facts if f.name in HISTORY]
    fact = draw(st.sampled_from(facts))
    achievements[index][fact.name] = draw(fact_values(fact))
    return index, {**request, "achievements": achievements}


requests = st.fixed_dictionaries(
    {
        "city": st.sampled_from(MONEY_CITIES),
        "as_of": st.dates(min_value=dt.date(2015, 1, 1), max_value=dt.date(2030, 12, 31)).map(
            lambda d: d.isoformat()
        ),
        "achievements": st.lists(achievements(), min_size=1, max_size=8),
    }
)


def uncapped(est):
    return sum(item.amount_yuan or 0 for item in est.items)


@settings(max_examples=300, deadline=None)
@given(requests)
def test_total_never_exceeds_the_sum_of_items_and_caps_only_lower(request):
    est = estimate(request)
    assert est.total_yuan <= uncapped(est)
    for item in est.items:
        if item.covered:
            assert 0 <= item.counted_yuan <= item.amount_yuan
    assert est.total_yuan == sum(i.counted_yuan or 0 for i in est.items)
    reported = sum(c.reduced_by_yuan for c in est.caps_applied)
    assert uncapped(est) - est.total_yuan == reported


@settings(max_examples=200, deadline=None)
@given(requests, achievements())
def test_adding_an_achievement_never_lowers_the_uncapped_sum(request, extra):
    before = estimate(request)
    after = estimate({**request, "achievements": [*request["achievements"], extra]})
    assert uncapped(after) >= uncapped(before)


def without_history(request):
    return {
        **request,
        "achievements": [{k: v for k, v in a.items() if k not in HISTORY} for a in request["achievements"]],
    }


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_a_stated_prior_award_or_earlier_title_never_raises_an_amount(data):
    plain = without_history(data.draw(requests))
    index, told = data.draw(with_history(plain))
    before, after = estimate(plain), estimate(told)
    assert (after.items[index].amount_yuan or 0) <= (before.items[index].amount_yuan or 0)
    assert uncapped(after) <= uncapped(before)
    assert after.total_yuan <= before.total_yuan
    assert after.items[index].covered == before.items[index].covered


@settings(max_examples=100, deadline=None)
@given(requests)
def test_estimate_is_deterministic_and_items_keep_input_order(request):
    first, second = estimate(request), estimate(request)
    assert first == second
    assert [i.input_index for i in first.items] == list(range(len(request["achievements"])))
