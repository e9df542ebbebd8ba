"""Chroma server mode (CHROMA_HOST / CHROMA_PORT) against a real `chroma run` on 127.0.0.1."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from foundation.settings import Settings
from knowledge.corpus import load_articles
from knowledge.search import Searcher

# Starts a Chroma server process.
pytestmark = pytest.mark.integration

CHROMA = Path(sys.executable).with_name("chroma")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(port: int, process: subprocess.Popen, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        for path in ("/api/v2/heartbeat", "/api/v1/heartbeat"):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as response:
                    if response.status == 200:
                        return True
            except OSError:
                pass
        time.sleep(0.3)
    return False


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    executable = str(CHROMA) if CHROMA.exists() else shutil.which("chroma")
    if not executable:
        pytest.skip("the `chroma` command (installed by chromadb) is not available")
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    log = (path.parent / "chroma-server.log").open("wb")
    try:
        process = subprocess.Popen(
            [executable, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    except OSError as err:
        pytest.skip(f"cannot start `chroma run`: {err}")
    try:
        if not wait_until_up(port, process):
            pytest.skip(f"`chroma run` did not come up on 127.0.0.1:{port} within 60 s")
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_index_and_search_through_a_chroma_server(
    chroma_server: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import chromadb

    monkeypatch.setenv("SUBSIDY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("CHROMA_PORT", str(chroma_server))
    settings = Settings.from_env().retrieval
    assert settings.uses_server and settings.chroma_port == chroma_server

    articles = [a for a in load_articles() if a.document_id == "weihai-subsidy-measures"]
    searcher = Searcher(settings, articles=articles, notify=lambda m: None)
    assert searcher.store.count() == len(articles)
    assert searcher.build().unchanged == len(articles)  # idempotent on the server too
    assert not (tmp_path / "chroma").exists()  # nothing written locally

    hits = searcher.search("威海主持制定国家标准资助多少", k=3)
    assert "weihai-subsidy-measures#6" in [h.article_id for h in hits]

    client = chromadb.HttpClient(host="127.0.0.1", port=chroma_server)
    names = [c if isinstance(c, str) else c.name for c in client.list_collections()]
    assert searcher.store.name in names
    stored = client.get_collection(searcher.store.name).get(ids=["weihai-subsidy-measures#6"])
    assert stored["metadatas"][0]["region_id"] == "weihai"
