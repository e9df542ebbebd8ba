"""Search latency while long queries run (issue 14 item 1; printed figures, not a test).

Targets: a short query answered in ≤ 0.3 s while 2,000-character queries run beside it, and a
2,000-character query itself in ≤ 2 s (before the fix: 6–13 s, and a short query waited as long).

    .venv/bin/python benchmarks/bench_search_concurrency.py                 # index in a temp dir
    .venv/bin/python benchmarks/bench_search_concurrency.py --data-dir DIR  # reuse (or build) DIR

In one process, as the web service runs searches (worker threads, one shared searcher): N threads
send 2,000-character queries back to back (each different, so no cached vector helps) while the
main thread sends short queries and times them.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from foundation.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHORT_QUERIES = ["天津 主导制定国家标准 资助", "领跑者 奖励", "秘书处 资助 郑州", "标准化试点示范 验收"]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def long_queries(n: int, chars: int, seed: int = 14) -> list[str]:
    """Queries of exactly `chars` characters made of article text (the worst case: all words)."""
    from knowledge.corpus import searchable_articles
    from knowledge.simplified import to_simplified

    texts = [to_simplified(a.text) for a in searchable_articles()]
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        text = ""
        while len(text) < chars:
            text += rng.choice(texts)
        out.append(text[:chars])
    return out


def send_long_queries(
    searcher: Any, queries: Iterator[str], lock: threading.Lock, stop: threading.Event, times: list[float]
) -> None:
    """One client sending long queries back to back until told to stop (or out of queries)."""
    while not stop.is_set():
        with lock:
            query = next(queries, None)
        if query is None:
            return
        start = time.perf_counter()
        searcher.search(query, k=5)
        times.append(time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, help="index directory to reuse (default: a fresh temp dir)")
    parser.add_argument("--seconds", type=float, default=8.0, help="how long each scenario runs")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-search-"))
    os.environ["SUBSIDY_DATA_DIR"] = str(data_dir)

    from foundation.limits import MAX_EMBEDDED_QUERY_TOKENS, MAX_QUERY_TERMS
    from knowledge.search import MAX_QUERY_CHARS, build_index, get_searcher

    build_index(Settings.from_env().retrieval, notify=lambda message: None)
    searcher = get_searcher(Settings.from_env().retrieval)
    longs = long_queries(400, MAX_QUERY_CHARS)
    for query in SHORT_QUERIES:
        searcher.search(query, k=5)  # warm: BM25 built, model loaded
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    print(f"bounds: {MAX_EMBEDDED_QUERY_TOKENS} embedded tokens, {MAX_QUERY_TERMS} BM25 terms per query")

    alone = []
    for query in longs[:5]:
        start = time.perf_counter()
        searcher.search(query, k=5)
        alone.append(time.perf_counter() - start)
    print(
        f"{MAX_QUERY_CHARS}-character query alone: p50 {statistics.median(alone) * 1000:.0f} ms, "
        f"max {max(alone) * 1000:.0f} ms (target ≤ 2000 ms)"
    )

    next_long = iter(longs[5:])
    lock = threading.Lock()
    for concurrent in (1, 3):
        stop = threading.Event()
        long_times: list[float] = []

        threads = [
            threading.Thread(target=send_long_queries, args=(searcher, next_long, lock, stop, long_times))
            for _ in range(concurrent)
        ]
        for thread in threads:
            thread.start()
        time.sleep(0.2)
        short_times = []
        deadline = time.perf_counter() + args.seconds
        i = 0
        while time.perf_counter() < deadline:
            query = f"{SHORT_QUERIES[i % len(SHORT_QUERIES)]} {i}"  # new text: no cached vector
            start = time.perf_counter()
            searcher.search(query, k=5)
            short_times.append(time.perf_counter() - start)
            i += 1
            time.sleep(0.05)
        stop.set()
        for thread in threads:
            thread.join()
        print(
            f"{concurrent} long quer{'y' if concurrent == 1 else 'ies'} running: short query "
            f"p50 {statistics.median(short_times) * 1000:.0f} ms, p95 {percentile(short_times, 95) * 1000:.0f} ms, "
            f"max {max(short_times) * 1000:.0f} ms over {len(short_times)} (target ≤ 300 ms); "
            f"long query p50 {statistics.median(long_times) * 1000:.0f} ms, "
            f"max {max(long_times) * 1000:.0f} ms over {len(long_times)}"
        )


if __name__ == "__main__":
    main()
