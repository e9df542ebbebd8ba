from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "knowledge" / "seeds"

# Tests never touch the user's data dir: one throwaway SUBSIDY_DATA_DIR for the whole session
# (tests that need their own set it again with monkeypatch).
SESSION_DATA_DIR = Path(tempfile.mkdtemp(prefix="subsidy-tests-"))
os.environ["SUBSIDY_DATA_DIR"] = str(SESSION_DATA_DIR)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="session")
def seed_text() -> str:
    """All seed files, whitespace removed, for verbatim-quote checks."""
    return "".join(squash(p.read_text(encoding="utf-8")) for p in sorted(SEEDS.glob("*.txt")))
