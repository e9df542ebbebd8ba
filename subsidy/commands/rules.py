"""`subsidy rules`: the calculators' rules; `--coverage` accounts for every amount in the money documents.

`subsidy rules draft REGION`, `subsidy rules check FILE` and `subsidy rules install FILE` turn an
ingested document into rules the calculators use (calculators/draft.py, rule_check.py, install_rules.py).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    rules_app = typer.Typer(
        help="List the calculators' rules; draft, check and install a rule file for an ingested document.",
        no_args_is_help=False,
    )
    app.add_typer(rules_app, name="rules")
    register_subcommands(rules_app)

    @rules_app.callback(invoke_without_command=True)
    def rules_command(
        ctx: typer.Context,
        city: str = typer.Option(None, "--city", help="only this city (name or id)"),
        coverage: bool = typer.Option(
            False,
            "--coverage",
            help="list every amount found in the money documents and the rule that encodes it",
        ),
        as_json: bool = typer.Option(False, "--json", help="print JSON"),
        schema: bool = typer.Option(
            False, "--schema", help="print the JSON Schema of a rule file (calculators/rules/schema.json)"
        ),
    ) -> None:
        """List the rules of the calculators, or (--coverage) check that every amount in the texts is encoded."""
        if ctx.invoked_subcommand is not None:
            return
        from rich.console import Console
        from rich.table import Table

        from calculators.rulebook import all_city_rules
        from knowledge.regions import resolve_region

        if schema:
            from calculators.rulebook import rule_file_json_schema

            sys.stdout.write(json.dumps(rule_file_json_schema(), ensure_ascii=False, indent=1) + "\n")
            return
        only = resolve_region(city).id if city else None
        console = Console()
        if coverage:
            from calculators.coverage import amount_coverage, inexpressible_clauses

            mentions = [m for m in amount_coverage() if only is None or m.city == only]
            clauses = [c for c in inexpressible_clauses() if only is None or c.city == only]
            if as_json:
                report = {
                    "amounts": [m.__dict__ for m in mentions],
                    "inexpressible": [c.__dict__ for c in clauses],
                }
                sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=1, default=list) + "\n")
            else:
                table = Table(title="amounts in the money documents")
                for col in ("city", "amount", "context", "accounted by"):
                    table.add_column(col)
                for m in mentions:
                    table.add_row(
                        m.city, m.amount, m.context, "; ".join(m.accounted_by) or "[red]UNACCOUNTED[/red]"
                    )
                console.print(table)
                gaps = Table(title="money clauses the engine cannot express yet")
                for col in ("city", "article", "clause", "why not"):
                    gaps.add_column(col)
                for c in clauses:
                    gaps.add_row(c.city, c.article, c.quote, c.reason)
                console.print(gaps)
            done = sum(1 for m in mentions if m.accounted_by)
            share = done / len(mentions) if mentions else 1.0
            print(f"{done} of {len(mentions)} amounts accounted for ({share:.1%})", file=sys.stderr)
            print(
                f"{len(clauses)} money clauses the engine cannot express yet (listed with why)",
                file=sys.stderr,
            )
            return
        rows = [
            {
                "id": r.id,
                "article": r.article,
                "amount_yuan": r.amount_yuan,
                "derive": f"{r.factor} × {r.derive_from}" if r.derive_from else None,
                "basis": r.basis or None,
                "quote": r.quote,
            }
            for c in all_city_rules()
            if only is None or c.city == only
            for r in c.rules
        ]
        if as_json:
            sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1) + "\n")
            return
        table = Table(title="calculator rules")
        for col in ("id", "article", "amount (元)", "basis"):
            table.add_column(col)
        for row in rows:
            amount = f"{row['amount_yuan']:,}" if row["amount_yuan"] is not None else row["derive"]
            table.add_row(str(row["id"]), str(row["article"]), str(amount), str(row["basis"] or ""))
        console.print(table)


def register_subcommands(rules_app: typer.Typer) -> None:
    @rules_app.command("draft")
    def draft(
        region: str = typer.Argument(..., help="the region of the ingested documents (苏州市, its id …)"),
        out: Path = typer.Option(None, "--out", help="write the draft here (default: print it)"),
    ) -> None:
        """Draft a rule file from a region's documents: one rule per money clause, each marked `review: needed`."""
        from calculators.draft import draft_rule_file, render_draft

        raw = draft_rule_file(region)
        text = render_draft(raw)
        if out is None:
            sys.stdout.write(text)
            return
        out.write_text(text, encoding="utf-8")
        print(
            f"wrote {out}: {len(raw['rules'])} rules, {len(raw.get('caps', []))} caps, "
            f"{len(raw.get('inexpressible', []))} clauses to write by hand; review it, then "
            f"`subsidy rules check {out}`",
            file=sys.stderr,
        )

    @rules_app.command("check")
    def check(file: Path = typer.Argument(..., help="a rule file (YAML)")) -> None:
        """Check a rule file against its documents: verbatim quotes, amounts and factors as quoted, known values."""
        from calculators.rule_check import RuleFileRejectedError, check_rule_file

        report = check_rule_file(file)
        for problem in report.problems:
            print(problem)
        if report.to_review:
            print(f"{report.to_review} rules and caps still marked review: needed", file=sys.stderr)
        if report.problems:
            raise RuleFileRejectedError(str(file), f"{len(report.problems)} problems (listed above)")
        print(f"{file}: {len(report.city.rules)} rules, {len(report.city.caps)} caps: all quotes verbatim")

    @rules_app.command("install")
    def install(file: Path = typer.Argument(..., help="a checked rule file (YAML)")) -> None:
        """Install a rule file into the data directory: its region becomes computable (estimate, compare, chat, web)."""
        from calculators.install_rules import install_rule_file

        report, target = install_rule_file(file)
        print(f"installed {target}: {len(report.city.rules)} rules for {report.city.city}")
        if report.to_review:
            print(f"note: {report.to_review} rules and caps are still marked review: needed", file=sys.stderr)
