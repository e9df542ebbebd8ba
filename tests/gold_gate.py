"""The gate of the gold suites: no failure outside eval/known_failures.yaml, and none listed that passes.

A ratio (chat ≥ 95 %) lets a new failure hide behind an old fix; a list names each case that may
fail and why, so a test fails on any change of outcome: a new failure (fix it, or list it with its
reason) or a listed case that passes again (take it off the list).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

KNOWN_FAILURES = Path(__file__).resolve().parents[1] / "eval" / "known_failures.yaml"


def known_failures(suite: str) -> dict[str, str]:
    """id -> reason of the listed failures of one suite."""
    entries = yaml.safe_load(KNOWN_FAILURES.read_text(encoding="utf-8")) or []
    return {str(e["id"]): str(e["reason"]) for e in entries if e["suite"] == suite}


def unexpected_outcomes(suite: str, failures: list[dict[str, Any]], ran: set[str]) -> list[str]:
    """What the gate refuses, one line each: failures not listed, and listed cases of `ran` that passed."""
    known = known_failures(suite)
    failed = {str(f["id"]): str(f.get("got", "")) for f in failures}
    problems = [
        f"{suite} {case_id} fails and is not listed: {got[:200]}"
        for case_id, got in failed.items()
        if case_id not in known
    ]
    problems += [
        f"{suite} {case_id} passes now: take it off {KNOWN_FAILURES.name} ({known[case_id]})"
        for case_id in sorted(set(known) & ran - set(failed))
    ]
    return problems
