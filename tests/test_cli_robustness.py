"""Bad input to the command line is one line on stderr and exit 2, found before any work is done.

Each test is a QA repro: empty/over-long questions, an unusable SUBSIDY_DATA_DIR, report files
that are not reports, unwritable output paths, an unreachable --url, a UTF-8 BOM, a port in use,
and the notes of uncovered items in the estimate table.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import sessions
from foundation.errors import UserInputError
from tests.cli_in_process import WITHOUT_LLM, run_cli

ROOT = Path(__file__).resolve().parents[1]
TIANJIN = {
    "city": "天津",
    "as_of": "2022-06-01",
    "achievements": [{"type": "standard", "level": "national", "role": "lead", "action": "draft"}],
}


@pytest.fixture
def run(tmp_path: Path):
    """`subsidy …` in process (tests/cli_in_process.py): output and exit code, as bytes."""
    base = {"SUBSIDY_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "400", "NO_COLOR": "1", **WITHOUT_LLM}

    def call(
        *args: str, stdin: str | bytes | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess:
        return run_cli(args, stdin=stdin, env={**base, **(env or {})}, text=False)

    return call


@pytest.fixture
def run_in_a_process(tmp_path: Path):
    """`subsidy …` as its own process, for the commands that would start a server."""
    base = {**os.environ, "SUBSIDY_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "400", "NO_COLOR": "1"}
    for name in ("SUBSIDY_LLM_BASE_URL", "SUBSIDY_LLM_MODEL", "SUBSIDY_LLM_API_KEY"):
        base.pop(name, None)

    def call(
        *args: str, stdin: str | bytes | None = None, env: dict[str, str] | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "subsidy.cli", *args],
            cwd=ROOT,
            env={**base, **(env or {})},
            input=stdin.encode() if isinstance(stdin, str) else stdin,
            capture_output=True,
            timeout=timeout,
        )

    return call


def one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> str:
    err = proc.stderr.decode()
    assert proc.returncode == 2, (proc.returncode, err[-800:])
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert err.startswith("error: "), err
    for needle in needles:
        assert needle in err, err
    return err


# ---------------------------------------------------------------- 1. empty / too long messages
def test_the_cli_uses_the_api_message_limit(run) -> None:
    proc = run("ask", "天津主导制定国家标准吗", env={"SUBSIDY_MAX_MESSAGE_CHARS": "10"})
    one_line_error(proc, "QUESTION: too long: 11 characters (limit 10)")
    assert proc.stdout == b""


def test_ask_refuses_5000_characters_like_http() -> None:
    from foundation.settings import Settings
    from subsidy.api_routes import check_message
    from subsidy.commands.ask import check_question

    text = "天" * 5000
    limit = Settings.from_env().max_message_chars  # the default, as both faces read it
    with pytest.raises(UserInputError) as http:
        check_message(text, limit)
    with pytest.raises(UserInputError) as cli:
        check_question(text, limit, field="message")
    assert str(cli.value) == str(http.value) == "message: too long: 5000 characters (limit 4000)"


def test_chat_skips_empty_lines_and_refuses_a_too_long_one(run) -> None:
    proc = run("chat", stdin="\n   \n" + "天" * 5000 + "\n")
    one_line_error(proc, "message: too long: 5000 characters")
    assert "你：" not in proc.stdout.decode()  # nothing was answered


# ---------------------------------------------------------------- 2. unusable SUBSIDY_DATA_DIR
@pytest.mark.parametrize("command", [["ask", "天津主导制定一项国家标准"], ["chat"]])
@pytest.mark.parametrize("where", ["file", "/proc/x"])
def test_unusable_data_dir_is_one_line_before_answering(run, tmp_path: Path, command, where) -> None:
    if where == "file":
        where = str(tmp_path / "f")
        Path(where).touch()
    proc = run(*command, env={"SUBSIDY_DATA_DIR": where}, stdin="天津主导制定一项国家标准\n")
    one_line_error(proc, "SUBSIDY_DATA_DIR", where)
    assert proc.stdout == b""  # no answer, no session id that was never saved


def test_check_writable(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SUBSIDY_DATA_DIR", str(tmp_path / "new" / "dir"))
    assert sessions.check_writable() == tmp_path / "new" / "dir" / "sessions.sqlite3"
    assert (tmp_path / "new" / "dir" / "sessions.sqlite3").is_file()
    (tmp_path / "f").touch()
    monkeypatch.setenv("SUBSIDY_DATA_DIR", str(tmp_path / "f"))
    with pytest.raises(UserInputError, match="SUBSIDY_DATA_DIR: .* is not a directory"):
        sessions.check_writable()
    (tmp_path / "d" / "sessions.sqlite3").mkdir(parents=True)  # the database path is taken
    monkeypatch.setenv("SUBSIDY_DATA_DIR", str(tmp_path / "d"))
    with pytest.raises(UserInputError, match="SUBSIDY_DATA_DIR: cannot store sessions"):
        sessions.check_writable()


# ---------------------------------------------------------------- 3. report files that are not reports
@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("[]", "got an array"),
        ("{}", "not a report"),
        ('{"suites": {}, "failures": "x"}', "'failures' must be an array"),
        ('{"suites": [], "failures": []}', "'suites' must be an object"),
        ('{"suites": {}, "failures": [{"suite": "calc", "got": "x"}]}', "failures[0] has no 'id'"),
        ('{"suites": {}, "failures": [7]}', "failures[0] must be an object"),
        ("\ufeff[", "is not a JSON report"),
    ],
)
def test_eval_diff_names_the_bad_report(run, tmp_path: Path, content: str, needle: str) -> None:
    good = tmp_path / "good.json"
    good.write_text('{"suites": {}, "failures": []}', encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    one_line_error(run("eval", "--diff", str(good), str(bad)), str(bad), needle)
    one_line_error(run("eval", "--diff", str(bad), str(good)), str(bad), needle)


def test_eval_diff_of_a_directory(run, tmp_path: Path) -> None:
    one_line_error(run("eval", "--diff", str(tmp_path), str(tmp_path)), "is a directory")


def test_eval_diff_accepts_a_report_with_a_bom(run, tmp_path: Path) -> None:
    report = {"suites": {}, "failures": [{"suite": "calc", "id": "a", "expected": "", "got": "x"}]}
    old = tmp_path / "old.json"
    old.write_text("\ufeff" + json.dumps(report), encoding="utf-8")
    new = tmp_path / "new.json"
    new.write_text('{"suites": {}, "failures": []}', encoding="utf-8")
    proc = run("eval", "--diff", str(old), str(new), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [{"suite": "calc", "id": "a", "change": "fixed", "detail": "x"}]


# ---------------------------------------------------------------- 4. unwritable output paths
@pytest.mark.parametrize(
    ("option", "path", "needle"),
    [
        ("--html", "/nonexistent/dir/r.html", "no such directory"),
        ("--out", "/proc/x.json", "cannot write /proc/x.json"),
        ("--out", "DIR", "is a directory"),
    ],
)
def test_eval_checks_output_paths_before_running(run, tmp_path: Path, option, path, needle) -> None:
    path = str(tmp_path) if path == "DIR" else path
    proc = run("eval", "--suite", "calc", option, path)
    one_line_error(proc, option, needle)
    assert proc.stdout == b""  # the suite never ran


def test_eval_output_probe_leaves_no_file_behind(tmp_path: Path) -> None:
    from subsidy.commands.evaluate import _check_writable

    _check_writable(str(tmp_path / "r.json"), "--out")
    assert not (tmp_path / "r.json").exists()
    (tmp_path / "old.json").write_text("keep", encoding="utf-8")
    _check_writable(str(tmp_path / "old.json"), "--out")
    assert (tmp_path / "old.json").read_text(encoding="utf-8") == "keep"


# ---------------------------------------------------------------- 5. unreachable --url
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_eval_url_that_cannot_be_reached(run) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    proc = run("eval", "--suite", "calc", "--url", url)
    one_line_error(proc, f"--url: cannot connect to {url} (")
    assert b"cases" not in proc.stderr and proc.stdout == b""


@pytest.mark.parametrize("url", ["localhost:8000", "http://[bad"])
def test_eval_url_that_is_not_a_url(run, url: str) -> None:
    one_line_error(run("eval", "--url", url), "--url", url)


# ---------------------------------------------------------------- 6. BOM, directories
def test_estimate_accepts_a_utf8_bom_on_stdin_and_in_files(run, tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf" + json.dumps(TIANJIN, ensure_ascii=False).encode()
    proc = run("estimate", "-", "--json", stdin=data)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["total_yuan"] == 80000
    (tmp_path / "req.json").write_bytes(data)
    proc = run("estimate", str(tmp_path / "req.json"), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["total_yuan"] == 80000


def test_estimate_of_a_directory_or_non_utf8(run, tmp_path: Path) -> None:
    one_line_error(run("estimate", str(tmp_path)), "is a directory")
    one_line_error(run("estimate", "-", stdin=b"\xff\xfe{}"), "not UTF-8")


# ---------------------------------------------------------------- 7. serve on a port in use
@pytest.mark.integration
def test_serve_on_a_port_in_use_is_one_line_before_announcing(run_in_a_process) -> None:
    run = run_in_a_process
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = run("serve", "--port", str(port), timeout=60)
    one_line_error(proc, f"cannot listen on 127.0.0.1:{port} (address already in use)")
    assert b"serving on" not in proc.stdout


@pytest.mark.integration
def test_serve_on_an_unknown_host(run_in_a_process) -> None:
    run = run_in_a_process
    proc = run("serve", "--host", "no-such-host.invalid", "--port", str(free_port()), timeout=60)
    one_line_error(proc, "--host: cannot listen on no-such-host.invalid:")
    assert b"serving on" not in proc.stdout


# ---------------------------------------------------------------- 8. notes of uncovered items
def test_estimate_table_shows_the_notes_of_uncovered_items(run) -> None:
    request = json.dumps({**TIANJIN, "city": "shaanxi"})
    est = json.loads(run("estimate", "-", "--json", stdin=request).stdout)
    item = est["items"][0]
    assert item["covered"] is False and len(item["notes"]) >= 2
    proc = run("estimate", "-", stdin=request)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    assert "not covered #0:" in out
    assert item["notes"][0] in out and item["notes"][1] in out
