"""The plain text of a policy document as a consultant receives it: .txt, .docx, .pdf (with a text
layer) or a saved web page (.html / .htm). One line per paragraph; nothing is reworded, so
quotes taken from the text stay verbatim."""

from __future__ import annotations

import re
from pathlib import Path

from foundation.errors import UserInputError

SUFFIXES = (".txt", ".docx", ".pdf", ".html", ".htm")
MIN_TEXT_CHARS = 20  # less than this from a PDF: pages are images (a scan), not text
BLOCK_TAGS = ("p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "table")


class UnreadableDocumentError(UserInputError):
    """The file cannot be read as a policy document (missing, damaged, a scan, an unknown format)."""


def extract_text(path: Path) -> str:
    name = path.name
    if not path.is_file():
        raise UnreadableDocumentError(name, "no such file")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise UnreadableDocumentError(
            name, f"cannot read {suffix or 'a file without suffix'} files", allowed=list(SUFFIXES)
        )
    try:
        if suffix == ".txt":
            text = _plain(path.read_bytes())
        elif suffix == ".docx":
            text = _docx(path)
        elif suffix == ".pdf":
            text = _pdf(path)
        else:
            text = _html(_plain(path.read_bytes()))
    except UnreadableDocumentError:
        raise
    except Exception as err:  # a damaged file: python-docx / pypdf raise many kinds
        raise UnreadableDocumentError(name, f"unreadable {suffix} file ({type(err).__name__})") from None
    text = tidy(text)
    if suffix == ".pdf" and len(re.sub(r"\s+", "", text)) < MIN_TEXT_CHARS:
        raise UnreadableDocumentError(
            name,
            "the PDF has no text layer (a scanned document?): run OCR on it or ingest a Word/text version",
        )
    if not text.strip():
        raise UnreadableDocumentError(name, "the file holds no text")
    return text


def tidy(text: str) -> str:
    """Unix line ends, no trailing spaces, no runs of more than one blank line."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    out: list[str] = []
    for line in lines:
        if not line.strip() and (not out or not out[-1].strip()):
            continue
        out.append(line.replace("\u3000", " ").strip() if not line.strip() else line.replace("\xa0", " "))
    return "\n".join(out).strip() + "\n"


def _plain(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableDocumentError("file", "neither UTF-8 nor GB18030 text")


def _docx(path: Path) -> str:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(str(path))
    lines: list[str] = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(Paragraph(child, document).text)
        elif tag == "tbl":
            for row in Table(child, document).rows:
                lines.append("\t".join(cell.text for cell in row.cells))
    return "\n".join(lines)


def _pdf(path: Path) -> str:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def _html(markup: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup(["script", "style", "noscript", "head", "nav", "footer"]):
        tag.decompose()
    for string in list(soup.find_all(string=True)):  # the source's own line breaks are layout, not text
        if "\n" in string:
            string.replace_with(re.sub(r"\s*\n\s*", "", str(string)))
    for tag in soup.find_all(BLOCK_TAGS):
        tag.insert_after("\n")
        if tag.name == "br":
            tag.replace_with("\n")
    return soup.get_text()
