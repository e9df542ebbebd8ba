"""`subsidy rules` and `subsidy eval` through the command line."""

from __future__ import annotations

import json

import pytest

from eval.cases import load_cases
from tests.cli_in_process import run_cli as run_in_process
from tests.gold_gate import unexpected_outcomes


def run_cli(*args):
    return run_in_process(args)


def test_rules_coverage_accounts_for_every_amount():
    proc = run_cli("rules", "--coverage", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    mentions = report["amounts"]
    assert len(mentions) > 300
    assert {m["city"] for m in mentions} >= {"tianjin", "weihai", "zhengzhou", "guangzhou-huangpu"}
    unaccounted = [m for m in mentions if not m["accounted_by"]]
    assert unaccounted == []
    assert "(100.0%)" in proc.stderr
    # every clause still not expressible is listed with its reason
    assert report["inexpressible"] and all(c["reason"] and c["quote"] for c in report["inexpressible"])
    assert {"foshan", "liaocheng"} <= {c["city"] for c in report["inexpressible"]}


def test_rules_lists_one_city():
    proc = run_cli("rules", "--city", "天津", "--json")
    rows = json.loads(proc.stdout)
    assert rows and all(r["id"].startswith("tianjin/") for r in rows)


@pytest.fixture(scope="module")
def calc_report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("eval")
    out, html = folder / "r.json", folder / "r.html"
    proc = run_cli("eval", "--suite", "calc", "--json", "--out", str(out), "--html", str(html))
    return proc, out, html


def test_eval_calc_report_is_the_contract_shape(calc_report):
    proc, out, html = calc_report
    assert proc.returncode == 0, proc.stderr[-500:]
    report = json.loads(proc.stdout)
    calc = report["suites"]["calc"]
    assert calc["total"] >= 300 and calc["failed"] == 0 and calc["accuracy"] == 1.0
    assert report["failures"] == []
    assert json.loads(out.read_text(encoding="utf-8"))["suites"] == report["suites"]
    page = html.read_text(encoding="utf-8")
    assert "<table" in page and "calc" in page and "http" not in page.split("<body>")[0]


def test_eval_diff_shows_changed_cases(calc_report, tmp_path):
    _, out, _ = calc_report
    old = json.loads(out.read_text(encoding="utf-8"))
    new = {
        **old,
        "failures": [{"suite": "calc", "id": "pub-001", "expected": "80000", "got": "total_yuan=1"}],
    }
    (tmp_path / "new.json").write_text(json.dumps(new), encoding="utf-8")
    proc = run_cli("eval", "--diff", str(out), str(tmp_path / "new.json"), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [
        {"suite": "calc", "id": "pub-001", "change": "broken", "detail": "total_yuan=1"}
    ]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["eval", "--suite", "nonsense"], "--suite"),
        (["eval", "--diff", "/nope.json", "/nope2.json"], "no such report"),
    ],
)
def test_eval_bad_input_is_one_line(args, needle):
    proc = run_cli(*args)
    assert proc.returncode != 0 and needle in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.integration
def test_eval_all_suites_pass_through_the_command_line():
    # no ratio thresholds: the gate is eval/known_failures.yaml (tests/gold_gate.py)
    proc = run_cli("eval", "--suite", "all", "--json", "--min-chat", "0", "--min-retrieval", "0")
    assert proc.returncode == 0, proc.stderr[-800:]
    report = json.loads(proc.stdout)
    suites = report["suites"]
    assert set(suites) == {"calc", "chat", "retrieval"}
    assert suites["calc"]["accuracy"] == 1.0
    assert suites["chat"]["total"] >= 100 and suites["retrieval"]["total"] >= 60
    for suite in ("chat", "retrieval"):
        ran = {case.id for case in load_cases(suite=suite)}
        failures = [f for f in report["failures"] if f["suite"] == suite]
        assert unexpected_outcomes(suite, failures, ran) == []
