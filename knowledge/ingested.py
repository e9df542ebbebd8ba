"""The documents and regions a user added, kept in the data directory (never in the package).

    <data dir>/policies/catalog.json    one entry per document: id, source file name, its SHA-256
    <data dir>/policies/<id>.json       the document record, its articles and its extracted text
    <data dir>/regions.yaml             regions the shipped list does not have

Every write goes through `knowledge.user_data.mark_changed`, so the corpus, the regions and
the searcher of every process see it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from knowledge.user_data import follows_user_data, mark_changed, user_data_dir, write_atomically

POLICIES_DIR = "policies"
CATALOG = "catalog.json"
REGIONS_FILE = "regions.yaml"


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    source_name: str
    source_sha256: str
    ingested_at: str


def policies_dir() -> Path:
    return user_data_dir() / POLICIES_DIR


def _document_file(doc_id: str) -> Path:
    return policies_dir() / f"{doc_id.replace('/', '_')}.json"


def catalog() -> dict[str, CatalogEntry]:
    path = policies_dir() / CATALOG
    if not path.is_file():
        return {}
    raw = json.loads(path.read_text("utf-8"))
    return {row["id"]: CatalogEntry(**row) for row in raw.get("documents", [])}


def _write_catalog(entries: dict[str, CatalogEntry]) -> None:
    rows = [entry.__dict__ for entry in sorted(entries.values(), key=lambda e: e.id)]
    write_atomically(
        policies_dir() / CATALOG, json.dumps({"documents": rows}, ensure_ascii=False, indent=1) + "\n"
    )


@follows_user_data
def ingested_documents() -> tuple[tuple[dict[str, Any], list[dict[str, Any]]], ...]:
    """(document record, its articles) of every ingested document, in the catalog's order."""
    out = []
    for doc_id in catalog():
        path = _document_file(doc_id)
        if path.is_file():
            raw = json.loads(path.read_text("utf-8"))
            out.append((raw["document"], raw["articles"]))
    return tuple(out)


def ingested_text(doc_id: str) -> str:
    """The extracted text of an ingested document (what its quotes are checked against)."""
    return str(json.loads(_document_file(doc_id).read_text("utf-8"))["text"])


def save_document(
    entry: CatalogEntry, document: dict[str, Any], articles: list[dict[str, Any]], text: str
) -> None:
    body = {"document": document, "articles": articles, "text": text}
    write_atomically(_document_file(entry.id), json.dumps(body, ensure_ascii=False, indent=1) + "\n")
    entries = catalog()
    entries[entry.id] = entry
    _write_catalog(entries)
    mark_changed()


def remove_document(doc_id: str) -> bool:
    entries = catalog()
    if doc_id not in entries:
        return False
    del entries[doc_id]
    _write_catalog(entries)
    _document_file(doc_id).unlink(missing_ok=True)
    mark_changed()
    return True


# ---- regions -----------------------------------------------------------------------------


def user_region_rows() -> list[dict[str, Any]]:
    path = user_data_dir() / REGIONS_FILE
    if not path.is_file():
        return []
    return list(yaml.safe_load(path.read_text("utf-8")) or [])


def save_user_region(row: dict[str, Any]) -> None:
    """Add or replace one region (same keys as knowledge/data/regions.yaml)."""
    rows = [r for r in user_region_rows() if r["id"] != row["id"]] + [row]
    text = "# Regions added by `subsidy ingest --region` (same format as knowledge/data/regions.yaml).\n"
    text += yaml.safe_dump(rows, allow_unicode=True, sort_keys=False)
    write_atomically(user_data_dir() / REGIONS_FILE, text)
    mark_changed()


def mark_region_has_amounts(region_id: str) -> None:
    """A user region becomes a money region once a rule file with amounts is installed for it."""
    for row in user_region_rows():
        if row["id"] == region_id and not row.get("has_amounts"):
            save_user_region({**row, "has_amounts": True})
