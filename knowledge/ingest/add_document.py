"""`subsidy ingest PATH`: read a new policy document, store it in the data directory, index its articles.

Re-ingesting the same file (same bytes) changes nothing; a changed file with the same name and
region, or the same title, replaces the earlier version (its articles are re-embedded, vanished
ones leave the index). The region is the one named by `--region`, else the one the title or
issuer names; a name no region has becomes a new region.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from foundation.errors import UnknownCityError, UserInputError
from foundation.settings import Settings
from knowledge.corpus import INGESTED_SEED_PREFIX, Document, article_row, articles_of, document, document_row
from knowledge.ingest.extract_text import extract_text
from knowledge.ingest.read_document import ReadDocument, read_document
from knowledge.ingested import CatalogEntry, catalog, save_document, save_user_region
from knowledge.regions import Region, all_regions, resolve_region
from knowledge.search import Searcher, reset_searcher
from knowledge.vector_store import Progress

Status = Literal["added", "replaced", "unchanged"]
PLACE_PREFIX = re.compile(r"^[\u4e00-\u9fff]{2,5}?(?:省|市|区|县)")  # 南通市标准化… → 南通市
REGION_SUFFIXES = ("自治州", "地区", "新区", "省", "市", "区", "县", "盟")


@dataclass(frozen=True)
class IngestReport:
    document_id: str
    title: str
    region_id: str
    region: str
    status: Status
    articles: int
    effective_from: dt.date | None
    effective_to: dt.date | None
    validity_quote: str | None
    embedded: int = 0  # articles embedded into the index by this call
    seconds: float = 0.0
    new_region: bool = False


def ingest_file(
    path: Path,
    *,
    region: str | None = None,
    title: str | None = None,
    index: bool = True,
    progress: Progress | None = None,
) -> IngestReport:
    started = time.perf_counter()
    raw = path.read_bytes() if path.is_file() else b""
    text = extract_text(path)  # refuses a missing, damaged or scanned file first
    digest = hashlib.sha256(raw).hexdigest()
    known = catalog()
    for entry in known.values():
        if entry.source_sha256 == digest:
            return _unchanged(entry.id, started)
    guess = read_document(text, "probe", source_name=path.name, title=title)
    place, new_region = _region(region, guess)
    doc_id = _document_id(known, place, path.name, guess.title)
    read = read_document(text, doc_id, source_name=path.name, title=title)
    status: Status = "replaced" if doc_id in known else "added"
    record = _record(doc_id, read, place, path.name)
    if new_region:
        save_user_region(
            {
                "id": place.id,
                "name": place.name,
                "level": place.level,
                "province": place.province,
                "aliases": list(place.aliases),
                "has_amounts": False,
            }
        )
    entry = CatalogEntry(doc_id, path.name, digest, dt.datetime.now().isoformat(timespec="seconds"))
    save_document(entry, document_row(record), [article_row(a) for a in read.articles], text)
    embedded = _index(progress) if index else 0
    return IngestReport(
        document_id=doc_id,
        title=read.title,
        region_id=place.id,
        region=place.name,
        status=status,
        articles=len(read.articles),
        effective_from=read.effective_from,
        effective_to=read.effective_to,
        validity_quote=read.validity_quote,
        embedded=embedded,
        seconds=time.perf_counter() - started,
        new_region=new_region,
    )


def _unchanged(doc_id: str, started: float) -> IngestReport:

    doc = document(doc_id)
    return IngestReport(
        document_id=doc_id,
        title=doc.title,
        region_id=doc.region_id or "",
        region=doc.region,
        status="unchanged",
        articles=len(articles_of(doc_id)),
        effective_from=doc.effective_from,
        effective_to=doc.effective_to,
        validity_quote=doc.validity_quote,
        seconds=time.perf_counter() - started,
    )


def _region(named: str | None, read: ReadDocument) -> tuple[Region, bool]:
    """The region `--region` names (a new one if no region has that name), else the one the title names."""
    if named is not None and named.strip():
        try:
            return resolve_region(named, "--region"), False
        except UnknownCityError:
            return new_region(named.strip()), True
    spellings = sorted(
        ((alias, r) for r in all_regions() for alias in (r.name, *r.aliases) if len(alias) >= 2),
        key=lambda pair: -len(pair[0]),
    )
    for place_text in (read.title, read.issuer or ""):
        for alias, found in spellings:
            if alias in place_text:
                return found, False
    if m := PLACE_PREFIX.match(read.title):
        return new_region(m.group(0)), True
    raise UserInputError("--region", f"which region is {read.title!r} for? say it with --region NAME")


def new_region(name: str) -> Region:
    """A region the shipped list does not have: its id is the name's ASCII slug, or the name itself."""
    if len(name) > 40 or not re.fullmatch(r"[\w\-\u4e00-\u9fff（）()]+", name):
        raise UserInputError("--region", f"not a region name: {name!r}")
    short = name
    for suffix in REGION_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            short = name[: -len(suffix)]
            break
    region_id = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") if name.isascii() else short
    aliases = tuple(dict.fromkeys(a for a in (short, name) if a != region_id or not name.isascii()))
    return Region(id=region_id, name=name, level="city", province="", has_amounts=False, aliases=aliases)


def _document_id(known: dict[str, CatalogEntry], place: Region, source_name: str, title: str) -> str:
    """The earlier version's id (same file name in the same region, or same title), else a new one."""
    digest = hashlib.sha1(title.encode()).hexdigest()[:8]
    by_title = f"{place.id}-{digest}"
    for entry in known.values():
        if entry.id == by_title or (entry.source_name == source_name and entry.id.startswith(f"{place.id}-")):
            return entry.id
    return by_title


def _record(doc_id: str, read: ReadDocument, place: Region, source_name: str) -> Document:
    return Document(
        id=doc_id,
        title=read.title,
        seed=f"{INGESTED_SEED_PREFIX}{source_name}",
        part=None,
        toc_number=None,
        in_toc=False,
        region=place.name,
        region_id=place.id,
        issuer=read.issuer,
        published=read.published,
        effective_from=read.effective_from,
        effective_to=read.effective_to,
        validity_quote=read.validity_quote,
        has_amounts=read.has_amounts,
        note=f"ingested from {source_name}",
        same_text_as=None,
        draft=read.draft,
        line_start=1,
        line_end=len(read.lines) - 1,
    )


def _index(progress: Progress | None) -> int:
    """Bring the retrieval index up to date: only new or changed articles are embedded."""

    report = Searcher(Settings.from_env().retrieval, sync=False).build(progress=progress)
    reset_searcher()
    return report.embedded - report.from_shipped
