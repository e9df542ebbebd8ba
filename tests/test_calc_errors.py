"""Bad requests fail with one line naming the field and the allowed values."""

from __future__ import annotations

import json

import pytest

from calculators.engine import estimate
from foundation.errors import UserInputError
from tests.cli_in_process import run_cli as run_in_process

GOOD = {"type": "standard", "level": "national", "role": "lead", "action": "draft"}


@pytest.mark.parametrize(
    ("request_", "field", "hint"),
    [
        ({"city": "atlantis", "achievements": [GOOD]}, "city", "tianjin"),
        ({"city": "天津", "as_of": "2022-13-40", "achievements": [GOOD]}, "as_of", "YYYY-MM-DD"),
        ({"city": "天津", "achievements": [{**GOOD, "type": "medal"}]}, "achievements[0].type", "standard"),
        (
            {"city": "天津", "achievements": [{**GOOD, "level": "galactic"}]},
            "achievements[0].level",
            "national",
        ),
        ({"city": "天津", "achievements": [{**GOOD, "role": "boss"}]}, "achievements[0].role", "participate"),
        ({"city": "天津", "achievements": [{**GOOD, "count": -1}]}, "achievements[0].count", "positive"),
        ({"city": "天津", "achievements": [{**GOOD, "count": 1.5}]}, "achievements[0].count", "positive"),
        (
            {"city": "天津", "achievements": [{"type": "standard", "level": "national"}]},
            "achievements[0].role",
            "",
        ),
        ({"city": "天津", "achievements": []}, "achievements", "non-empty"),
        ({"city": "天津", "achievements": [GOOD], "colour": "red"}, "colour", "city"),
        (
            {"city": "临沂", "achievements": [{**GOOD, "drafter_rank": 0}]},
            "achievements[0].drafter_rank",
            "1 to 99",
        ),
        (
            {"city": "临沂", "achievements": [{**GOOD, "drafter_rank": "二"}]},
            "achievements[0].drafter_rank",
            "whole",
        ),
        (
            {"city": "临沂", "achievements": [{**GOOD, "drafter_rank": True}]},
            "achievements[0].drafter_rank",
            "whole",
        ),
        (
            {"city": "枣庄", "achievements": [{**GOOD, "prior_award_yuan": -5}]},
            "achievements[0].prior_award_yuan",
            "whole number",
        ),
        (
            {
                "city": "黄埔",
                "achievements": [
                    {"type": "standard_leader", "level": "national", "upgraded_from": "galactic"}
                ],
            },
            "achievements[0].upgraded_from",
            "provincial",
        ),
        (
            {"city": "黄埔", "achievements": [{**GOOD, "upgraded_from": "national"}]},
            "achievements[0].upgraded_from",
            "drafter_rank",
        ),
        (
            {
                "city": "聊城",
                "achievements": [{"type": "innovation_award", "grade": "first", "previous_grade": "gold"}],
            },
            "achievements[0].previous_grade",
            "second",
        ),
    ],
)
def test_bad_request_names_the_field(request_, field, hint):
    with pytest.raises(UserInputError) as err:
        estimate(request_)
    assert err.value.field == field
    assert hint in str(err.value)
    assert "\n" not in str(err.value)


def run_cli(*args, stdin=None):
    return run_in_process(args, stdin=stdin)


def test_cli_estimate_single_and_portfolio():
    one = {"city": "天津", "as_of": "2022-06-01", "achievements": [GOOD]}
    proc = run_cli("estimate", "-", "--json", stdin=json.dumps(one))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["total_yuan"] == 80000
    proc = run_cli("estimate", "-", "--json", stdin=json.dumps([one, {**one, "city": "tianjin"}]))
    out = json.loads(proc.stdout)
    assert isinstance(out, list) and len(out) == 2


@pytest.mark.parametrize(
    "stdin",
    [
        "{not json",
        json.dumps({"city": "天津", "achievements": [{**GOOD, "level": "x"}]}),
        json.dumps([{"city": "天津", "achievements": [GOOD]}, {"city": "nowhere", "achievements": [GOOD]}]),
    ],
)
def test_cli_bad_input_is_one_line_without_traceback(stdin):
    proc = run_cli("estimate", "-", "--json", stdin=stdin)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_cli_missing_file():
    proc = run_cli("estimate", "/no/such/file.json")
    assert proc.returncode != 0 and "no such file" in proc.stderr


def test_project_separates_items_for_highest_only_caps():
    base = {"city": "聊城", "as_of": "2022-06-01"}
    leaders = [
        {"type": "standard_leader", "level": "national"},
        {"type": "standard_leader", "level": "provincial"},
    ]
    same = estimate({**base, "achievements": leaders})
    apart = estimate(
        {**base, "achievements": [{**leaders[0], "project": "产品A"}, {**leaders[1], "project": "产品B"}]}
    )
    assert same.total_yuan < apart.total_yuan
    assert apart.total_yuan == sum(i.amount_yuan for i in apart.items)


def test_project_must_be_text():
    with pytest.raises(UserInputError) as err:
        estimate({"city": "天津", "achievements": [{**GOOD, "project": 5}]})
    assert err.value.field == "achievements[0].project"


@pytest.mark.parametrize("count", [10_001, 10**27])
def test_count_above_the_maximum_is_refused(count: int) -> None:
    request = {
        "city": "天津",
        "achievements": [
            {"type": "standard", "level": "national", "role": "lead", "action": "draft", "count": count}
        ],
    }
    with pytest.raises(UserInputError) as err:
        estimate(request)
    assert err.value.field == "achievements[0].count" and "10,000" in str(err.value)
    request["achievements"][0]["count"] = 10_000
    assert estimate(request).items[0].amount_yuan == 80_000 * 10_000
