"""Run `subsidy …` inside the test process, for tests that only need its output and exit code.

A subprocess pays ~1–3 s of interpreter start and imports per call; in process the libraries
are imported once per session. `run_cli` goes through the console script's own `main()` (so
its one-line errors and exit codes are under test, not Typer's defaults) with Typer's
`CliRunner` isolation: stdin, stdout, stderr and the environment overrides are swapped for the
call and restored after. It returns a `subprocess.CompletedProcess`, so a test reads
`returncode`, `stdout` and `stderr` exactly as it would from `subprocess.run`.

Tests that need a real process (signals, a server, state kept across processes) keep
`subprocess`; tests/test_console_script.py keeps a few real console-script smoke tests.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from typer.testing import CliRunner

# The LLM settings of whoever runs the tests never leak into a CLI test (the offline default).
WITHOUT_LLM: dict[str, str | None] = {
    "SUBSIDY_LLM_BASE_URL": None,
    "SUBSIDY_LLM_MODEL": None,
    "SUBSIDY_LLM_API_KEY": None,
}


def run_cli(
    args: Sequence[str],
    *,
    stdin: str | bytes | None = None,
    env: Mapping[str, str | None] | None = None,
    text: bool = True,
) -> subprocess.CompletedProcess[Any]:
    """`subsidy *args` in process: env holds overrides (None removes a variable), text decodes
    stdout and stderr as UTF-8 like `subprocess.run(..., text=True)`; otherwise they are bytes."""
    from subsidy.cli import main

    argv = ["subsidy", *args]
    with CliRunner().isolation(input=stdin, env=dict(env or {})) as (out, err, _):
        saved_argv = sys.argv
        sys.argv = argv
        try:
            main()
            code: object = 0
        except SystemExit as done:
            code = done.code
        finally:
            sys.argv = saved_argv
            sys.stdout.flush()
            sys.stderr.flush()
        stdout, stderr = out.getvalue(), err.getvalue()
    returncode = code if isinstance(code, int) else (0 if code is None else 1)
    if text:
        return subprocess.CompletedProcess(argv, returncode, stdout.decode(), stderr.decode())
    return subprocess.CompletedProcess(argv, returncode, stdout, stderr)
