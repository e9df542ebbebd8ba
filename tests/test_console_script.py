"""The installed `subsidy` console script as its own process: help, one ask, one estimate.

The other CLI tests run `main()` in process (tests/cli_in_process.py); these few check that the
entry point of pyproject.toml starts, writes UTF-8 to a pipe and exits with the right code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]
SUBSIDY = Path(sys.executable).with_name("subsidy")


def subsidy(tmp_path: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SUBSIDY_DATA_DIR": str(tmp_path), "COLUMNS": "200", "NO_COLOR": "1"}
    for name in ("SUBSIDY_LLM_BASE_URL", "SUBSIDY_LLM_MODEL", "SUBSIDY_LLM_API_KEY"):
        env.pop(name, None)
    return subprocess.run(
        [str(SUBSIDY), *args], cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


def test_help_lists_the_commands(tmp_path: Path) -> None:
    proc = subsidy(tmp_path, "--help")
    assert proc.returncode == 0, proc.stderr
    for command in ("ask", "chat", "estimate", "policies", "eval", "serve"):
        assert command in proc.stdout


def test_ask_json(tmp_path: Path) -> None:
    proc = subsidy(tmp_path, "ask", "天津主导制定国家标准能拿多少", "--as-of", "2022-06-01", "--json")
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    assert got["estimate"]["items"][0]["amount_yuan"] == 80000
    assert got["citations"][0]["article"] == "第七条"


def test_estimate_from_stdin_and_a_bad_city(tmp_path: Path) -> None:
    request = {
        "city": "天津",
        "as_of": "2022-06-01",
        "achievements": [{"type": "standard", "level": "national", "role": "lead", "action": "draft"}],
    }
    proc = subsidy(tmp_path, "estimate", "-", "--json", stdin=json.dumps(request, ensure_ascii=False))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["total_yuan"] == 80000
    bad = subsidy(tmp_path, "estimate", "-", stdin=json.dumps({**request, "city": "atlantis"}))
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.startswith("error: ") and len(bad.stderr.strip().splitlines()) == 1
