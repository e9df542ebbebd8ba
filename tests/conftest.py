from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "knowledge" / "seeds"


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="session")
def seed_text() -> str:
    """All seed files, whitespace removed, for verbatim-quote checks."""
    return "".join(squash(p.read_text(encoding="utf-8")) for p in sorted(SEEDS.glob("*.txt")))
