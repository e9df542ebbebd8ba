"""The policies page's upload form: a document is ingested with the same checks as `subsidy ingest`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes import install_fake_assistant
from tests.ingest_documents import make, make_scanned_pdf
from tests.test_api import make_client


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    import knowledge.ingest.add_document as add_document

    monkeypatch.setenv("SUBSIDY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(add_document, "_index", lambda progress: 0)  # the index is tests/test_ingest.py's
    install_fake_assistant(monkeypatch)
    return make_client()


def test_the_policies_page_has_the_upload_form(client) -> None:
    page = client.get("/policies").text
    assert 'action="/policies/upload"' in page and 'enctype="multipart/form-data"' in page


def test_an_uploaded_page_is_listed_with_its_validity(client, tmp_path: Path) -> None:
    path = make("wuxi-quality-points.txt", "html", tmp_path)
    with path.open("rb") as fh:
        response = client.post(
            "/policies/upload",
            files={"document": (path.name, fh, "text/html")},
            data={"region": "无锡市"},
            follow_redirects=False,
        )
    assert response.status_code == 303
    page = client.get(response.headers["location"]).text
    assert 'id="upload-result"' in page and "已收录" in page
    assert "无锡市质量强市和标准化奖励政策" in page and "2026-06-14" in page
    with path.open("rb") as fh:
        again = client.post(
            "/policies/upload", files={"document": (path.name, fh, "text/html")}, follow_redirects=False
        )
    assert "status=unchanged" in again.headers["location"]


def test_a_scanned_pdf_is_refused_with_the_reason(client, tmp_path: Path) -> None:
    path = make_scanned_pdf(tmp_path)
    with path.open("rb") as fh:
        response = client.post("/policies/upload", files={"document": ("scan.pdf", fh, "application/pdf")})
    assert response.status_code == 422
    assert "no text layer" in response.text


def test_upload_needs_the_login_when_a_key_is_set(
    client, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from knowledge.corpus import load_documents

    locked = make_client(api_key="secret-key-for-tests")
    before = len(load_documents())
    path = make("nantong-standard-items.txt", "html", tmp_path)
    with path.open("rb") as fh:
        response = locked.post(
            "/policies/upload", files={"document": (path.name, fh, "text/html")}, follow_redirects=False
        )
    assert response.status_code == 401
    assert len(load_documents()) == before
