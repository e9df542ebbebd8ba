"""Form posts: reading an urlencoded body and making sure it came from one of our own pages."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from fastapi import HTTPException, Request

CROSS_SITE_REFUSED = "cross-site form post refused"


async def form_fields(request: Request) -> dict[str, str]:
    """An urlencoded form body as {name: last value} (no multipart parser needed)."""
    if "application/x-www-form-urlencoded" not in request.headers.get("content-type", ""):
        return {}
    body = (await request.body()).decode("utf-8", errors="replace")
    return {key: values[-1] for key, values in parse_qs(body, keep_blank_values=True).items()}


def same_origin(request: Request) -> None:
    """Form posts must come from our own pages (the cookie is SameSite=Lax; this is a second lock).

    A browser's `Sec-Fetch-Site: same-origin` is trusted as is: a page cannot forge it, and a
    browser may still send `Origin: null` on a same-origin post (a stricter Referrer-Policy, a
    privacy setting). Refused: a browser saying the post comes from another site (cross-site,
    same-site), an Origin that is not this host, and the opaque `Origin: null` without that
    vouching (sandboxed frames, file: pages, data: URLs). A request with neither header (curl,
    old browsers) passes.
    """
    fetch_site = request.headers.get("sec-fetch-site", "").strip().lower()
    if fetch_site == "same-origin":
        return
    if fetch_site in ("cross-site", "same-site"):
        raise HTTPException(status_code=403, detail=CROSS_SITE_REFUSED)
    origin = request.headers.get("origin")
    if origin is None:
        return
    if origin.strip().lower() == "null" or urlsplit(origin).netloc != request.headers.get("host"):
        raise HTTPException(status_code=403, detail=CROSS_SITE_REFUSED)
