"""HTTP service benchmarks (printed figures, not a test), loopback only, bounded in time.

Targets (issue 6, on 2 cores): /api/estimate ≥ 500 requests/s; /api/chat offline p50 ≤ 150 ms
and p99 ≤ 500 ms at 10 concurrent clients; server ready (GET /healthz) ≤ 5 s after start.

The client is a minimal keep-alive HTTP/1.1 client on asyncio streams, so the figures
measure the server, not an HTTP library. Client and server share the machine's cores.

Run: .venv/bin/python benchmarks/bench_api.py [--workers N] [--seconds S]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ESTIMATE_REQUEST = {
    "city": "天津",
    "as_of": "2022-06-01",
    "achievements": [
        {"type": "standard", "level": "national", "role": "lead", "action": "draft"},
        {"type": "tc_secretariat", "scope": "national", "body": "TC"},
    ],
}
CHAT_SCRIPT = [
    "我们公司在{city}，主导制定了一项国家标准，能拿多少资助？",
    "那如果是修订呢？",
    "如果是参与起草呢？",
    "那主导制定呢？",
    "有效期到什么时候？",
]
CITIES = ["天津", "郑州", "威海", "枣庄", "临沂", "聊城", "佛山", "广州开发区", "北京", "天津"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, workers: int, data_dir: Path) -> tuple[subprocess.Popen[bytes], float]:
    exe = shutil.which("subsidy", path=str(Path(sys.executable).parent)) or "subsidy"
    env = {**os.environ, "SUBSIDY_DATA_DIR": str(data_dir)}
    env.pop("SUBSIDY_API_KEY", None)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [exe, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    while time.perf_counter() - started < 60:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                if r.status == 200:
                    return proc, time.perf_counter() - started
        except OSError:
            time.sleep(0.01)
    stop_server(proc)
    raise SystemExit("server not ready within 60 s")


def wait_until_warm(port: int, workers: int, timeout: float = 120.0) -> None:
    """Every worker reports `warm` (several polls in a row, since any worker may answer)."""
    in_a_row, deadline = 0, time.perf_counter() + timeout
    while in_a_row < 4 * workers and time.perf_counter() < deadline:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
            in_a_row = in_a_row + 1 if json.loads(r.read()).get("warm") else 0
        time.sleep(0.05)


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


class Connection:
    """One keep-alive connection: POST JSON, read status + body (Content-Length framed)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.writer.write(head + body)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


async def estimate_throughput(port: int, concurrency: int, seconds: float) -> tuple[int, int, float]:
    body = json.dumps(ESTIMATE_REQUEST, ensure_ascii=False).encode()
    done = errors = 0
    stop_at = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal done, errors
        conn = await Connection.open(port)
        try:
            while time.perf_counter() < stop_at:
                status, _ = await conn.post("/api/estimate", body)
                done += 1
                errors += status != 200
        finally:
            conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return done, errors, time.perf_counter() - started


async def chat_latencies(port: int, clients: int, turns: int) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0

    async def client(index: int) -> None:
        nonlocal errors
        conn = await Connection.open(port)
        session_id = None
        try:
            for turn in range(turns):
                message = CHAT_SCRIPT[turn % len(CHAT_SCRIPT)].format(city=CITIES[index % len(CITIES)])
                payload = {"message": message, "as_of": "2022-06-01"}
                if session_id:
                    payload["session_id"] = session_id
                started = time.perf_counter()
                status, body = await conn.post("/api/chat", json.dumps(payload, ensure_ascii=False).encode())
                latencies.append(time.perf_counter() - started)
                if status != 200:
                    errors += 1
                    continue
                session_id = json.loads(body)["session_id"]
        finally:
            conn.close()

    await asyncio.gather(*(client(i) for i in range(clients)))
    return latencies, errors


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=1, help="server worker processes (default 1)")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of the estimate run")
    parser.add_argument("--concurrency", type=int, default=16, help="estimate client connections")
    parser.add_argument("--chat-turns", type=int, default=30, help="turns per chat client")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        data_dir = Path(tmp)
        # reuse the machine's retrieval index (building one is not what this measures)
        from foundation.settings import data_dir_from_env as machine_data_dir

        shared = machine_data_dir() / "chroma"
        if shared.is_dir():
            (data_dir / "chroma").symlink_to(shared, target_is_directory=True)

        ready = []
        for _ in range(3):
            proc, seconds = start_server(free_port(), args.workers, data_dir)
            ready.append(seconds)
            stop_server(proc)
        print(
            f"server ready (healthz) after start: median {statistics.median(ready):.2f} s, max {max(ready):.2f} s"
        )

        port = free_port()
        proc, _ = start_server(port, args.workers, data_dir)
        wait_until_warm(port, args.workers)
        try:
            asyncio.run(estimate_throughput(port, args.concurrency, 1.0))  # warm-up
            done, errors, elapsed = asyncio.run(estimate_throughput(port, args.concurrency, args.seconds))
            print(
                f"/api/estimate: {done / elapsed:.0f} requests/s "
                f"({done} in {elapsed:.1f} s, {args.concurrency} connections, {errors} errors, "
                f"{args.workers} worker{'s' if args.workers > 1 else ''})"
            )
            try:
                import assistant.turn  # noqa: F401
            except ImportError:
                print("/api/chat: skipped (assistant.dialogue not installed)")
                return
            asyncio.run(chat_latencies(port, 10, 3))  # warm-up: loads the assistant in each worker
            latencies, errors = asyncio.run(chat_latencies(port, 10, args.chat_turns))
            print(
                f"/api/chat offline, 10 concurrent clients: p50 {percentile(latencies, 50) * 1000:.0f} ms, "
                f"p99 {percentile(latencies, 99) * 1000:.0f} ms ({len(latencies)} turns, {errors} errors)"
            )
        finally:
            stop_server(proc)


if __name__ == "__main__":
    main()
