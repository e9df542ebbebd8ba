"""The regions the corpus covers and the spellings users type for them."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources

from foundation.errors import UnknownCityError, shown_value
from knowledge.ingested import user_region_rows
from knowledge.user_data import follows_user_data
from knowledge.yaml_data import load_yaml


@dataclass(frozen=True)
class Region:
    id: str
    name: str
    level: str
    province: str
    has_amounts: bool
    aliases: tuple[str, ...] = field(default=())
    districts: tuple[str, ...] = field(default=())  # places inside it users name instead (滨海新区)


@follows_user_data
def all_regions() -> tuple[Region, ...]:
    """The shipped regions, then those the user added (`subsidy ingest --region`, knowledge/ingested.py)."""

    raw = load_yaml(resources.files("knowledge").joinpath("data/regions.yaml").read_text("utf-8"))
    shipped = {r["id"] for r in raw}
    raw += [r for r in user_region_rows() if r["id"] not in shipped]
    return tuple(
        Region(
            id=r["id"],
            name=r["name"],
            level=r["level"],
            province=r["province"],
            has_amounts=bool(r["has_amounts"]),
            aliases=tuple(r.get("aliases", [])),
            districts=tuple(r.get("districts", [])),
        )
        for r in raw
    )


@follows_user_data
def _lookup() -> dict[str, Region]:
    table: dict[str, Region] = {}
    for region in all_regions():
        for key in (region.id, region.name, *region.aliases):
            table[key.lower()] = region
    return table


def resolve_region(text: str, field_name: str = "city") -> Region:
    """Map any accepted spelling (id, 天津, 天津市, 广州开发区 …) to its Region."""
    key = (text or "").strip().lower()
    region = _lookup().get(key)
    if region is None:
        raise UnknownCityError(
            field_name, f"unknown city {shown_value(text)}", allowed=[r.id for r in all_regions()]
        )
    return region


def money_regions() -> list[Region]:
    return [r for r in all_regions() if r.has_amounts]


def place_groups() -> dict[str, tuple[str, ...]]:
    """Places that hold several regions with amounts, or one without being it: a province that is
    not itself a region (山东 → 威海 枣庄 临沂 聊城), a city of which only a district is
    (广州 → 广州市黄埔区). Derived from the regions, so a new region joins its province's group."""
    regions = all_regions()
    named = {spelling for r in regions for spelling in (r.name, *r.aliases)}
    groups: dict[str, list[str]] = {}
    for region in regions:
        if not region.has_amounts or region.level == "province":
            continue
        parents = [region.province]
        if region.level == "district" and "市" in region.name:
            parents.append(region.name[: region.name.index("市") + 1])  # 广州市黄埔区 → 广州市
        for parent in parents:
            for spelling in (parent, parent.removesuffix("省").removesuffix("市")):
                if spelling not in named and spelling != region.name:
                    groups.setdefault(spelling, []).append(region.id)
    return {place: tuple(ids) for place, ids in groups.items()}
