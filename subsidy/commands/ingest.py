"""`subsidy ingest PATH`: add a new policy document (.txt, .docx, .pdf with text, .html) to the knowledge."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("ingest")
    def ingest(
        path: Path = typer.Argument(
            ..., help="the document: .txt, .docx, .pdf (with a text layer), .html/.htm"
        ),
        region: str = typer.Option(
            None,
            "--region",
            help="whose policy it is (苏州市, tianjin …); a name no region has becomes a new region. "
            "Default: the region the title or issuer names",
        ),
        title: str = typer.Option(
            None, "--title", help="the official title, when the first lines do not state it"
        ),
    ) -> None:
        """Read a policy document, store it in the data directory and index its articles.

        Title, issuer, publication date, validity (施行日期, 有效期至, 自…起施行，有效期N年) and the
        articles (第X条, 1. 2. points, （一）（二） items) are read from the text, verbatim. Re-ingesting
        the same file changes nothing; a changed file replaces the earlier version. Then
        `subsidy rules draft REGION` drafts its rules.
        """
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        from knowledge.ingest.add_document import ingest_file

        err = Console(stderr=True)
        # started on the first embedding only: a file refused up front prints its one line, nothing else
        progress = Progress(
            TextColumn("embedding new articles"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        )
        task = progress.add_task("embed", total=None)

        started: list[bool] = []

        def on_progress(done: int, total: int) -> None:
            if not started:
                progress.start()
                started.append(True)
            progress.update(task, completed=done, total=total)

        try:
            report = ingest_file(path, region=region, title=title, progress=on_progress)
        finally:
            if started:
                progress.stop()
        valid = f"{report.effective_from or '?'} .. {report.effective_to or 'no end stated'}"
        print(f"{report.status}: {report.document_id} · {report.title} · {report.region}")
        if report.status != "unchanged":
            print(f"{report.articles} articles, {report.embedded} embedded, in force {valid}")
            if report.validity_quote:
                print(f"validity: {report.validity_quote}")
            if report.new_region:
                print(f"new region {report.region} (id {report.region_id})")
            print(f"next: subsidy rules draft {report.region_id} --out {report.region_id}.yaml")
