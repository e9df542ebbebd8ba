"""Adding a policy document from the policies page: the same checks as `subsidy ingest`.

POST /policies/upload (multipart: `document`, optional `region`, `title`) stores and indexes the
document, then shows the policies page of its region with a line saying what was read. A file
the ingest refuses (unreadable, a scan, no articles) comes back as a 422 page with the reason.
Behind the login when SUBSIDY_API_KEY is set (the key middleware covers every page), and only
from our own pages (`same_origin`).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from foundation.errors import UserInputError
from knowledge.ingest.add_document import ingest_file
from subsidy.web.forms import same_origin
from subsidy.web.rendering import render_error_page

router = APIRouter(include_in_schema=False)


def _safe_name(name: str | None) -> str:
    """The uploaded file's own name (its suffix picks the reader), without any directory part."""
    base = Path(name or "document.txt").name
    return re.sub(r"[^\w.\-\u4e00-\u9fff（）()]+", "_", base)[:120] or "document.txt"


@router.post("/policies/upload")
async def upload_policy(
    request: Request,
    document: UploadFile = File(...),
    region: str = Form(""),
    title: str = Form(""),
) -> Response:

    same_origin(request)
    with tempfile.TemporaryDirectory(prefix="subsidy-upload-") as folder:
        path = Path(folder) / _safe_name(document.filename)
        path.write_bytes(await document.read())
        try:
            report = await run_in_threadpool(
                ingest_file, path, region=region.strip() or None, title=title.strip() or None
            )
        except UserInputError as err:
            return render_error_page(request, 422, str(err))
    target = f"/policies?city={quote(report.region_id)}&ingested={quote(report.document_id)}&status={report.status}"
    return RedirectResponse(target, status_code=303)
