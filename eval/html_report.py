"""A self-contained HTML report (no external assets) with the same tables as the terminal."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape


def render_html(report: dict[str, Any]) -> str:
    env = Environment(loader=PackageLoader("prompts", "."), autoescape=select_autoescape(["html", "j2"]))
    return env.get_template("eval_report.html.j2").render(report=report)
