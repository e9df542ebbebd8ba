"""`subsidy rules check FILE`: a user's rule file against the text of its documents (shipped or ingested).

The same checks the shipped files pass in the tests: every quote is a verbatim span of its
document (whitespace may differ), every `quote_amount` lies inside its quote and states exactly
`amount_yuan`, every `quote_factor` states `derive.factor`, and every `when` uses the types and
values of calculators/achievement_types.yaml.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from calculators.achievement_types import achievement_types
from calculators.amounts import parse_amount_yuan, parse_percent
from calculators.rulebook import CityRules, RuleFileError, parse_city_file
from foundation.errors import UserInputError
from foundation.text import squash
from knowledge.corpus import document_text, load_documents


class RuleFileRejectedError(UserInputError):
    """A user's rule file does not load, or fails a check against its documents."""


@dataclass(frozen=True)
class CheckReport:
    city: CityRules
    problems: tuple[str, ...]
    to_review: int  # rules and caps still marked `review: needed`


def load_user_file(path: Path) -> CityRules:
    if not path.is_file():
        raise RuleFileRejectedError(str(path), "no such file")
    try:
        return parse_city_file(path.read_text("utf-8"), path.name)
    except (RuleFileError, UnicodeDecodeError) as err:
        raise RuleFileRejectedError(str(path), str(err)) from None


def check_rule_file(path: Path) -> CheckReport:
    city = load_user_file(path)
    known = {doc.id for doc in load_documents()}
    texts: dict[str, str] = {}
    problems: list[str] = []

    def text_of(doc_id: str) -> str | None:
        if doc_id not in known:
            return None
        if doc_id not in texts:
            texts[doc_id] = squash(document_text(doc_id))
        return texts[doc_id]

    quotes = [(r.id, r.document, r.quote) for r in city.rules]
    quotes += [(c.id, c.document, c.quote) for c in city.caps]
    quotes += [(a.id, a.document, a.quote) for a in city.adjustments]
    quotes += [(f"notes[{i}]", n.document, n.quote) for i, n in enumerate(city.notes)]
    quotes += [(f"conditions[{i}]", n.document, n.quote) for i, n in enumerate(city.conditions)]
    quotes += [(f"out_of_scope[{i}]", n.document, n.quote) for i, n in enumerate(city.out_of_scope)]
    quotes += [(f"inexpressible[{i}]", n.document, n.quote) for i, n in enumerate(city.inexpressible)]
    quotes += [
        (f"apply.{key}.citations[{i}]", q.document, q.quote)
        for key, table in city.apply.items()
        for i, q in enumerate(table.citations)
    ]
    for where, doc_id, quote in quotes:
        text = text_of(doc_id)
        if text is None:
            problems.append(f"{where}: unknown document {doc_id!r} (`subsidy policies` lists the ids)")
        elif squash(quote) not in text:
            problems.append(f"{where}: quote is not verbatim in {doc_id}: {quote[:40]!r}")
    for rule in city.rules:
        if rule.derive is None:
            if not rule.quote_amount or squash(rule.quote_amount) not in squash(rule.quote):
                problems.append(f"{rule.id}: quote_amount must be words of its quote")
            else:
                try:
                    stated = parse_amount_yuan(rule.quote_amount)
                except ValueError:
                    problems.append(f"{rule.id}: quote_amount {rule.quote_amount!r} is not an amount")
                else:
                    if stated != rule.amount_yuan:
                        problems.append(
                            f"{rule.id}: amount_yuan {rule.amount_yuan} but the quote says {rule.quote_amount}"
                        )
        elif not rule.quote_factor or squash(rule.quote_factor) not in squash(rule.quote):
            problems.append(f"{rule.id}: quote_factor must be words of its quote")
        elif parse_percent(rule.quote_factor) != rule.factor:
            problems.append(f"{rule.id}: derive.factor {rule.factor} but the quote says {rule.quote_factor}")
        problems += _vocabulary_problems(rule.id, rule.when)
    to_review = sum(1 for r in city.rules if r.review) + sum(1 for c in city.caps if c.review)
    return CheckReport(city, tuple(problems), to_review)


def _vocabulary_problems(rule_id: str, when: Mapping[str, object]) -> list[str]:
    types = achievement_types()
    allowed_types = when.get("type", ())
    out = []
    for type_name in allowed_types if isinstance(allowed_types, tuple) else ():
        spec = types.get(str(type_name))
        if spec is None:
            out.append(f"{rule_id}: unknown achievement type {type_name!r}")
            continue
        for name, values in when.items():
            if name == "type":
                continue
            field = spec.field(name) or spec.fact(name)
            if field is None:
                out.append(f"{rule_id}: {name} is not a field of {type_name}")
            elif field.whole_number is None and field.listed is not None and isinstance(values, tuple):
                bad = [v for v in values if v not in field.listed]
                if bad:
                    out.append(f"{rule_id}: {name}={bad[0]!r} is not a value of {type_name}.{name}")
    return out
