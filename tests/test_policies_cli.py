"""`subsidy policies` end to end, through the console entry point's `main()` in process."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from knowledge import corpus
from tests.cli_in_process import run_cli

ROOT = Path(__file__).resolve().parents[1]

CONTRACT_FIELDS = {
    "id",
    "title",
    "region",
    "published",
    "effective_from",
    "effective_to",
    "status",
    "has_amounts",
}
STATUSES = {"in_force", "expired", "not_yet_in_force"}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(["policies", *args], env={"COLUMNS": "250", "NO_COLOR": "1"})


def policies(*args: str) -> list[dict]:
    result = run(*args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_json_lists_every_document_with_the_contract_fields():
    rows = policies("--as-of", "2022-06-01")
    assert [r["id"] for r in rows] == [d.id for d in corpus.load_documents()]
    for row in rows:
        assert set(row) >= CONTRACT_FIELDS, row["id"]
        assert row["status"] in STATUSES
        assert isinstance(row["has_amounts"], bool)
        for key in ("published", "effective_from", "effective_to"):
            assert row[key] is None or len(row[key]) == 10
    assert len({r["id"] for r in rows}) == len(rows)


def test_city_and_date_filter():
    rows = {r["id"]: r for r in policies("--city", "天津", "--as-of", "2022-06-01")}
    assert set(rows) == {"tianjin-leader-action-plan", "tianjin-subsidy-measures"}
    tianjin = rows["tianjin-subsidy-measures"]
    assert tianjin["status"] == "in_force"
    assert (tianjin["region"], tianjin["published"], tianjin["effective_to"]) == (
        "天津市",
        "2021-07-30",
        "2024-08-28",
    )
    assert tianjin["has_amounts"] is True


@pytest.mark.parametrize(
    ("as_of", "status"),
    [("2021-08-28", "not_yet_in_force"), ("2024-08-28", "in_force"), ("2024-08-29", "expired")],
)
def test_status_follows_as_of(as_of, status):
    rows = {r["id"]: r for r in policies("--city", "tianjin", "--as-of", as_of)}
    assert rows["tianjin-subsidy-measures"]["status"] == status


def test_city_spellings_resolve_to_the_same_documents():
    ids = [r["id"] for r in policies("--city", "广州开发区", "--as-of", "2021-01-01")]
    assert ids == ["huangpu-quality-fund-measures"]
    assert [r["region"] for r in policies("--city", "黄埔", "--as-of", "2021-01-01")] == ["广州市黄埔区"]


def test_table_output():
    result = run("--city", "tianjin", "--as-of", "2022-06-01")
    assert result.returncode == 0, result.stderr
    assert "tianjin-subsidy-measures" in result.stdout
    assert "in_force" in result.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--as-of", "2022-13-40"), ["--as-of", "2022-13-40", "YYYY-MM-DD"]),
        (("--city", "atlantis"), ["--city", "atlantis", "tianjin", "guangzhou-huangpu"]),
    ],
)
def test_bad_input_is_one_line_without_traceback(args, words):
    result = run(*args)
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0]
