"""Runs the gold cases and builds the Report (CONTRACT.md): calc, chat and retrieval suites.

In-process by default (fast); with `url` it talks to a running `subsidy serve` instead.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.turn import chat_turn
from calculators.engine import estimate
from eval.cases import Case, load_cases
from eval.judges import judge_calc, judge_chat, judge_retrieval
from eval.retrieval_suite import run_retrieval_suite
from foundation.errors import UserInputError
from knowledge.regions import resolve_region
from knowledge.search import search

SUITES = ("calc", "chat", "retrieval")
DEFAULT_THRESHOLDS = {"calc": 1.0, "chat": 0.95, "retrieval": 0.95}


class Transport:
    """How the runner reaches the product: in-process functions, or HTTP."""

    def __init__(self, url: str | None = None):
        self.url = url.rstrip("/") if url else None

    def _http(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        req = urllib.request.Request(
            f"{self.url}{path}", data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read().decode("utf-8"))

    def check_server(self, timeout: float = 10.0) -> None:
        """GET /healthz before any case runs: an unreachable or foreign server is one clear error,
        not hundreds of failed cases. Raises UserInputError naming --url."""

        if self.url is None:
            return
        try:
            parts = urllib.parse.urlsplit(self.url)
        except ValueError as err:
            raise UserInputError("--url", f"{self.url} is not a valid URL ({err})") from None
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UserInputError("--url", f"{self.url} is not an http:// or https:// URL")
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=timeout) as resp:
                body = json.loads(resp.read().decode("utf-8"))
        except urllib.error.HTTPError as err:
            raise UserInputError(
                "--url", f"{self.url}/healthz answered HTTP {err.code}: not a running subsidy server"
            ) from None
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", None) or err
            raise UserInputError("--url", f"cannot connect to {self.url} ({reason})") from None
        except ValueError:  # JSON or UTF-8
            raise UserInputError(
                "--url", f"{self.url}/healthz did not answer JSON: not a running subsidy server"
            ) from None
        if not isinstance(body, dict) or body.get("status") != "ok":
            raise UserInputError("--url", f"{self.url}/healthz did not report status ok: {str(body)[:80]}")

    def estimate(self, request: dict[str, Any]) -> dict[str, Any]:
        if self.url:
            return self._http("POST", "/api/estimate", request)

        return estimate(request).model_dump(mode="json")

    def chat(self, message: str, as_of: str | None, session_id: str | None) -> dict[str, Any]:
        body = {"message": message, "as_of": as_of, "session_id": session_id}
        if self.url:
            return self._http("POST", "/api/chat", {k: v for k, v in body.items() if v})

        return chat_turn(message, session_id=session_id, as_of=as_of).model_dump(mode="json")

    def search(self, query: str, k: int, city: str | None = None) -> list[dict[str, Any]]:
        if self.url:
            params = {"q": query, "k": k, **({"city": city} if city else {})}
            return self._http("GET", "/api/search?" + urllib.parse.urlencode(params))

        return [h.model_dump(mode="json") for h in search(query, k=k, city=city)]


def _tally(total: int, failed: int, score_name: str) -> dict[str, Any]:
    """A suite's line of the Report: total, passed, failed and its score (share passed)."""
    passed = total - failed
    return {
        "total": total,
        "passed": passed,
        "failed": failed,
        score_name: round(passed / total, 4) if total else 1.0,
    }


def _groups_of(case: Case) -> list[str]:
    """city id × achievement type keys a calc case counts under (one per type it contains)."""

    request = case.data["request"]
    try:
        city = resolve_region(request.get("city", "")).id
    except Exception:
        city = str(request.get("city"))
    types = sorted({a.get("type", "?") for a in request.get("achievements", [])})
    return [f"{city}|{t}" for t in types]


def run_calc(cases: list[Case], transport: Transport) -> tuple[dict[str, Any], list[dict[str, Any]], dict]:
    failures: list[dict[str, Any]] = []
    groups: dict[Any, Any] = {}
    for case in cases:
        try:
            problems = judge_calc(case.data["expect"], transport.estimate(case.data["request"]))
        except Exception as err:  # the product's failure is the case's failure
            problems = [f"error: {err}"[:300]]
        for key in _groups_of(case):
            tally = groups.setdefault(key, [0, 0])
            tally[0 if not problems else 1] += 1
        if problems:
            failures.append(
                {
                    "suite": "calc",
                    "id": case.id,
                    "expected": case.data.get("why", ""),
                    "got": "; ".join(problems),
                }
            )
    summary = _tally(len(cases), len(failures), "accuracy")
    return summary, failures, groups


def run_chat(cases: list[Case], transport: Transport) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    failures = []
    by_intent: dict[str, list[int]] = {}  # intent -> [total, failed]
    for case in cases:
        data = case.data
        turns = data.get("turns") or [data["question"]]
        session = None
        try:
            got: dict[str, Any] = {}
            answers = []
            for message in turns:
                got = transport.chat(message, data.get("as_of"), session)
                answers.append(got)
                session = got.get("session_id")
            problems = judge_chat(data, got)
            if data.get("expect_first_follow_up") and not answers[0].get("follow_up"):
                problems.append("the first answer did not ask back")
        except Exception as err:
            problems = [f"error: {err}"[:300]]
        tally = by_intent.setdefault(data.get("intent", "unlabelled"), [0, 0])
        tally[0] += 1
        tally[1] += bool(problems)
        if problems:
            failures.append(
                {"suite": "chat", "id": case.id, "expected": data.get("why", ""), "got": "; ".join(problems)}
            )
    summary = _tally(len(cases), len(failures), "accuracy")
    summary["by_intent"] = {name: _tally(t, f, "accuracy") for name, (t, f) in sorted(by_intent.items())}
    return summary, failures


