"""eval/known_failures.yaml is a reviewed data file, and the gate refuses every change of outcome."""

from __future__ import annotations

import yaml

from eval.cases import load_cases
from tests.gold_gate import KNOWN_FAILURES, known_failures, unexpected_outcomes


def test_every_known_failure_names_a_case_with_a_one_line_reason() -> None:
    entries = yaml.safe_load(KNOWN_FAILURES.read_text(encoding="utf-8"))
    keys = [(e["suite"], e["id"]) for e in entries]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    for entry in entries:
        assert set(entry) == {"suite", "id", "reason"}, entry
        assert entry["reason"].strip() and "\n" not in entry["reason"], entry
    for suite in {e["suite"] for e in entries}:
        ids = {case.id for case in load_cases(suite=suite)}
        assert set(known_failures(suite)) <= ids, suite


def test_the_gate_refuses_a_new_failure_and_a_listed_case_that_passes() -> None:
    listed = sorted(known_failures("retrieval"))  # a suite with listed cases (the chat list is empty)
    assert listed
    ran = set(listed) | {"fine-1"}
    as_listed = [{"suite": "retrieval", "id": case_id, "got": "x"} for case_id in listed]
    assert unexpected_outcomes("retrieval", as_listed, ran) == []
    new = unexpected_outcomes(
        "retrieval", [*as_listed, {"suite": "retrieval", "id": "fine-1", "got": "wrong"}], ran
    )
    assert new == ["retrieval fine-1 fails and is not listed: wrong"]
    fixed = unexpected_outcomes("retrieval", as_listed[1:], ran)
    assert len(fixed) == 1 and fixed[0].startswith(f"retrieval {listed[0]} passes now: take it off")
    # a listed case that did not run (another case file) is not called fixed
    assert unexpected_outcomes("retrieval", as_listed[1:], ran - {listed[0]}) == []
