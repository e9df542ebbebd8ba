"""Calculator benchmarks (printed figures, not a test).

Targets (issue 3): in-process ≥ 5,000 estimates/s on one core; `subsidy estimate` as a
whole process ≤ 0.5 s wall; a 1,000-request portfolio file in ≤ 2 s.
Run: .venv/bin/python benchmarks/bench_estimate.py
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

from calculators.achievement_types import achievement_types
from calculators.engine import estimate
from calculators.rulebook import all_city_rules
from foundation.limits import MAX_ITEMS_PER_CALL


def random_request(rng: random.Random) -> dict:
    cities = sorted(c.city for c in all_city_rules() if c.rules)
    core = {n: s for n, s in achievement_types().items() if s.core}
    items = []
    for _ in range(rng.randint(1, 4)):
        name = rng.choice(sorted(core))
        item = {"type": name, "count": rng.randint(1, 3)}
        for f in core[name].fields:
            item[f.name] = rng.choice(list(f.values))
        items.append(item)
    return {"city": rng.choice(cities), "as_of": "2022-06-01", "achievements": items}


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    rng = random.Random(7)
    requests = [random_request(rng) for _ in range(2000)]
    for r in requests[:50]:
        estimate(r)  # warm caches
    start = time.perf_counter()
    for r in requests:
        estimate(r)
    rate = len(requests) / (time.perf_counter() - start)
    print(f"in-process: {rate:,.0f} estimates/s on one core (target ≥ 5,000)")

    exe = shutil.which("subsidy") or os.path.join(os.path.dirname(sys.executable), "subsidy")
    one = json.dumps(
        {"city": "天津", "as_of": "2022-06-01", "achievements": [requests[0]["achievements"][0]]}
    )
    walls = []
    for _ in range(5):
        t = time.perf_counter()
        subprocess.run(
            [exe, "estimate", "-", "--json"], input=one, capture_output=True, text=True, check=True
        )
        walls.append(time.perf_counter() - t)
    print(
        f"`subsidy estimate` one request: best {min(walls):.3f} s, median {sorted(walls)[2]:.3f} s wall (target ≤ 0.5 s)"
    )

    portfolio, rows = [], 0  # as many requests as fit the per-call limit on achievement rows
    for request in requests:
        if rows + len(request["achievements"]) > MAX_ITEMS_PER_CALL:
            break
        portfolio.append(request)
        rows += len(request["achievements"])
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as fh:
        json.dump(portfolio, fh, ensure_ascii=False)
    t = time.perf_counter()
    subprocess.run([exe, "estimate", fh.name, "--json"], capture_output=True, text=True, check=True)
    print(
        f"portfolio file of {len(portfolio):,} requests ({rows:,} achievement rows, the per-call limit): "
        f"{time.perf_counter() - t:.3f} s wall (target ≤ 2 s)"
    )
    os.unlink(fh.name)
    heavy = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, subsidy.cli, calculators.engine; "
            "print(sorted(m for m in ('chromadb','langchain_core','torch') if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
    )
    print(f"heavy modules imported on the estimate path: {heavy.stdout.strip()}")


if __name__ == "__main__":
    main()
