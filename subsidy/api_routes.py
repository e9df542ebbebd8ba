"""/api/* routes (CONTRACT.md): estimate, chat, search, policies, healthz."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Query

from calculators.models import Estimate

router = APIRouter()


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.post("/api/estimate", response_model=None)
def api_estimate(
    payload: dict[str, Any] | list[dict[str, Any]] = Body(
        ..., description="an Estimate request, or an array of them"
    ),
) -> Estimate | list[Estimate]:
    from subsidy.commands.estimate import estimate_many

    return estimate_many(payload)


@router.get("/api/policies")
def api_policies(city: str | None = Query(None), as_of: str | None = Query(None)) -> list[dict[str, Any]]:
    from knowledge.policies import list_policies

    return list_policies(city=city, as_of=as_of)


@router.get("/api/search")
def api_search(
    q: str = Query(..., description="the query"),
    k: int = Query(5, description="number of hits (clamped to 1..50)"),
    city: str | None = Query(None),
) -> list[dict[str, Any]]:
    from knowledge.search import search

    return [hit.model_dump(mode="json") for hit in search(q, k=k, city=city)]
