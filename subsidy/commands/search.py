"""`subsidy search "QUERY" [--k 5] [--city C] [--json]`: hybrid retrieval over the policy corpus."""

from __future__ import annotations

import json
import sys
from typing import Any

import typer

from foundation.limits import MAX_QUERY_CHARS
from subsidy.commands import settings_of


def _print_table(query: str, hits: list[Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not hits:
        console.print(f"no article matches {query!r}")
        return
    table = Table(title=f"search: {query}", show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("score", justify="right")
    table.add_column("city")
    table.add_column("document", overflow="fold", max_width=28)
    table.add_column("article", no_wrap=True)
    table.add_column("text", overflow="fold")
    for rank, hit in enumerate(hits, 1):
        text = " ".join(hit.text.split())
        table.add_row(
            str(rank),
            f"{hit.score:.3f}",
            hit.city,
            hit.document,
            hit.article,
            text if len(text) <= 220 else text[:220] + "…",
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    @app.command("search")
    def search(
        ctx: typer.Context,
        query: str = typer.Argument(
            ..., help=f"what to look for, in plain Chinese (at most {MAX_QUERY_CHARS:,} characters)"
        ),
        k: int = typer.Option(5, "--k", help="number of hits, at least 1; more than 50 is cut to 50"),
        city: str = typer.Option(
            None, "--city", help="only this region's documents (天津, tianjin, 广州开发区 …)"
        ),
        with_national: bool = typer.Option(
            False, "--with-national", help="with --city: national documents too"
        ),
        as_json: bool = typer.Option(False, "--json", help="print the hits as a JSON list"),
    ) -> None:
        """Hybrid retrieval (BM25 + embeddings) over the policy articles."""
        from knowledge.search import Retriever, clamp_k, clean_query, resolve_city

        # check the input before loading any model or index: mistakes fail fast
        clean_query(query)
        clamp_k(k, "--k")
        resolve_city(city, "--city")
        retriever = Retriever(settings_of(ctx).retrieval)
        hits = retriever.search(query, k=k, city=city, include_national=with_national)
        if as_json:
            data = [hit.model_dump(mode="json") for hit in hits]
            sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=1) + "\n")
        else:
            _print_table(query.strip(), hits)
