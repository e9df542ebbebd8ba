"""Every calc gold case in eval/cases passes through the in-process engine."""

from __future__ import annotations

import pytest

from calculators.engine import estimate
from eval.cases import load_cases
from eval.judges import judge_calc

CASES = load_cases(suite="calc")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_calc_case(case):
    got = estimate(case.data["request"]).model_dump(mode="json")
    assert judge_calc(case.data["expect"], got) == []
