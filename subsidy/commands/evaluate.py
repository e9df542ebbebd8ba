"""`subsidy eval`: run the gold cases (calc, chat, retrieval) and print a report."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import typer

from foundation.errors import UserInputError

SUITE_CHOICES = ("calc", "chat", "retrieval", "all")


def _print_report(report: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title="suites")
    for col in ("suite", "total", "passed", "failed", "score", "seconds"):
        table.add_column(col)
    for name, s in report["suites"].items():
        score = s.get("accuracy", s.get("recall_at_5"))
        table.add_row(
            name,
            str(s["total"]),
            str(s["passed"]),
            str(s["failed"]),
            f"{score:.3f}",
            str(report["seconds"][name]),
        )
    console.print(table)
    methods = report["suites"].get("retrieval", {}).get("methods")
    if methods:
        mt = Table(title="retrieval by method")
        for col in ("method", "Recall@1", "Recall@5", "MRR"):
            mt.add_column(col)
        for m, v in methods.items():
            mt.add_row(m, f"{v['recall_at_1']:.3f}", f"{v['recall_at_5']:.3f}", f"{v['mrr']:.3f}")
        console.print(mt)
    by_intent = report["suites"].get("chat", {}).get("by_intent")
    if by_intent:
        it = Table(title="chat cases by intent")
        for col in ("intent", "total", "passed", "failed", "accuracy"):
            it.add_column(col)
        for name, v in by_intent.items():
            it.add_row(name, str(v["total"]), str(v["passed"]), str(v["failed"]), f"{v['accuracy']:.3f}")
        console.print(it)
    if report.get("by_group"):
        gt = Table(title="calc cases by city × achievement type")
        for col in ("city", "types", "passed", "failed"):
            gt.add_column(col)
        for key, v in report["by_group"].items():
            city, types = key.split("|", 1)
            gt.add_row(city, types, str(v["passed"]), f"[red]{v['failed']}[/red]" if v["failed"] else "0")
        console.print(gt)
    for f in report["failures"]:
        console.print(f"[red]FAIL[/red] {f['suite']} {f['id']}: expected {f['expected']} — got {f['got']}")


def _load_report(path: str) -> dict:
    """A Report written by `eval --json`/`--out`; anything else is one line naming the file."""
    from eval.runner import report_problem

    p = Path(path)
    if p.is_dir():
        raise UserInputError("--diff", f"{path} is a directory, not a report file")
    if not p.is_file():
        raise UserInputError("--diff", f"no such report file: {path}")
    try:
        data = json.loads(p.read_bytes().decode("utf-8-sig"))
    except OSError as err:
        raise UserInputError("--diff", f"cannot read {path} ({err.strerror or err})") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise UserInputError("--diff", f"{path} is not a JSON report") from None
    problem = report_problem(data)
    if problem:
        raise UserInputError("--diff", f"{path}: {problem}")
    return data


def _case_files(given: list[str] | None) -> list[Path] | None:
    """The .jsonl files named, a folder standing for the ones in it; one line for a wrong path."""
    if not given:
        return None
    files: list[Path] = []
    for raw in given:
        path = Path(raw)
        if path.is_dir():
            found = sorted(path.glob("*.jsonl"))
            if not found:
                raise UserInputError("--cases", f"{raw}: no .jsonl case files in this folder")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise UserInputError("--cases", f"no such file or folder: {raw}")
    return files


def _check_writable(path: str, option: str) -> None:
    """Fail before a long run, not after it, when the report cannot be written to `path`."""
    p = Path(path)
    if p.is_dir():
        raise UserInputError(option, f"{path} is a directory; give a file name")
    if not p.parent.is_dir():
        raise UserInputError(option, f"cannot write {path} (no such directory: {p.parent})")
    existed = p.exists()
    try:
        with p.open("a", encoding="utf-8"):  # appends nothing: an existing file is left as it is
            pass
    except OSError as err:
        raise UserInputError(option, f"cannot write {path} ({err.strerror or err})") from None
    if not existed:
        with contextlib.suppress(OSError):
            p.unlink()


def register(app: typer.Typer) -> None:
    @app.command("eval")
    def eval_command(
        suite: str = typer.Option("all", "--suite", help="calc | chat | retrieval | all"),
        as_json: bool = typer.Option(False, "--json", help="print the Report as JSON"),
        html: str = typer.Option(None, "--html", help="also write a self-contained HTML report to this file"),
        out: str = typer.Option(None, "--out", help="also write the JSON report to this file"),
        url: str = typer.Option(
            None, "--url", help="evaluate a running server at this base URL instead of in-process"
        ),
        diff: str = typer.Option(
            None, "--diff", help="OLD.json NEW.json: list the cases that changed outcome"
        ),
        diff_new: str = typer.Argument(
            None, metavar="[NEW.json]", help="the newer report, with --diff OLD.json"
        ),
        cases: list[str] = typer.Option(
            None,
            "--cases",
            help="case files or folders to run instead of the shipped cases (repeatable), "
            "e.g. --cases eval/heldout",
        ),
        min_chat: float = typer.Option(0.95, "--min-chat", help="chat accuracy threshold"),
        min_retrieval: float = typer.Option(0.95, "--min-retrieval", help="retrieval Recall@5 threshold"),
    ) -> None:
        """Run the evaluation suite; exit non-zero when a calc case fails or chat/retrieval fall under their thresholds."""
        if diff or diff_new:
            from eval.runner import diff_reports

            if not (diff and diff_new):
                raise UserInputError("--diff", "needs two reports: --diff OLD.json NEW.json")
            changes = diff_reports(_load_report(diff), _load_report(diff_new))
            if as_json:
                sys.stdout.write(json.dumps(changes, ensure_ascii=False, indent=1) + "\n")
            else:
                for c in changes:
                    print(f"{c['change']:<28} {c['suite']} {c['id']}: {c['detail']}")
                print(f"{len(changes)} case(s) changed outcome")
            return
        if suite not in SUITE_CHOICES:
            raise UserInputError("--suite", f"unknown suite {suite!r}", allowed=list(SUITE_CHOICES))
        if out:
            _check_writable(out, "--out")
        if html:
            _check_writable(html, "--html")
        from eval.runner import below_threshold, run_suites

        report = run_suites(
            suite, url=url, progress=lambda m: print(m, file=sys.stderr), case_files=_case_files(cases)
        )
        if as_json:
            sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=1) + "\n")
        else:
            _print_report(report)
        if out:
            Path(out).write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        if html:
            from eval.html_report import render_html

            Path(html).write_text(render_html(report), encoding="utf-8")
            print(f"HTML report written to {html}", file=sys.stderr)
        problems = below_threshold(report, {"calc": 1.0, "chat": min_chat, "retrieval": min_retrieval})
        if problems:
            print("eval below threshold: " + "; ".join(problems), file=sys.stderr)
            raise typer.Exit(1)
