"""`subsidy rules install FILE`: a checked rule file goes into the data directory and its region becomes computable.

The file is checked first (calculators/rule_check.py) and refused on any problem. It is copied to
`<data dir>/rules/<city>.yaml`, where `load_city_rules` looks before the shipped files; a user
region with rules becomes a money region (estimate, compare, chat, the web pages).
"""

from __future__ import annotations

from pathlib import Path

from calculators.rule_check import CheckReport, RuleFileRejectedError, check_rule_file
from calculators.rulebook import user_rules_dir
from knowledge.ingested import mark_region_has_amounts
from knowledge.regions import resolve_region
from knowledge.user_data import mark_changed, write_atomically


def install_rule_file(path: Path) -> tuple[CheckReport, Path]:
    report = check_rule_file(path)
    if report.problems:
        more = (
            f" (and {len(report.problems) - 1} more; run `subsidy rules check`)"
            if len(report.problems) > 1
            else ""
        )
        raise RuleFileRejectedError(str(path), report.problems[0] + more)
    region = resolve_region(report.city.city, "city")
    target = user_rules_dir() / f"{region.id}.yaml"
    write_atomically(target, path.read_text("utf-8"))
    if report.city.rules:
        mark_region_has_amounts(region.id)
    mark_changed()
    return report, target
