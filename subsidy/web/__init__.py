"""The web pages: chat (/), estimate (/estimate, for consultants), policies, and the API reference.

Server-rendered Jinja2 (autoescaped) over the same library functions as the API; every page
works without JavaScript, and /static/app.js only makes it smoother (rows added in place, chat
turns without a reload, Enter to send). No inline script or style: the CSP forbids them.
One module per page; `rendering` holds the environment, the filters and the error page.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from subsidy.web import api_docs_page, chat_page, estimate_page, login_page, policies_page, policy_upload
from subsidy.web.rendering import PACKAGE, render_error_page


def mount(app: FastAPI) -> None:
    for page in (chat_page, estimate_page, policies_page, policy_upload, api_docs_page, login_page):
        app.include_router(page.router)
    app.mount("/static", StaticFiles(directory=PACKAGE / "static"), name="static")
    app.state.render_error_page = render_error_page
