"""The test documents of tests/data/ingest/ in the formats a consultant receives: Word, PDF, web page.

Binary formats are generated here from the committed .txt files (one paragraph a line), so the
repository holds text only. PDFs use reportlab's built-in CID font STSong-Light (no font file).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import yaml

INGEST_DATA = Path(__file__).resolve().parent / "data" / "ingest"
PDF_LINE_CHARS = 36


def expected() -> dict[str, Any]:
    return dict(yaml.safe_load((INGEST_DATA / "expected.yaml").read_text("utf-8")))


def paragraphs(name: str) -> list[str]:
    return (INGEST_DATA / name).read_text("utf-8").split("\n")


def make_docx(name: str, out: Path) -> Path:
    import docx

    document = docx.Document()
    for line in paragraphs(name):
        document.add_paragraph(line)
    path = out / (Path(name).stem + ".docx")
    document.save(str(path))
    return path


def _wrapped(line: str) -> list[str]:
    """Cut a paragraph into PDF lines, never between two digits or Latin letters."""
    out, current = [], ""
    for char in line:
        if len(current) >= PDF_LINE_CHARS and not (current[-1].isascii() and current[-1].isalnum()):
            out.append(current)
            current = ""
        current += char
    return [*out, current]


def make_pdf(name: str, out: Path) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    path = out / (Path(name).stem + ".pdf")
    pdf = canvas.Canvas(str(path), pagesize=A4)
    y = 800
    for paragraph in paragraphs(name):
        for line in _wrapped(paragraph):
            if y < 50:
                pdf.showPage()
                y = 800
            pdf.setFont("STSong-Light", 12)
            pdf.drawString(40, y, line)
            y -= 18
    pdf.save()
    return path


def make_scanned_pdf(out: Path) -> Path:
    """A PDF whose page is a picture: no text layer."""
    from reportlab.pdfgen import canvas

    path = out / "scanned.pdf"
    pdf = canvas.Canvas(str(path))
    pdf.rect(50, 50, 400, 600, fill=1)
    pdf.save()
    return path


def make_html(name: str, out: Path) -> Path:
    lines = paragraphs(name)
    body = "\n".join(f"  <p>{html.escape(line)}</p>" for line in lines if line.strip())
    page = (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>政策</title>"
        "<style>p{margin:0}</style><script>var x = 1;</script></head>\n"
        f"<body><nav>首页 > 政策文件</nav>\n<div class='article'>\n{body}\n</div>\n"
        "<footer>网站标识码 3200000000</footer></body></html>\n"
    )
    path = out / (Path(name).stem + ".html")
    path.write_text(page, encoding="utf-8")
    return path


MAKERS = {"docx": make_docx, "pdf": make_pdf, "html": make_html}


def make(name: str, kind: str, out: Path) -> Path:
    if kind == "txt":
        path = out / name
        path.write_text((INGEST_DATA / name).read_text("utf-8"), encoding="utf-8")
        return path
    return MAKERS[kind](name, out)
