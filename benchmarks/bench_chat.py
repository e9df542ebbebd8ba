"""Chat benchmarks (printed figures, not a test).

Target (issues 5 and 11): an offline `ask` turn (understand → Estimate / comparison / menu /
clauses / retrieval → template answer → session stored in SQLite) has p50 ≤ 100 ms warm,
in-process, for every kind of question. Also printed: a follow-up turn that
continues a stored session, the extractor alone, and `subsidy ask --json` as a whole process.
Run: .venv/bin/python benchmarks/bench_chat.py
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUESTIONS = [
    "我们公司在威海，去年牵头修订了一项行业标准，能申请多少资助？",
    "天津主导制定国家标准和行业标准各一项，一共能拿多少？",
    "郑州，承担ISO的分技术委员会秘书处，奖励多少",
    "枣庄，我们4A良好行为，还是国家级领跑者，加起来多少",
    "临沂 参与制定了3项行业标准，最多能拿多少",
    "广州开发区，主导制定国家标准，最多资助多少？",
    "聊城，参与制定国家标准，能奖多少？",
    "北京 需要协调多个部门联合建设的区域性国家级标准化试点示范，补助多少",
    "佛山企业协助制定国际标准",
    "天津，参与制定国家标准能拿多少？",
]


# the other intents of issue 11, a few questions each
OTHER_INTENTS = {
    "compare": ["枣庄和佛山，谁对主导制定行业标准给得多？", "哪个城市对承担全国SC秘书处给得最多？"],
    "city menu": ["威海都资助哪些标准化工作？", "河北对企业标准领跑者有哪些支持？"],
    "eligibility": ["我们去年因质量问题被执法部门查处过，还能申请威海的资助吗？"],
    "status": ["聊城的奖励办法现在还有效吗", "天津的资助办法什么时候到期？"],
    "apply": ["天津主导制定国标需要什么材料，向哪个部门申报？"],
    "definition (retrieval)": ["企业标准和团体标准有什么区别？", "标准化试点示范项目是什么？"],
    "out of scope / small talk": ["明天北京天气怎么样？", "你好"],
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed(fn, rounds: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for i in range(rounds):
        start = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - start) * 1000)
    return out


def report(name: str, ms: list[float], target: str = "") -> None:
    print(
        f"{name:<42} p50 {statistics.median(ms):7.2f} ms   p95 {percentile(ms, 0.95):7.2f} ms"
        f"   max {max(ms):7.2f} ms   (n={len(ms)}){'   ' + target if target else ''}"
    )


def main() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="bench-chat-"))
    os.environ["SUBSIDY_DATA_DIR"] = str(data_dir)
    for name in ("SUBSIDY_LLM_BASE_URL", "SUBSIDY_LLM_MODEL"):
        os.environ.pop(name, None)
    try:
        from assistant.extraction import extract
        from assistant.turn import chat_turn

        for q in QUESTIONS * 3:  # warm: lexicon, rule files, templates, the SQLite schema
            chat_turn(q, as_of="2023-06-01")

        report(
            "extraction only",
            timed(lambda i: extract(QUESTIONS[i % len(QUESTIONS)]), 500),
        )
        report(
            "ask turn (new session, amount answer)",
            timed(lambda i: chat_turn(QUESTIONS[i % len(QUESTIONS)], as_of="2023-06-01"), 300),
            "target p50 ≤ 100 ms",
        )
        for kind, questions in OTHER_INTENTS.items():  # issue 11: every kind of question
            for q in questions:
                chat_turn(q, as_of="2023-06-01")  # warm (the first retrieval loads the index)
            report(
                f"ask turn ({kind})",
                timed(lambda i, qs=questions: chat_turn(qs[i % len(qs)], as_of="2023-06-01"), 60),
                "target p50 ≤ 100 ms",
            )
        session = chat_turn("我们主导制定了一项国家标准，能拿多少？", as_of="2023-06-01").session_id
        cities = ["在天津", "换成郑州呢？", "那如果是修订呢？", "换成威海呢", "要是参与呢"]
        report(
            "follow-up turn (stored session)",
            timed(lambda i: chat_turn(cities[i % len(cities)], session_id=session, as_of="2023-06-01"), 200),
        )

        exe = shutil.which("subsidy") or os.path.join(os.path.dirname(sys.executable), "subsidy")
        walls = []
        for q in QUESTIONS[:5]:
            start = time.perf_counter()
            proc = subprocess.run(
                [exe, "ask", q, "--as-of", "2023-06-01", "--json"], capture_output=True, text=True, check=True
            )
            walls.append((time.perf_counter() - start) * 1000)
            json.loads(proc.stdout)
        report("`subsidy ask --json` whole process", walls)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
