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
    return item


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


@settings(max_examples=100, deadline=None)
@given(requests)
def test_estimate_is_deterministic_and_items_keep_input_order(request):
    first, second = estimate(request), estimate(request)
    assert first == second
    assert [i.input_index for i in first.items] == list(range(len(request["achievements"])))
