"""Eval benchmark (printed): the full calc suite in-process (target ≤ 5 s).

Run: .venv/bin/python benchmarks/bench_eval.py
"""

from __future__ import annotations

import time

from eval.runner import run_suites


def main() -> None:
    start = time.perf_counter()
    report = run_suites("calc")
    seconds = time.perf_counter() - start
    calc = report["suites"]["calc"]
    print(
        f"calc suite in-process: {calc['total']} cases, {calc['passed']} passed, "
        f"{seconds:.2f} s including rule loading (target ≤ 5 s)"
    )


if __name__ == "__main__":
    main()
