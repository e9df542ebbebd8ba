"""The assistant's tools, defined once: the LLM agent, the MCP server and any other face call these.

Each tool is a library function behind a typed boundary: a pydantic model for its arguments
(its JSON Schema is what an LLM or an MCP client sees), a pydantic model for its result, and a
description in Chinese and English. `call` validates the arguments and runs the function; every
mistake in the arguments is a `UserInputError` naming the field (`achievements[0].level`).

| tool | library function |
| --- | --- |
| `estimate` | `calculators.engine.estimate` |
| `compare` | `calculators.compare.compare` |
| `city_menu` | `calculators.menu.city_menu` |
| `search` | `knowledge.search.Retriever.search` (the assistant's) |
| `policies` | `knowledge.policies.list_policies` |
| `apply_info` | the city's how-to-apply tables (`calculators/rules/*.yaml`, `apply`) |
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant import evidence
from calculators.achievement_types import achievement_types
from calculators.compare import Comparison, compare
from calculators.engine import estimate
from calculators.menu import CityMenu, city_menu
from calculators.models import ApplyInfo, Citation, Estimate
from calculators.request import EstimateRequest, achievements_schema, user_error
from calculators.rulebook import load_city_rules
from foundation.errors import UserInputError
from knowledge.hit import ContractHit, Search
from knowledge.policies import Policy, list_policies
from knowledge.regions import resolve_region
from knowledge.search import search as library_search

MAX_HITS = 50


# ---------------------------------------------------------------- arguments and results
class CompareArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    achievements: list[dict[str, Any]] = Field(
        min_length=1,
        description="成果（同 estimate）/ the achievements, as for `estimate`",
        json_schema_extra=achievements_schema,
    )
    cities: list[str] | None = Field(
        default=None,
        description="要比较的城市；不填为所有有金额的城市 / cities to compare (default: all with amounts)",
    )
    as_of: str | None = Field(
        default=None, description="申报日期 / the grant date, YYYY-MM-DD (default today)"
    )


class CityMenuArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    city: str = Field(description="城市或区 / the city or district (天津, tianjin, 广州开发区 …)")
    as_of: str | None = Field(
        default=None, description="按该日期判断是否有效 / status on this date, YYYY-MM-DD"
    )


class SearchArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(description="检索语句 / the query, in Chinese, e.g. 天津 主导制定国家标准 资助")
    city: str | None = Field(
        default=None,
        description="只检索该地区的文件 / only this region's documents (天津, tianjin, 广州开发区 …)",
    )
    k: int = Field(default=5, ge=1, le=MAX_HITS, description="返回条数 / number of hits, 1-50")
    with_national: bool = Field(
        default=False, description="指定地区时也检索国家文件 / with `city`: national documents too"
    )


class SearchHit(ContractHit):
    """One retrieved article, verbatim, with the citation it gives (the contract's Hit and its document)."""

    document_id: str


class SearchResult(BaseModel):
    hits: list[SearchHit]


class PoliciesArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    city: str | None = Field(
        default=None, description="只列该地区的文件 / only this region's documents; omit for all"
    )
    as_of: str | None = Field(
        default=None, description="按该日期判断是否有效 / status on this date, YYYY-MM-DD (default today)"
    )


class PoliciesResult(BaseModel):
    policies: list[Policy]


class ApplyInfoArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    city: str = Field(description="城市或区 / the city or district (天津, 郑州, 广州开发区 …)")
    type: str | None = Field(
        default=None,
        description="只看这类成果的申报方式 / only for this achievement type (standard, tc_secretariat …)",
    )


class ApplyRoute(ApplyInfo):
    """How to apply for the achievement types listed (one table of the city's rule file)."""

    types: list[str] = Field(default_factory=list, description="achievement types this route is for")


class ApplyInfoResult(BaseModel):
    city: str
    city_name: str
    routes: list[ApplyRoute] = Field(default_factory=list)
    conditions: list[Citation] = Field(
        default_factory=list, description="regions without amounts: the qualification conditions they set"
    )


# ---------------------------------------------------------------- the functions
def _estimate(args: EstimateRequest) -> Estimate:

    return estimate(args)


def _compare(args: CompareArgs) -> Comparison:

    return compare(args.achievements, cities=args.cities, as_of=args.as_of)


def _city_menu(args: CityMenuArgs) -> CityMenu:

    return city_menu(args.city, as_of=args.as_of)


def _searching(search: Search) -> Callable[[SearchArgs], SearchResult]:
    def run(args: SearchArgs) -> SearchResult:
        hits = search(args.query, k=args.k, city=args.city, include_national=args.with_national)
        return SearchResult(hits=[SearchHit.model_validate(h.model_dump()) for h in hits])

    return run


def _policies(args: PoliciesArgs) -> PoliciesResult:

    rows = list_policies(city=args.city, as_of=args.as_of)
    return PoliciesResult(policies=[Policy.model_validate(r) for r in rows])


def _apply_info(args: ApplyInfoArgs) -> ApplyInfoResult:

    region = resolve_region(args.city, "city")
    if args.type is not None and args.type not in achievement_types():
        raise UserInputError(
            "type", f"unknown achievement type {args.type!r}", allowed=list(achievement_types())
        )
    rules = load_city_rules(region.id)
    routes = []
    for key, table in (rules.apply if rules else {}).items():
        assert rules is not None
        types = sorted(
            {str(t) for r in rules.rules if (r.apply or "default") == key for t in r.when.get("type", ())}
        )
        if args.type is not None and args.type not in types:
            continue
        routes.append(
            ApplyRoute(
                types=types,
                window=table.window,
                deadline=table.deadline,
                office=table.office,
                materials=list(table.materials),
                citations=[
                    evidence.citation(region.id, q.document, q.article, q.quote) for q in table.citations
                ],
            )
        )
    return ApplyInfoResult(
        city=region.id, city_name=region.name, routes=routes, conditions=evidence.city_conditions(region.id)
    )


# ---------------------------------------------------------------- the registry
@dataclass(frozen=True)
class Tool:
    name: str
    title: str
    description: str
    arguments: type[BaseModel]
    result: type[BaseModel]
    function: Callable[[Any], BaseModel]

    def input_schema(self) -> dict[str, Any]:
        return self.arguments.model_json_schema()

    def output_schema(self) -> dict[str, Any]:
        return self.result.model_json_schema()

    def parse(self, arguments: Mapping[str, Any] | None) -> BaseModel:
        """The arguments as the typed model; a mistake is a UserInputError naming the field."""
        try:
            return self.arguments.model_validate(dict(arguments or {}))
        except ValidationError as err:
            raise argument_error(err) from None

    def call(self, arguments: Mapping[str, Any] | None) -> BaseModel:
        return self.function(self.parse(arguments))

    def openai_schema(self) -> dict[str, Any]:
        """The tool in the OpenAI function-calling format (what LangChain's bind_tools sends)."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.input_schema(),
            },
        }


def field_path(loc: tuple[int | str, ...]) -> str:
    """('achievements', 0, 'level') -> achievements[0].level (the engine's spelling)."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "arguments"


def argument_error(err: ValidationError) -> UserInputError:
    first = err.errors()[0]
    loc = tuple(first.get("loc", ()))
    if isinstance((first.get("ctx") or {}).get("error"), UserInputError):
        return user_error([first])  # the registry's own error (achievements[0].level), as raised
    if first.get("type") == "missing":
        return UserInputError(field_path(loc), "is required")
    if first.get("type") == "extra_forbidden":
        return UserInputError(field_path(loc), "is not an argument of this tool")
    return UserInputError(field_path(loc), str(first.get("msg", "invalid")))


def _vocabulary() -> str:
    """The achievement types and their fields, from the registry (what the estimate tool accepts):
    the contract's types with their values; the others by field name (an unknown value is an error
    that lists the allowed ones)."""

    lines = []
    for spec in achievement_types().values():
        if spec.core:
            fields = "; ".join(
                f"{f.name}{'' if f.required else '?'}={'/'.join(str(v) for v in f.values)}"
                for f in spec.fields
            )
        else:
            fields = "; ".join(f"{f.name}{'' if f.required else '?'}" for f in spec.fields)
        lines.append(f"- {spec.name}（{spec.label}）: {fields or '—'}")
    return "\n".join(lines)


def tools(search: Search | None = None) -> dict[str, Tool]:
    """Every tool by name, in a stable order; `search` is the retrieval the `search` tool runs
    (the assistant's `Retriever.search`; by default the environment's: `knowledge.search.search`)."""
    search = search or library_search
    catalogue = [
        Tool(
            name="estimate",
            title="资助金额计算 / Subsidy calculation",
            description=(
                "按城市的政策条文计算标准化成果可得的资助金额：每项金额、定额或最高额、依据条款原文、政策状态、"
                "年度上限。金额只能来自此工具。\n"
                "Computes the subsidy a city's policy pays for standardization achievements: each item's "
                "amount in yuan, fixed or ceiling, the article with its verbatim quote, the policy status on "
                "`as_of`, caps. achievements[].type and its fields (`?` = optional):\n" + _vocabulary()
            ),
            arguments=EstimateRequest,
            result=Estimate,
            function=_estimate,
        ),
        Tool(
            name="compare",
            title="多城市对比 / Compare cities",
            description=(
                "同一组成果在多个城市各能拿多少：每个城市的合计、定额或最高额、依据条款、政策状态；"
                "有效的排在前面，再按金额从高到低。\n"
                "Prices the same achievements in several cities (default: every city that sets amounts): "
                "each city's total, basis, articles and policy status; rows in force first, then by amount."
            ),
            arguments=CompareArgs,
            result=Comparison,
            function=_compare,
        ),
        Tool(
            name="city_menu",
            title="城市资助清单 / What a city pays",
            description=(
                "某地区政策资助的全部项目及金额，按条款分组，附文件有效状态；没有金额的地区给出其资格条件。\n"
                "Everything a region's documents pay, grouped by article, with each document's status; "
                "for regions without amounts, the conditions and incentives they set."
            ),
            arguments=CityMenuArgs,
            result=CityMenu,
            function=_city_menu,
        ),
        Tool(
            name="search",
            title="政策条文检索 / Policy search",
            description=(
                "在政策原文中检索相关条款（BM25 + 向量混合检索），返回原文和出处。\n"
                "Hybrid search over the policy texts; returns verbatim articles with document and article."
            ),
            arguments=SearchArgs,
            result=SearchResult,
            function=_searching(search),
        ),
        Tool(
            name="policies",
            title="政策文件及有效状态 / Policy documents and status",
            description=(
                "列出政策文件及其在某日的状态（有效、已失效、尚未施行）、施行和截止日期。\n"
                "Lists the policy documents with their status on a date (in_force, expired, "
                "not_yet_in_force) and their validity period."
            ),
            arguments=PoliciesArgs,
            result=PoliciesResult,
            function=_policies,
        ),
        Tool(
            name="apply_info",
            title="申报方式 / How to apply",
            description=(
                "某城市如何申报资助：申报时间、截止、受理部门、申报材料及依据条款；没有金额的地区给出其资格条件。\n"
                "How to apply in a city: when, deadline, the office, the materials, with the clauses; for "
                "regions without amounts, the qualification conditions they set."
            ),
            arguments=ApplyInfoArgs,
            result=ApplyInfoResult,
            function=_apply_info,
        ),
    ]
    return {tool.name: tool for tool in catalogue}


# the assistant's own LLM answers one turn; `ask` would be a turn inside a turn
AGENT_TOOL_NAMES = ("estimate", "compare", "city_menu", "search", "policies", "apply_info")


def agent_tools(search: Search) -> list[Tool]:
    found = tools(search)
    return [found[name] for name in AGENT_TOOL_NAMES if name in found]


def call_tool(
    name: str, arguments: Mapping[str, Any] | None, registry: Mapping[str, Tool] | None = None
) -> BaseModel:
    """Run a tool of `registry` (default: these library tools) by name; an unknown name is a
    UserInputError naming `name`."""
    known = registry if registry is not None else tools()
    tool = known.get(name)
    if tool is None:
        raise UserInputError("name", f"unknown tool {name!r}", allowed=list(known))
    return tool.call(arguments)
