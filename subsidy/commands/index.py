"""`subsidy index [--rebuild]`: build or update the retrieval index, with a progress bar."""

from __future__ import annotations

import typer

from subsidy.commands import settings_of


def register(app: typer.Typer) -> None:
    @app.command("index")
    def index(
        ctx: typer.Context,
        rebuild: bool = typer.Option(False, "--rebuild", help="drop the index and embed every article again"),
    ) -> None:
        """(Re)build the retrieval index: embeds new or changed articles, removes vanished ones."""
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        from knowledge.search import build_index

        err = Console(stderr=True)
        with Progress(
            TextColumn("embedding articles"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,  # the summary below says what happened
        ) as progress:
            task = progress.add_task("embed", total=None)

            def on_progress(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            report = build_index(
                settings_of(ctx).retrieval,
                rebuild=rebuild,
                progress=on_progress,
                notify=progress.console.print,
            )
        print(f"index: {report.location} · collection {report.collection} · model {report.model_id}")
        print(report.summary())
