"""schemathesis `--checks all` against a real `subsidy serve` (issue 14 item 10), with and without
an API key: the OpenAPI document says exactly what the service does.

Bounded and deterministic: `--generation-deterministic` (no random seed, no example database),
at most 20 examples an operation in the fuzzing phase. Every check runs: no 5xx, status codes,
content types and response bodies as documented, schema-valid requests accepted, schema-invalid
ones refused, and (with a key) a request without it refused. The coverage phase (boundary and
invalid values of every parameter, ~2,800 requests, most of the run's time) runs against the
server without a key; with a key, the examples and fuzzing phases (the key changes who is let in,
not what is valid).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.test_load import ROOT, Server, free_port, shared_index_data_dir

# A real server under schemathesis: ~35 s.
pytestmark = pytest.mark.integration

MAX_EXAMPLES = 20


@pytest.mark.parametrize("api_key", [None, "schemathesis-key"], ids=["no-key", "api-key"])
def test_schemathesis_checks_all_pass(tmp_path, api_key):
    env = {"SUBSIDY_API_KEY": api_key} if api_key else {}
    server = Server(port=free_port(), data_dir=shared_index_data_dir(tmp_path / "data"), env_extra=env)
    server.start()
    command = [sys.executable, "-m", "schemathesis.cli", "run", f"{server.base}/openapi.json"]
    command += ["--checks", "all", "--max-examples", str(MAX_EXAMPLES), "--generation-deterministic"]
    command += ["--request-timeout", "30", "--no-color"]
    if api_key:
        command += ["--header", f"X-API-Key: {api_key}", "--phases", "examples,fuzzing"]
    try:
        run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    finally:
        server.kill()
    report = run.stdout + run.stderr
    assert run.returncode == 0, report[-6000:]
    assert "No issues found" in report, report[-6000:]
    assert "8 selected / 8 total" in report  # every operation (6 of /api and /healthz, 2 of /v1) was tested