def run_retrieval(cases: list[Case], transport: Transport) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    if transport.url is None:
        result = run_retrieval_suite([c.data for c in cases])
        hybrid = result["hybrid"]
        summary = {
            "total": len(cases),
            "passed": round(hybrid["recall_at_5"] * len(cases)),
            "failed": len(cases) - round(hybrid["recall_at_5"] * len(cases)),
            "recall_at_1": hybrid["recall_at_1"],
            "recall_at_5": hybrid["recall_at_5"],
            "mrr": hybrid["mrr"],
            "methods": {m: result[m] for m in ("bm25", "dense", "hybrid") if m in result},
        }
        failures = [{"suite": "retrieval", **f} for f in result.get("failures", [])]
        return summary, failures

    failures = []
    for case in cases:
        try:
            problems = judge_retrieval(
                case.data, transport.search(case.data["query"], 5, case.data.get("city"))
            )
        except Exception as err:
            problems = [f"error: {err}"[:300]]
        if problems:
            failures.append(
                {
                    "suite": "retrieval",
                    "id": case.id,
                    "expected": case.data["expect_text_has"],
                    "got": problems[0],
                }
            )
    return _tally(len(cases), len(failures), "recall_at_5"), failures


def run_suites(
    suite: str = "all",
    url: str | None = None,
    progress: Callable[[str], None] | None = None,
    case_files: list[Path] | None = None,
) -> dict[str, Any]:
    """Run the chosen suite(s) over the shipped cases, or over `case_files` (e.g. eval/heldout);
    returns the Report dict of CONTRACT.md (plus by_group and timings)."""
    chosen = SUITES if suite == "all" else (suite,)
    transport = Transport(url)
    transport.check_server()
    report: dict[str, Any] = {"suites": {}, "failures": [], "by_group": {}, "seconds": {}}
    for name in chosen:
        cases = load_cases(case_files, suite=name)
        if progress:
            progress(f"{name}: {len(cases)} cases")
        start = time.perf_counter()
        if name == "calc":
            summary, failures, groups = run_calc(cases, transport)
            report["by_group"] = {k: {"passed": v[0], "failed": v[1]} for k, v in sorted(groups.items())}
        elif name == "chat":
            summary, failures = run_chat(cases, transport)
        else:
            summary, failures = run_retrieval(cases, transport)
        report["seconds"][name] = round(time.perf_counter() - start, 3)
        report["suites"][name] = summary
        report["failures"] += failures
    return report


def below_threshold(report: dict[str, Any], thresholds: dict[str, float]) -> list[str]:
    bad = []
    for name, summary in report["suites"].items():
        score = summary.get("accuracy", summary.get("recall_at_5", 1.0))
        if score < thresholds.get(name, 1.0):
            bad.append(f"{name} {score:.3f} < {thresholds[name]}")
    return bad


def _kind(value: Any) -> str:
    """A JSON value's kind, as a person reading the file would call it."""
    kinds = {dict: "an object", list: "an array", str: "a string", bool: "true/false", type(None): "null"}
    return kinds.get(type(value), "a number")


def report_problem(data: Any) -> str | None:
    """Why `data` is not a Report that diff_reports can read (None when it is one)."""
    if not isinstance(data, dict):
        return f"expected a JSON object with 'suites' and 'failures', got {_kind(data)}"
    missing = [key for key in ("suites", "failures") if key not in data]
    if missing:
        return f"not a report: no {' or '.join(repr(k) for k in missing)}"
    if not isinstance(data["suites"], dict):
        return f"'suites' must be an object, got {_kind(data['suites'])}"
    if not isinstance(data["failures"], list):
        return f"'failures' must be an array, got {_kind(data['failures'])}"
    for i, failure in enumerate(data["failures"]):
        if not isinstance(failure, dict):
            return f"failures[{i}] must be an object, got {_kind(failure)}"
        for key in ("suite", "id"):
            if not isinstance(failure.get(key), str | int) or isinstance(failure.get(key), bool):
                return f"failures[{i}] has no {key!r}"
    return None


def diff_reports(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, str]]:
    """Cases whose outcome changed between two reports (failed ids are listed; the rest passed)."""
    old_failed = {(str(f["suite"]), str(f["id"])): f for f in old.get("failures", [])}
    new_failed = {(str(f["suite"]), str(f["id"])): f for f in new.get("failures", [])}
    changes = []
    for key in sorted(set(old_failed) | set(new_failed)):
        if key in old_failed and key not in new_failed:
            changes.append(
                {"suite": key[0], "id": key[1], "change": "fixed", "detail": old_failed[key].get("got", "")}
            )
        elif key in new_failed and key not in old_failed:
            changes.append(
                {"suite": key[0], "id": key[1], "change": "broken", "detail": new_failed[key].get("got", "")}
            )
        elif old_failed[key].get("got", "") != new_failed[key].get("got", ""):
            changes.append(
                {
                    "suite": key[0],
                    "id": key[1],
                    "change": "still failing, differently",
                    "detail": new_failed[key].get("got", ""),
                }
            )
    return changes
