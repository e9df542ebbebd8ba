from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes import FakeAssistant, install_fake_assistant, install_fake_search
from tests.postgres_cluster import Cluster, start_cluster

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "knowledge" / "seeds"

# Tests never touch the user's data dir: one throwaway SUBSIDY_DATA_DIR for the whole session
# (tests that need their own set it again with monkeypatch).
SESSION_DATA_DIR = Path(tempfile.mkdtemp(prefix="subsidy-tests-"))
os.environ["SUBSIDY_DATA_DIR"] = str(SESSION_DATA_DIR)
# ... nor the user's database: the embedded SQLite file unless a test names a database
os.environ.pop("SUBSIDY_DATABASE_URL", None)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="session")
def seed_text() -> str:
    """All seed files, whitespace removed, for verbatim-quote checks."""
    return "".join(squash(p.read_text(encoding="utf-8")) for p in sorted(SEEDS.glob("*.txt")))


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """One throwaway PostgreSQL server for the test session (tests/postgres_cluster.py)."""
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        from assistant import store

        store.forget_engines()
        cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster: Cluster) -> str:
    """A new empty database on that server, for this test alone."""
    return postgres_cluster.create_database()


@pytest.fixture
def fake_assistant(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeAssistant:
    """The deterministic stand-in chat assistant (tests/fakes.py), sessions in tmp_path."""
    monkeypatch.setenv("SUBSIDY_DATA_DIR", str(tmp_path))
    return install_fake_assistant(monkeypatch)


@pytest.fixture
def fake_search(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int, str | None, bool]]:
    """The two-hit stand-in search (tests/fakes.py); its calls."""
    return install_fake_search(monkeypatch)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def session_store(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[str]:
    """A fresh, empty session store of each kind, in force for this test: its SQLAlchemy URL."""
    from assistant import sessions, store

    monkeypatch.setenv("SUBSIDY_DATA_DIR", str(tmp_path / "data"))
    if request.param == "postgresql":
        monkeypatch.setenv("SUBSIDY_DATABASE_URL", request.getfixturevalue("postgres_url"))
    else:
        monkeypatch.delenv("SUBSIDY_DATABASE_URL", raising=False)
    yield sessions.database_url()
    store.forget_engines()
